import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { BrokerContext } from '../broker-context.js';
import { assert } from '../io/assert.js';

/**
 * One handler per Kafka API key. Each handler file registers itself with the version range it
 * really implements; ApiVersions is computed from this registry, so we never advertise what we
 * don't implement.
 */
export const NO_RESPONSE = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

/** A handler outcome that closes the connection instead of answering (acks=0 produce errors). */
export class CloseConnection {
  constructor(readonly reason: string) {}
}

export interface RequestInfo {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connectionId: number;
  clientHost: string;
  /**
   * Registers `release` to run once the response's bytes are written to the socket or the
   * response is dropped (for buffers the response borrows, see log/read-buffer-pool.ts). Absent
   * when a handler is called without a connection (tests): the buffers are then never reused.
   */
  onResponseWritten?: (release: () => void) => void;
}

export interface ApiHandler<Request = unknown, Response = unknown> {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /** Advertised minimum when it differs from what we accept (Produce: 0, see KAFKA-18659). */
  advertisedMinVersion?: number;
  decodeRequest(reader: Reader, version: number): Request;
  encodeResponse(writer: Writer, version: number, response: Response): void;
  handle(
    request: Request,
    info: RequestInfo,
    broker: BrokerContext,
  ): Response | NoResponse | CloseConnection | Promise<Response | NoResponse | CloseConnection>;
}

const handlers = new Map<number, ApiHandler>();

export function registerHandler<Request, Response>(handler: ApiHandler<Request, Response>): void {
  assert(!handlers.has(handler.apiKey), `API key ${handler.apiKey} registered twice`);
  assert(handler.minVersion <= handler.maxVersion, `bad version range for ${handler.name}`);
  handlers.set(handler.apiKey, handler as ApiHandler);
}

export function handlerFor(apiKey: number): ApiHandler | undefined {
  return handlers.get(apiKey);
}

export function registeredHandlers(): ApiHandler[] {
  return [...handlers.values()].sort((a, b) => a.apiKey - b.apiKey);
}
