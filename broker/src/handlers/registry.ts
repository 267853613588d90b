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

/**
 * A set of handlers, one per API key. The broker listeners use the default set below (every
 * handler file registers itself into it); the CONTROLLER listener of a real quorum serves its own
 * set (quorum/controller-apis.ts, Kafka's ControllerApis), each with an ApiVersions computed from
 * the set it belongs to.
 */
export class HandlerRegistry {
  private readonly handlers = new Map<number, ApiHandler>();

  register<Request, Response>(handler: ApiHandler<Request, Response>): void {
    assert(!this.handlers.has(handler.apiKey), `API key ${handler.apiKey} registered twice`);
    assert(handler.minVersion <= handler.maxVersion, `bad version range for ${handler.name}`);
    this.handlers.set(handler.apiKey, handler as ApiHandler);
  }

  handlerFor(apiKey: number): ApiHandler | undefined {
    return this.handlers.get(apiKey);
  }

  registered(): ApiHandler[] {
    return [...this.handlers.values()].sort((a, b) => a.apiKey - b.apiKey);
  }
}

/** The broker listener's handlers. */
export const brokerHandlers = new HandlerRegistry();

export function registerHandler<Request, Response>(handler: ApiHandler<Request, Response>): void {
  brokerHandlers.register(handler);
}

export function handlerFor(apiKey: number): ApiHandler | undefined {
  return brokerHandlers.handlerFor(apiKey);
}

export function registeredHandlers(): ApiHandler[] {
  return brokerHandlers.registered();
}
