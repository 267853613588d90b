import type { BrokerContext } from '../broker-context.js';
import type { ConnectionInfo, DispatchOutcome, Dispatcher } from '../server/connection.js';
import { Reader, ProtocolDecodeError } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { decodeRequestHeader } from '../protocol/generated/request-header.js';
import { encodeResponseHeader } from '../protocol/generated/response-header.js';
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/generated/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { AssertionError } from '../io/assert.js';
import { brokerHandlers, CloseConnection, NO_RESPONSE, type HandlerRegistry, type RequestInfo } from './registry.js';
import { errorResponseBuilder } from './error-responses.js';
import { API_VERSIONS_KEY, maxApiVersionsVersion } from './18-api-versions.js';

/**
 * Frame -> header -> handler -> response frame. Kafka closes the connection for a request it
 * cannot parse or whose key/version it does not serve (SocketServer); ApiVersions is the one
 * exception, answered at any version (KIP-511). A handler that throws gets its request answered
 * with UNKNOWN_SERVER_ERROR, unless what it threw is an assertion: then the broker stops
 * (fail-stop, see `unexpected`).
 */
export class RequestDispatcher implements Dispatcher {
  /** Requests received per API key, for /metrics. */
  readonly requestCounts = new Map<number, number>();

  constructor(
    private readonly broker: BrokerContext,
    /** The handler set this listener serves (the CONTROLLER listener has its own). */
    private readonly handlers: HandlerRegistry = brokerHandlers,
  ) {}

  dispatch(frame: Buffer, connection: ConnectionInfo): DispatchOutcome | Promise<DispatchOutcome> {
    if (frame.length < 8) return { kind: 'close', reason: `request of ${frame.length} bytes is too short for a header` };
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    if (apiKey === API_VERSIONS_KEY && apiVersion > maxApiVersionsVersion()) {
      return { kind: 'response', chunks: unsupportedApiVersionsResponse(correlationId) };
    }
    const handler = this.handlers.handlerFor(apiKey);
    if (handler) this.requestCounts.set(apiKey, (this.requestCounts.get(apiKey) ?? 0) + 1);
    if (!handler) return { kind: 'close', reason: `unknown or unsupported API key ${apiKey}` };
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      return { kind: 'close', reason: `${handler.name} v${apiVersion} is not supported (${handler.minVersion}-${handler.maxVersion})` };
    }
    const reader = new Reader(frame);
    let request: unknown;
    let clientId: string | null;
    try {
      const header = decodeRequestHeader(reader, requestHeaderVersion(apiKey, apiVersion));
      clientId = header.clientId;
      request = handler.decodeRequest(reader, apiVersion);
    } catch (error) {
      if (error instanceof ProtocolDecodeError) {
        return { kind: 'close', reason: `malformed ${handler.name} v${apiVersion} request: ${error.message}` };
      }
      // A decoder bug, not bad input: there is no request to build an error response from.
      return this.unexpected(`${handler.name} v${apiVersion} request could not be decoded`, error, null);
    }
    // Only Fetch responses borrow buffers: no array unless a handler registers a release.
    let releases: Array<() => void> | null = null;
    const releaseAll = () => {
      const pending = releases;
      releases = null;
      if (pending !== null) for (const release of pending) release();
    };
    const info: RequestInfo = {
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      connectionId: connection.id,
      clientHost: connection.remoteAddress,
      onResponseWritten: (release) => void (releases ??= []).push(release),
    };
    const failed = (error: unknown): DispatchOutcome => {
      releaseAll();
      const errorResponse = () => this.errorResponse(apiKey, apiVersion, correlationId, request, handler.encodeResponse);
      return this.unexpected(`${handler.name} v${apiVersion} request failed`, error, errorResponse);
    };
    const encode = (response: unknown): DispatchOutcome => {
      if (response === NO_RESPONSE || response instanceof CloseConnection) {
        releaseAll();
        return response === NO_RESPONSE ? { kind: 'none' } : { kind: 'close', reason: response.reason };
      }
      let chunks: Buffer[];
      try {
        const writer = new Writer();
        encodeResponseHeader(writer, responseHeaderVersion(apiKey, apiVersion), correlationId);
        handler.encodeResponse(writer, apiVersion, response);
        chunks = writer.toChunks();
      } catch (error) {
        return failed(error);
      }
      return releases === null ? { kind: 'response', chunks } : { kind: 'response', chunks, release: releaseAll };
    };
    let result: ReturnType<typeof handler.handle>;
    try {
      result = handler.handle(request, info, this.broker);
    } catch (error) {
      return failed(error);
    }
    if (result instanceof Promise) return result.then(encode, failed);
    return encode(result);
  }

  /**
   * An error no handler expected. A broken invariant (`AssertionError`: io/assert.ts, or
   * node:assert's) means the broker's state can no longer be trusted, so the process stops
   * (`BrokerContext.failStop`) and the next start recovers from what is on disk. Anything else
   * is a bug confined to this request: it is logged with its stack and answered with
   * UNKNOWN_SERVER_ERROR (`errorResponse`), or the connection is closed when there is no
   * response to build.
   */
  private unexpected(what: string, error: unknown, errorResponse: (() => DispatchOutcome) | null): DispatchOutcome {
    const cause = error instanceof Error ? error : new Error(String(error));
    if (isInvariantViolation(cause)) {
      this.broker.failStop(what, cause);
      return { kind: 'close', reason: `${what}: ${cause.message}` };
    }
    this.broker.logger.error(`${what}; answering UNKNOWN_SERVER_ERROR`, { error: cause.stack ?? cause.message });
    if (errorResponse === null) return { kind: 'close', reason: `${what}: ${cause.message}` };
    try {
      return errorResponse();
    } catch (encodeError) {
      const encodeCause = encodeError instanceof Error ? encodeError : new Error(String(encodeError));
      if (isInvariantViolation(encodeCause)) this.broker.failStop(`${what}, and so did its error response`, encodeCause);
      else this.broker.logger.error(`${what}: its error response failed too`, { error: encodeCause.stack ?? encodeCause.message });
      return { kind: 'close', reason: `${what}: ${cause.message}` };
    }
  }

  private errorResponse(
    apiKey: number,
    apiVersion: number,
    correlationId: number,
    request: unknown,
    encodeResponse: (writer: Writer, version: number, response: unknown) => void,
  ): DispatchOutcome {
    const build = errorResponseBuilder(apiKey);
    if (build === undefined) return { kind: 'close', reason: `no error response defined for API key ${apiKey}` };
    const response = build(request, apiVersion, ErrorCode.UNKNOWN_SERVER_ERROR);
    if (response instanceof CloseConnection) return { kind: 'close', reason: response.reason };
    const writer = new Writer();
    encodeResponseHeader(writer, responseHeaderVersion(apiKey, apiVersion), correlationId);
    encodeResponse(writer, apiVersion, response);
    return { kind: 'response', chunks: writer.toChunks() };
  }
}

/** Assertion failures: ours (io/assert.ts) and node:assert's (`code` ERR_ASSERTION). */
export function isInvariantViolation(error: Error): boolean {
  return error instanceof AssertionError || (error as NodeJS.ErrnoException).code === 'ERR_ASSERTION';
}

/** v0 body: error_code 35, api_keys [18, 0, max]; header v0. Clients retry with that max. */
function unsupportedApiVersionsResponse(correlationId: number): Buffer[] {
  const body = Buffer.alloc(4 + 2 + 4 + 6);
  body.writeInt32BE(correlationId, 0);
  body.writeInt16BE(ErrorCode.UNSUPPORTED_VERSION, 4);
  body.writeInt32BE(1, 6);
  body.writeInt16BE(API_VERSIONS_KEY, 10);
  body.writeInt16BE(0, 12);
  body.writeInt16BE(maxApiVersionsVersion(), 14);
  return [body];
}
