import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { resourcePath, type KubeObject, type ResourceType } from './types.js';

/**
 * A thin REST client for the Kubernetes API: the kubeconfig (current context) is loaded with
 * @kubernetes/client-node, requests go through node:https with a keep-alive agent. Keeping the
 * HTTP layer ours gives exact control over server-side apply, subresources and watch streams.
 */

/** The field manager of every write the operator makes (server-side apply). */
export const FIELD_MANAGER = 'fjord-operator';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  get conflict(): boolean {
    return this.status === 409;
  }
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Abort (used to stop watches). */
  signal?: AbortSignal;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ListResult<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

export class KubeClient {
  private constructor(
    private readonly server: URL,
    private readonly config: KubeConfig,
    private readonly agent: http.Agent,
    readonly defaultNamespace: string,
  ) {}

  /** Auth headers, asked for on every request: token files (in-cluster ServiceAccount tokens) rotate. */
  private async authHeaders(): Promise<Record<string, string>> {
    const options: https.RequestOptions = {};
    await this.config.applyToHTTPSOptions(options);
    return (options.headers ?? {}) as Record<string, string>;
  }

  /** From a kubeconfig file, or the default chain (KUBECONFIG, ~/.kube/config, in-cluster). */
  static async fromKubeConfig(path?: string): Promise<KubeClient> {
    const config = new KubeConfig();
    if (path) config.loadFromFile(path);
    else config.loadFromDefault();
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const server = new URL(cluster.server);
    const options: https.RequestOptions = {};
    await config.applyToHTTPSOptions(options);
    const secure = server.protocol === 'https:';
    const agentOptions = {
      keepAlive: true,
      maxSockets: 32,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized,
    };
    const agent = secure ? new https.Agent(agentOptions) : new http.Agent({ keepAlive: true });
    const context = config.getContextObject(config.getCurrentContext());
    return new KubeClient(server, config, agent, context?.namespace ?? 'default');
  }

  close(): void {
    this.agent.destroy();
  }

  private async open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const auth = await this.authHeaders();
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string | number> = { Accept: 'application/json', 'User-Agent': 'fjord-operator', ...auth };
    if (body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent: this.agent, signal: options.signal }, resolve);
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, path, options);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      // not JSON; keep the text
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return parsed as T;
    const statusObject = parsed as { reason?: string; message?: string } | undefined;
    throw new ApiError(status, statusObject?.reason ?? 'Unknown', `${method} ${path}: ${status} ${statusObject?.message ?? text}`, parsed);
  }

  // ---- typed helpers -------------------------------------------------------------------------

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(type, namespace, name));
  }

  /** GET that maps 404 to null. */
  async getOrNull<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T | null> {
    try {
      return await this.get<T>(type, namespace, name);
    } catch (error) {
      if (error instanceof ApiError && error.notFound) return null;
      throw error;
    }
  }

  list<T extends KubeObject>(type: ResourceType, namespace?: string, query: RequestOptions['query'] = {}): Promise<ListResult<T>> {
    return this.request<ListResult<T>>('GET', resourcePath(type, namespace), { query });
  }

  create<T extends KubeObject>(type: ResourceType, object: KubeObject, query: RequestOptions['query'] = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(type, object.metadata.namespace), { body: object, query });
  }

  replace<T extends KubeObject>(type: ResourceType, object: KubeObject, subresource?: string): Promise<T> {
    return this.request<T>('PUT', resourcePath(type, object.metadata.namespace, object.metadata.name, subresource), { body: object });
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, body?: unknown): Promise<void> {
    await this.request('DELETE', resourcePath(type, namespace, name), { body });
  }

  /** Server-side apply with the operator's one field manager (force: the operator owns these fields). */
  apply<T extends KubeObject>(type: ResourceType, object: KubeObject, subresource?: string): Promise<T> {
    return this.request<T>('PATCH', resourcePath(type, object.metadata.namespace, object.metadata.name, subresource), {
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: true },
    });
  }

  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
  ): Promise<T> {
    return this.request<T>('PATCH', resourcePath(type, namespace, name, subresource), {
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  jsonPatch<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: unknown[]): Promise<T> {
    return this.request<T>('PATCH', resourcePath(type, namespace, name), { body: patch, contentType: 'application/json-patch+json' });
  }

  /**
   * Streams watch events until the server ends the watch, the signal aborts, or an error occurs.
   * Resolves normally on a clean end; rejects on transport/HTTP errors.
   */
  async watch<T>(
    type: ResourceType,
    namespace: string | undefined,
    query: RequestOptions['query'],
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.open('GET', resourcePath(type, namespace), {
      query: { ...query, watch: true, allowWatchBookmarks: true },
      signal,
    });
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      throw new ApiError(
        res.statusCode ?? 0,
        'WatchFailed',
        `watch ${type.plural}: ${res.statusCode} ${Buffer.concat(chunks).toString('utf8')}`,
        null,
      );
    }
    let buffered = '';
    for await (const chunk of res) {
      buffered += (chunk as Buffer).toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line.length > 0) onEvent(JSON.parse(line) as WatchEvent<T>);
      }
    }
  }
}
