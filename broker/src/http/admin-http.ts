import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * The broker's HTTP port: `/healthz` (liveness: the process serves HTTP), `/readyz` (readiness:
 * the Kafka listeners are bound and the broker is not shutting down) and `/metrics` (Prometheus
 * text format). Kubernetes probes and scrapers use it; clients never do.
 */
export interface HttpStatus {
  ready(): boolean;
  metrics(): MetricSample[];
}

export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: { labels?: Record<string, string>; value: number }[];
}

export class AdminHttpServer {
  private readonly server: Server;

  constructor(private readonly status: HttpStatus) {
    this.server = createServer((request, response) => this.route(request, response));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: host === '' ? undefined : host, port }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return send(response, 200, 'ok\n');
      case '/readyz':
        return this.status.ready() ? send(response, 200, 'ready\n') : send(response, 503, 'not ready\n');
      case '/metrics':
        return send(response, 200, renderPrometheus(this.status.metrics()), 'text/plain; version=0.0.4');
      default:
        return send(response, 404, 'not found\n');
    }
  }
}

function send(response: ServerResponse, status: number, body: string, contentType = 'text/plain'): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

export function renderPrometheus(samples: readonly MetricSample[]): string {
  const lines: string[] = [];
  for (const sample of samples) {
    lines.push(`# HELP ${sample.name} ${sample.help}`, `# TYPE ${sample.name} ${sample.type}`);
    for (const { labels, value } of sample.values) {
      const labelText =
        labels && Object.keys(labels).length > 0
          ? `{${Object.entries(labels)
              .map(([key, text]) => `${key}="${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
              .join(',')}}`
          : '';
      lines.push(`${sample.name}${labelText} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
