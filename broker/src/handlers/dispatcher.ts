import type { BrokerContext } from '../broker-context.js';
import type { ConnectionInfo, DispatchOutcome, Dispatcher } from '../server/connection.js';
import { Reader, ProtocolDecodeError } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { decodeRequestHeader } from '../protocol/generated/request-header.js';
import { encodeResponseHeader } from '../protocol/generated/response-header.js';
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/generated/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { CloseConnection, handlerFor, NO_RESPONSE, type RequestInfo } from './registry.js';
import { API_VERSIONS_KEY, maxApiVersionsVersion } from './18-api-versions.js';

/**
 * Frame -> header -> handler -> response frame. Kafka closes the connection for a request it
 * cannot parse or whose key/version it does not serve (SocketServer); ApiVersions is the one
 * exception, answered at any version (KIP-511).
 */
export class RequestDispatcher implements Dispatcher {
  /** Requests received per API key, for /metrics. */
  readonly requestCounts = new Map<number, number>();

  constructor(private readonly broker: BrokerContext) {}

  dispatch(frame: Buffer, connection: ConnectionInfo): DispatchOutcome | Promise<DispatchOutcome> {
    if (frame.length < 8) return { kind: 'close', reason: `request of ${frame.length} bytes is too short for a header` };
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    if (apiKey === API_VERSIONS_KEY && apiVersion > maxApiVersionsVersion()) {
      return { kind: 'response', chunks: unsupportedApiVersionsResponse(correlationId) };
    }
    const handler = handlerFor(apiKey);
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
      throw error;
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
    const encode = (response: unknown): DispatchOutcome => {
      if (response === NO_RESPONSE || response instanceof CloseConnection) {
        releaseAll();
        return response === NO_RESPONSE ? { kind: 'none' } : { kind: 'close', reason: response.reason };
      }
      const writer = new Writer();
      try {
        encodeResponseHeader(writer, responseHeaderVersion(apiKey, apiVersion), correlationId);
        handler.encodeResponse(writer, apiVersion, response);
      } catch (error) {
        releaseAll();
        throw error;
      }
      const chunks = writer.toChunks();
      return releases === null ? { kind: 'response', chunks } : { kind: 'response', chunks, release: releaseAll };
    };
    const failed = (error: Error) => {
      releaseAll();
      return this.failed(handler.name, error);
    };
    let result: ReturnType<typeof handler.handle>;
    try {
      result = handler.handle(request, info, this.broker);
    } catch (error) {
      releaseAll();
      throw error;
    }
    if (result instanceof Promise) return result.then(encode, failed);
    return encode(result);
  }

  private failed(name: string, error: Error): DispatchOutcome {
    this.broker.logger.error(`${name} handler failed`, { error: error.stack ?? error.message });
    return { kind: 'close', reason: `${name} handler failed: ${error.message}` };
  }
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
