/**
 * The TCP adapter of the Transport port: one pipelined KafkaConnection per endpoint, opened on the
 * first request and again after a failure; each request has its own timeout. A timed-out request
 * closes its connection (the responses behind it can no longer be matched reliably, and Kafka's
 * NetworkClient does the same), so the next request reconnects.
 */
import { KafkaConnection, type RequestSpec } from './kafka-connection.js';
import { TransportError, type Endpoint, type Transport } from '../io/transport.js';
import type { Scheduler } from '../io/scheduler.js';

export interface PooledTransportOptions {
  clientId: string;
  scheduler: Scheduler;
  connectTimeoutMs: number;
  /** Requests in flight per endpoint; more are refused with reason 'queue-full' (a named bound on
   * what an unreachable peer can make us hold). */
  inflightRequestsPerEndpointMax: number;
}

interface Link {
  connection: Promise<KafkaConnection>;
  inflight: number;
}

export class PooledTransport implements Transport {
  private readonly links = new Map<string, Link>();
  private closed = false;

  constructor(private readonly options: PooledTransportOptions) {
    if (!Number.isInteger(options.inflightRequestsPerEndpointMax) || options.inflightRequestsPerEndpointMax < 1) {
      throw new RangeError(`inflightRequestsPerEndpointMax must be a positive integer, got ${options.inflightRequestsPerEndpointMax}`);
    }
  }

  async send<Response>(endpoint: Endpoint, spec: RequestSpec<Response>, timeoutMs: number): Promise<Response> {
    const key = `${endpoint.host}:${endpoint.port}`;
    if (this.closed) throw new TransportError(endpoint, 'closed', `transport closed; not sending to ${key}`);
    const link = this.linkFor(key, endpoint);
    if (link.inflight >= this.options.inflightRequestsPerEndpointMax) {
      throw new TransportError(endpoint, 'queue-full', `${link.inflight} requests already in flight to ${key}`);
    }
    link.inflight++;
    try {
      let connection: KafkaConnection;
      try {
        connection = await link.connection;
      } catch (error) {
        this.drop(key, link);
        throw new TransportError(endpoint, 'connect', `cannot connect to ${key}: ${(error as Error).message}`);
      }
      return await this.withTimeout(connection.send(spec), timeoutMs, () => {
        connection.close();
        this.drop(key, link);
        return new TransportError(endpoint, 'timeout', `no response from ${key} within ${timeoutMs} ms (api key ${spec.apiKey})`);
      }).catch((error: unknown) => {
        if (error instanceof TransportError) throw error;
        if (connection.closed) {
          this.drop(key, link);
          throw new TransportError(endpoint, 'disconnected', `connection to ${key} lost: ${(error as Error).message}`);
        }
        throw error;
      });
    } finally {
      link.inflight--;
    }
  }

  close(): void {
    this.closed = true;
    for (const [key, link] of this.links) {
      this.links.delete(key);
      link.connection.then(
        (connection) => connection.close(),
        () => undefined,
      );
    }
  }

  private linkFor(key: string, endpoint: Endpoint): Link {
    let link = this.links.get(key);
    if (link === undefined) {
      const connection = KafkaConnection.open(endpoint.host, endpoint.port, this.options.clientId, this.options.connectTimeoutMs);
      // The first sender awaits it; keep an unobserved failure from becoming an unhandled rejection.
      connection.catch(() => undefined);
      link = { connection, inflight: 0 };
      this.links.set(key, link);
    }
    return link;
  }

  private drop(key: string, link: Link): void {
    if (this.links.get(key) === link) this.links.delete(key);
  }

  private withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cancel = this.options.scheduler.after(timeoutMs, () => {
        if (settled) return;
        settled = true;
        reject(onTimeout());
      });
      promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          cancel();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
