import { connect, type Socket } from 'node:net';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { decodeResponseHeader } from '../protocol/generated/response-header.js';
import { encodeRequestHeader } from '../protocol/generated/request-header.js';
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/generated/api-keys.js';

/**
 * One TCP connection to a Kafka-compatible broker, built on the generated codec: send a typed
 * request, get the typed response. Requests are pipelined; responses are matched FIFO and checked
 * against the correlation id. Used by the test suites and (later) the operator's topic management.
 */
export interface RequestSpec<Response> {
  apiKey: number;
  apiVersion: number;
  encode(writer: Writer, version: number): void;
  decode(reader: Reader, version: number): Response;
  /** Produce with acks=0 gets no response. */
  expectResponse?: boolean;
}

interface Pending {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  decode(reader: Reader, version: number): unknown;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class KafkaConnection {
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly clientId: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by broker')));
  }

  static open(host: string, port: number, clientId = 'fjord-client', timeoutMs = 10_000): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new KafkaConnection(socket, clientId));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Resolves when the broker closes this connection (used by bad-input tests). */
  waitClosed(timeoutMs = 10_000): Promise<void> {
    if (this.closedError) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  send<Response>(spec: RequestSpec<Response>): Promise<Response> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const writer = new Writer();
    encodeRequestHeader(writer, requestHeaderVersion(spec.apiKey, spec.apiVersion), {
      requestApiKey: spec.apiKey,
      requestApiVersion: spec.apiVersion,
      correlationId,
      clientId: this.clientId,
    });
    spec.encode(writer, spec.apiVersion);
    this.writeFrame(writer.toChunks());
    if (spec.expectResponse === false) return Promise.resolve(undefined as Response);
    return new Promise<Response>((resolve, reject) => {
      this.pending.push({
        correlationId,
        apiKey: spec.apiKey,
        apiVersion: spec.apiVersion,
        decode: spec.decode,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
    });
  }

  /** Writes raw bytes as they are (no framing): for tests that send malformed input. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private writeFrame(chunks: Buffer[]): void {
    let size = 0;
    for (const chunk of chunks) size += chunk.length;
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size, 0);
    this.socket.cork();
    this.socket.write(prefix);
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) break;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const waiter = this.pending.shift();
      if (!waiter) {
        this.fail(new Error('response without a request'));
        return;
      }
      try {
        const reader = new Reader(frame);
        const header = decodeResponseHeader(reader, responseHeaderVersion(waiter.apiKey, waiter.apiVersion));
        if (header.correlationId !== waiter.correlationId) {
          throw new Error(`correlation id ${header.correlationId} does not match ${waiter.correlationId}`);
        }
        waiter.resolve(waiter.decode(reader, waiter.apiVersion));
      } catch (error) {
        waiter.reject(error as Error);
      }
    }
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }
}
