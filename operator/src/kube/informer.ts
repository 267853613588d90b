import { ApiError, type KubeClient, type WatchEvent } from './client.js';
import { errorMessage, type Logger } from './log.js';
import { keyOf, type KubeObject, type ResourceType } from './types.js';

/**
 * A list-watch informer: keeps an in-memory cache of one resource type and calls `onChange`
 * with every object that was added, modified or deleted.
 *
 * States: listing -> watching -> (watch ended cleanly) watching again from the last
 * resourceVersion; (410 Gone / ERROR event / transport error) -> back off -> listing. So the
 * informer always comes back after watch errors, unlike client-node's ListWatch which only
 * reports non-410 errors. A relist diffs against the cache, so deletions missed while the watch
 * was down are reported too.
 */

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  /** Server-side watch timeout: the watch is re-established after this (keeps it fresh). */
  watchTimeoutSeconds?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

export type ChangeType = 'added' | 'modified' | 'deleted';

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private resourceVersion = '';
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private synced = false;
  private readonly syncWaiters: Array<() => void> = [];
  private failures = 0;

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly onChange: (object: T, change: ChangeType) => void,
    private readonly log: Logger,
    private readonly options: InformerOptions = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Resolves after the first successful list. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(`${namespace}/${name}`);
  }

  list(filter?: (object: T) => boolean): T[] {
    const out: T[] = [];
    for (const object of this.cache.values()) if (!filter || filter(object)) out.push(object);
    return out;
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        if (this.resourceVersion === '') await this.relist();
        await this.watchOnce();
        this.failures = 0;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        const gone = error instanceof ApiError && error.status === 410;
        this.resourceVersion = '';
        if (gone) continue; // expired resourceVersion: relist at once
        this.failures++;
        const delay = Math.min(this.options.backoffMaxMs ?? 30_000, (this.options.backoffMinMs ?? 500) * 2 ** (this.failures - 1));
        this.log.warn('Watch failed, relisting after back-off', { resource: this.type.plural, delayMs: delay, error: errorMessage(error) });
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.type, this.options.namespace, { labelSelector: this.options.labelSelector });
    const seen = new Set<string>();
    for (const item of list.items) {
      item.apiVersion ??= this.type.group === '' ? this.type.version : `${this.type.group}/${this.type.version}`;
      item.kind ??= this.type.kind;
      const key = keyOf(item);
      seen.add(key);
      const previous = this.cache.get(key);
      this.cache.set(key, item);
      if (!previous) this.onChange(item, 'added');
      else if (previous.metadata.resourceVersion !== item.metadata.resourceVersion) this.onChange(item, 'modified');
    }
    for (const [key, object] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.onChange(object, 'deleted');
      }
    }
    this.resourceVersion = list.metadata.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private async watchOnce(): Promise<void> {
    let failure: Error | null = null;
    const watchAbort = new AbortController();
    const stopWatch = () => watchAbort.abort();
    this.abort.signal.addEventListener('abort', stopWatch, { once: true });
    try {
      await this.client.watch<T>(
        this.type,
        this.options.namespace,
        {
          resourceVersion: this.resourceVersion,
          labelSelector: this.options.labelSelector,
          timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
        },
        (event: WatchEvent<T>) => {
          if (failure) return;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as { code?: number; message?: string };
            failure = new ApiError(status.code ?? 500, 'WatchError', status.message ?? 'watch error', status);
            watchAbort.abort();
            return;
          }
          const object = event.object;
          this.resourceVersion = object.metadata.resourceVersion ?? this.resourceVersion;
          if (event.type === 'BOOKMARK') return;
          const key = keyOf(object);
          if (event.type === 'DELETED') {
            this.cache.delete(key);
            this.onChange(object, 'deleted');
          } else {
            const previous = this.cache.get(key);
            this.cache.set(key, object);
            this.onChange(object, previous ? 'modified' : 'added');
          }
        },
        watchAbort.signal,
      );
    } catch (error) {
      if (!failure && !this.abort.signal.aborted) throw error;
    } finally {
      this.abort.signal.removeEventListener('abort', stopWatch);
    }
    if (failure) throw failure;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
