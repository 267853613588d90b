import type { Socket } from 'node:net';

/**
 * One client connection: splits the TCP stream into Kafka frames (int32 size + payload), hands
 * each frame to the dispatcher, and writes responses strictly in request order (clients match
 * responses FIFO). Requests may complete out of order (a long-polling Fetch behind a Produce);
 * finished responses wait in their slot until every earlier one has been written.
 *
 * Limits: a frame larger than `requestSizeBytesMax` closes the connection (Kafka does the same);
 * at most `inflightRequestsMax` requests are being processed, and while the socket's write buffer
 * is above `writeBufferBytesMax`, the connection stops reading (back-pressure to the client).
 */
export type DispatchOutcome =
  /**
   * `release`: called once `chunks` are in the kernel (the socket write completed) or will never
   * be written (the connection closed first); until then the chunks' memory must stay intact
   * (they may be views of pooled read buffers).
   */
  { kind: 'response'; chunks: Buffer[]; release?: () => void } | { kind: 'none' } | { kind: 'close'; reason: string };

export interface ConnectionInfo {
  id: number;
  remoteAddress: string;
  remotePort: number;
}

export interface Dispatcher {
  dispatch(frame: Buffer, connection: ConnectionInfo): DispatchOutcome | Promise<DispatchOutcome>;
}

export interface ConnectionLimits {
  requestSizeBytesMax: number;
  inflightRequestsMax: number;
  writeBufferBytesMax: number;
  idleMsMax: number;
}

interface Slot {
  outcome: DispatchOutcome | null;
}

const FRAME_SIZE_PREFIX_BYTES = 4;
/** How long a closing connection may take to flush its last responses. */
const GRACEFUL_CLOSE_MS_MAX = 5000;

export class Connection {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly slots: Slot[] = [];
  private inflight = 0;
  private closed = false;
  private readingPaused = false;
  /** The socket is corked until the end of the current tick (see flushSlots). */
  private corked = false;
  /** Set once a frame is refused: nothing more is read; earlier requests are still answered. */
  private stopReading = false;
  /** True while drainFrames runs, so synchronous completions don't recurse into it. */
  private draining = false;
  readonly info: ConnectionInfo;

  constructor(
    private readonly socket: Socket,
    id: number,
    private readonly dispatcher: Dispatcher,
    private readonly limits: ConnectionLimits,
    private readonly onClose: (connection: Connection, reason: string) => void,
  ) {
    this.info = { id, remoteAddress: socket.remoteAddress ?? '?', remotePort: socket.remotePort ?? 0 };
    socket.setNoDelay(true);
    if (limits.idleMsMax > 0) {
      socket.setTimeout(limits.idleMsMax, () => this.close('idle timeout'));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateReading());
    socket.on('error', (error) => this.close(`socket error: ${error.message}`));
    socket.on('close', () => this.close('closed by peer'));
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.dropSlots();
    this.socket.destroy();
    this.onClose(this, reason);
  }

  /**
   * Closes after the responses already written reach the client (Kafka answers the requests
   * before a malformed one, then closes). A peer that stops reading is cut off after a grace period.
   */
  private closeGracefully(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.dropSlots();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), GRACEFUL_CLOSE_MS_MAX).unref();
    this.onClose(this, reason);
  }

  /** Forgets the queued responses; finished ones that will never be written are released. */
  private dropSlots(): void {
    for (const slot of this.slots) if (slot.outcome?.kind === 'response') slot.outcome.release?.();
    this.slots.length = 0;
  }

  /** Ends the connection after flushing what is already written (used at shutdown). */
  end(): void {
    if (this.closed) return;
    this.socket.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.stopReading) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.drainFrames();
  }

  private drainFrames(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainFramesLoop();
    } finally {
      this.draining = false;
    }
    this.updateReading();
  }

  private drainFramesLoop(): void {
    while (!this.closed && !this.stopReading && this.inflight < this.limits.inflightRequestsMax) {
      if (this.pendingBytes < FRAME_SIZE_PREFIX_BYTES) break;
      const frameSize = this.peekInt32();
      if (frameSize < 0 || frameSize > this.limits.requestSizeBytesMax) {
        // The requests before this frame are still answered; the slot closes after them.
        this.pending.length = 0;
        this.pendingBytes = 0;
        this.slots.push({
          outcome: {
            kind: 'close',
            reason: `frame size ${frameSize} is outside 0..${this.limits.requestSizeBytesMax} (socket.request.max.bytes)`,
          },
        });
        this.stopReading = true;
        this.flushSlots();
        return;
      }
      if (this.pendingBytes < FRAME_SIZE_PREFIX_BYTES + frameSize) break;
      this.consume(FRAME_SIZE_PREFIX_BYTES);
      const frame = this.consume(frameSize);
      this.startRequest(frame);
    }
  }

  private startRequest(frame: Buffer): void {
    const slot: Slot = { outcome: null };
    this.slots.push(slot);
    this.inflight++;
    let result: DispatchOutcome | Promise<DispatchOutcome>;
    try {
      result = this.dispatcher.dispatch(frame, this.info);
    } catch (error) {
      result = { kind: 'close', reason: `request failed: ${(error as Error).message}` };
    }
    if (result instanceof Promise) {
      result.then(
        (outcome) => this.complete(slot, outcome),
        (error: Error) => this.complete(slot, { kind: 'close', reason: `request failed: ${error.stack ?? error.message}` }),
      );
    } else {
      this.complete(slot, result);
    }
  }

  private complete(slot: Slot, outcome: DispatchOutcome): void {
    if (this.closed) {
      if (outcome.kind === 'response') outcome.release?.();
      return;
    }
    slot.outcome = outcome;
    this.inflight--;
    this.flushSlots();
    this.drainFrames();
  }

  /**
   * Writes finished responses from the head of the queue. The socket stays corked until the
   * current tick's promise callbacks have run (process.nextTick), so responses that complete
   * together — e.g. pipelined produces acknowledged by one file write — leave in one writev.
   */
  private flushSlots(): void {
    while (this.slots.length > 0 && this.slots[0]!.outcome !== null && !this.closed) {
      const outcome = this.slots.shift()!.outcome!;
      if (outcome.kind === 'close') {
        this.uncorkNow();
        this.closeGracefully(outcome.reason);
        return;
      }
      if (outcome.kind === 'none') continue;
      if (!this.corked) {
        this.socket.cork();
        this.corked = true;
        process.nextTick(() => this.uncorkNow());
      }
      let size = 0;
      for (const chunk of outcome.chunks) size += chunk.length;
      const prefix = Buffer.allocUnsafe(FRAME_SIZE_PREFIX_BYTES);
      prefix.writeInt32BE(size, 0);
      this.socket.write(prefix);
      const { chunks, release } = outcome;
      for (let i = 0; i < chunks.length; i++) {
        // Writes complete in order, so the last one's callback means all of them are done
        // (it also runs, with an error, when the socket is destroyed first).
        if (release !== undefined && i === chunks.length - 1) this.socket.write(chunks[i]!, () => release());
        else this.socket.write(chunks[i]!);
      }
      if (release !== undefined && chunks.length === 0) release();
    }
  }

  private uncorkNow(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private updateReading(): void {
    if (this.closed) return;
    const shouldPause =
      this.stopReading || this.inflight >= this.limits.inflightRequestsMax || this.socket.writableLength > this.limits.writeBufferBytesMax;
    if (shouldPause && !this.readingPaused) {
      this.socket.pause();
      this.readingPaused = true;
    } else if (!shouldPause && this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
      // Frames may already be buffered; parse them without waiting for more bytes.
      if (this.pendingBytes > 0) queueMicrotask(() => this.drainFrames());
    }
  }

  private peekInt32(): number {
    const first = this.pending[0]!;
    if (first.length >= FRAME_SIZE_PREFIX_BYTES) return first.readInt32BE(0);
    const bytes = Buffer.allocUnsafe(FRAME_SIZE_PREFIX_BYTES);
    let filled = 0;
    for (const chunk of this.pending) {
      const take = Math.min(chunk.length, FRAME_SIZE_PREFIX_BYTES - filled);
      chunk.copy(bytes, filled, 0, take);
      filled += take;
      if (filled === FRAME_SIZE_PREFIX_BYTES) break;
    }
    return bytes.readInt32BE(0);
  }

  /** Takes `size` bytes from the front: a zero-copy slice when they lie in one chunk, else one copy. */
  private consume(size: number): Buffer {
    this.pendingBytes -= size;
    const first = this.pending[0];
    if (size === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= size) {
      const out = first.subarray(0, size);
      if (first.length === size) this.pending.shift();
      else this.pending[0] = first.subarray(size);
      return out;
    }
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.pending[0]!;
      const take = Math.min(chunk.length, size - filled);
      chunk.copy(out, filled, 0, take);
      filled += take;
      if (take === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(take);
    }
    return out;
  }
}
