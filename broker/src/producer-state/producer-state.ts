/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager / ProducerAppendInfo /
 * ProducerStateEntry; PROTOCOL.md §4.2). Pure: no I/O, no clock; the log feeds it batch headers
 * and the current time, and persists `encodeProducerSnapshot` output.
 *
 * Per producer id we keep the epoch and the metadata of its last `BATCHES_RETAINED_MAX` batches.
 * `checkAndUpdate` decides, in Kafka's order:
 *   1. duplicate: same epoch and (firstSeq, lastSeq) equal one of the retained batches ->
 *      nothing is appended; the caller answers with the ORIGINAL offsets;
 *   2. epoch < stored epoch -> INVALID_PRODUCER_EPOCH (47);
 *   3. sequence: a new epoch must start at 0 (unless no epoch is known); the same epoch must
 *      continue at lastSeq + 1 (wrapping Int32.MAX -> 0); otherwise OUT_OF_ORDER_SEQUENCE_NUMBER
 *      (45). A producer with no state (never seen, expired, or deleted) may start at any sequence.
 * Batches with producerId < 0 carry no producer state and must not be passed in.
 *
 * Producer ids are JS numbers: exact up to 2^53, which every id Fjord's InitProducerId issues is.
 */

export const BATCHES_RETAINED_MAX = 5; // Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const INT32_MAX = 0x7fffffff;

const ERROR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const ERROR_INVALID_PRODUCER_EPOCH = 47;

/** The header facts of one batch that producer state needs. */
export interface ProducerBatchInfo {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  /** Batch maxTimestamp (ms); also the producer's "last seen" time for expiration, as in Kafka. */
  maxTimestampMs: number;
}

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  lastOffset: number;
  offsetDelta: number;
  timestampMs: number;
}

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first, at most BATCHES_RETAINED_MAX. */
  batches: BatchMetadata[];
  lastTimestampMs: number;
  /** Reserved for transactions (always -1 for now); kept in snapshots. */
  coordinatorEpoch: number;
  currentTxnFirstOffset: number;
}

export type ProducerCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number; lastOffset: number; timestampMs: number }
  | { kind: 'error'; errorCode: number; errorMessage: string };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

const APPEND: ProducerCheck = { kind: 'append' };

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  constructor(private producerIdExpirationMs: number) {}

  get producerCount(): number {
    return this.producers.size;
  }

  updateConfig(producerIdExpirationMs: number): void {
    this.producerIdExpirationMs = producerIdExpirationMs;
  }

  entry(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  entries(): IterableIterator<Readonly<ProducerEntry>> {
    return this.producers.values();
  }

  /**
   * Validates `batch` and, if it is to be appended at `offsetIfAppended`, records it. Nothing
   * changes for duplicates and errors.
   */
  checkAndUpdate(batch: ProducerBatchInfo, offsetIfAppended: number): ProducerCheck {
    const check = this.check(batch);
    if (check.kind === 'append') this.update(batch, offsetIfAppended);
    return check;
  }

  check(batch: ProducerBatchInfo): ProducerCheck {
    const entry = this.producers.get(batch.producerId);
    if (entry === undefined) return APPEND;
    const lastSeq = incrementSequence(batch.baseSequence, batch.lastOffsetDelta);
    if (batch.producerEpoch === entry.producerEpoch) {
      for (const cached of entry.batches) {
        if (cached.firstSeq === batch.baseSequence && cached.lastSeq === lastSeq) {
          return {
            kind: 'duplicate',
            baseOffset: cached.lastOffset - cached.offsetDelta,
            lastOffset: cached.lastOffset,
            timestampMs: cached.timestampMs,
          };
        }
      }
    }
    if (batch.producerEpoch < entry.producerEpoch) {
      return {
        kind: 'error',
        errorCode: ERROR_INVALID_PRODUCER_EPOCH,
        errorMessage: `epoch ${batch.producerEpoch} of producer ${batch.producerId} is older than ${entry.producerEpoch}`,
      };
    }
    if (batch.producerEpoch !== entry.producerEpoch) {
      if (batch.baseSequence !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) {
        return outOfOrder(batch, `new epoch ${batch.producerEpoch} must start at sequence 0, got ${batch.baseSequence}`);
      }
      return APPEND;
    }
    const last = entry.batches[entry.batches.length - 1];
    const currentLastSeq = last === undefined ? NO_SEQUENCE : last.lastSeq;
    if (entry.producerEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, batch.baseSequence)) return APPEND;
    return outOfOrder(batch, `expected sequence ${incrementSequence(currentLastSeq, 1)}, got ${batch.baseSequence}`);
  }

  /** Records an appended batch without validation (log replay on open, like Kafka's loader). */
  update(batch: ProducerBatchInfo, baseOffset: number): void {
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      entry = {
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        batches: [],
        lastTimestampMs: batch.maxTimestampMs,
        coordinatorEpoch: -1,
        currentTxnFirstOffset: -1,
      };
      this.producers.set(batch.producerId, entry);
    }
    if (entry.producerEpoch !== batch.producerEpoch) {
      entry.producerEpoch = batch.producerEpoch;
      entry.batches = [];
    }
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: incrementSequence(batch.baseSequence, batch.lastOffsetDelta),
      lastOffset: baseOffset + batch.lastOffsetDelta,
      offsetDelta: batch.lastOffsetDelta,
      timestampMs: batch.maxTimestampMs,
    });
    if (entry.batches.length > BATCHES_RETAINED_MAX) entry.batches.shift();
    entry.lastTimestampMs = batch.maxTimestampMs;
  }

  /** Forgets producers idle for >= producer.id.expiration.ms; returns how many. */
  removeExpired(nowMs: number): number {
    let removed = 0;
    for (const [producerId, entry] of this.producers) {
      if (entry.currentTxnFirstOffset < 0 && nowMs - entry.lastTimestampMs >= this.producerIdExpirationMs) {
        this.producers.delete(producerId);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.producers.clear();
  }

  /** Replaces all state with `entries` (a decoded snapshot). */
  load(entries: readonly ProducerEntry[]): void {
    this.producers.clear();
    for (const entry of entries) {
      this.producers.set(entry.producerId, { ...entry, batches: entry.batches.map((b) => ({ ...b })) });
    }
  }
}

function outOfOrder(batch: ProducerBatchInfo, detail: string): ProducerCheck {
  return {
    kind: 'error',
    errorCode: ERROR_OUT_OF_ORDER_SEQUENCE_NUMBER,
    errorMessage: `out of order sequence for producer ${batch.producerId}: ${detail}`,
  };
}
