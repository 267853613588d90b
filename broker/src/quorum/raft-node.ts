/**
 * The driver of one Raft voter in a real process: it feeds the pure replica (raft/raft-replica.ts)
 * with requests from the controller listener, responses from the other voters and timer ticks,
 * and carries out its outputs under the replica's DURABILITY CONTRACT:
 *
 * - one serial output queue: durable outputs (persist-quorum-state, append, truncate,
 *   truncate-prefix, install-snapshot) are awaited on the RaftStore in order; a `send`, `commit`
 *   or `load-snapshot` queued behind them is released only once they are durable. Inputs keep
 *   arriving while a flush runs; their outputs queue behind it. A failed durable write stops the
 *   process (fail-stop): the next start recovers from what is durable.
 * - one Scheduler timer at the replica's latest deadline (the `timer` output replaces it; it is
 *   armed at once, since arming a timer affects no one else).
 * - outbound requests go through the Transport port to the destination voter's CONTROLLER
 *   endpoint; a TransportError (connect, timeout, disconnect) drops the request, and the replica
 *   resends after controller.quorum.request.timeout.ms. A response is handed to the replica with
 *   the correlation id the replica gave its request. Responses are matched to requests by the
 *   transport, per connection and per process, so a response can never belong to a previous
 *   incarnation of this process or to another connection.
 * - inbound requests get a driver-unique correlation id; the replica's `send` of a response with
 *   that id resolves the waiting handler. Pending inbound requests are bounded and time out
 *   (REQUEST_TIMED_OUT) if the replica never answers; a late answer finds nothing and is dropped.
 * - committed entries are reported to `onCommit` listeners (the controller, later).
 */
import { assert } from '../io/assert.js';
import type { Logger } from '../io/logger.js';
import type { Scheduler } from '../io/scheduler.js';
import { TransportError, type Endpoint, type Transport } from '../io/transport.js';
import type { QuorumConfig } from '../config/quorum-config.js';
import { RaftReplica, type RaftConfig, type RaftOutput } from '../raft/raft-replica.js';
import { isRequest, type Envelope, type RaftEntry, type RaftRequest, type RaftResponse } from '../raft/raft-messages.js';
import type { RaftSnapshot } from '../raft/raft-log.js';
import { requestSpecFor } from '../raft/raft-wire.js';
import type { RaftStore } from '../raft/raft-store.js';
import type { DescribeQuorumResponsePartitionData } from '../protocol/generated/describe-quorum-response.js';

/** Inbound requests waiting for the replica's answer (parked Fetches count): a bound on what peers can make us hold. */
export const INBOUND_PENDING_MAX = 1024;
/** Kafka's Fetch MaxWaitMs for the metadata log (KafkaRaftClient: controller.quorum.fetch.timeout.ms / 2 capped at 500). */
const FETCH_MAX_WAIT_MS = 500;

export interface RaftNodeOptions {
  nodeId: number;
  clusterId: string;
  quorum: QuorumConfig;
  store: RaftStore;
  transport: Transport;
  scheduler: Scheduler;
  logger: Logger;
  /** Uniform in [0, 1) (Math.random in production; tests inject a seeded source). */
  random: () => number;
  /** A durable write failed: stop the process (BrokerContext.failStop). */
  failStop: (what: string, error: Error) => void;
}

export type CommitListener = (highWatermark: number, entries: readonly RaftEntry[]) => void;

interface PendingInbound {
  resolve: (response: RaftResponse | null) => void;
  cancelTimeout: () => void;
}

export class RaftNode {
  private readonly replica: RaftReplica;
  private readonly voterEndpoints = new Map<number, Endpoint>();
  private queue: Promise<void> = Promise.resolve();
  private cancelTimer: (() => void) | null = null;
  private readonly inbound = new Map<number, PendingInbound>();
  private nextInboundId = 1;
  private readonly commitListeners: CommitListener[] = [];
  private readonly snapshotListeners: ((snapshot: RaftSnapshot) => void)[] = [];
  private closed = false;
  private lastRole = '';

  private constructor(
    private readonly options: RaftNodeOptions,
    start: (nowMs: number) => { replica: RaftReplica; outputs: RaftOutput[] },
  ) {
    for (const voter of options.quorum.voters) this.voterEndpoints.set(voter.nodeId, { host: voter.host, port: voter.port });
    const { replica, outputs } = start(options.scheduler.nowMs());
    this.replica = replica;
    this.enqueue(outputs);
  }

  /** Loads the durable state and starts the replica (Kafka's KafkaRaftClient.initialize). */
  static async start(options: RaftNodeOptions): Promise<RaftNode> {
    const durable = await options.store.load();
    const config: RaftConfig = {
      nodeId: options.nodeId,
      voterIds: options.quorum.voters.map((v) => v.nodeId),
      electionTimeoutMs: options.quorum.electionTimeoutMs,
      fetchTimeoutMs: options.quorum.fetchTimeoutMs,
      electionBackoffMaxMs: options.quorum.electionBackoffMaxMs,
      electionBackoffBaseMs: 100,
      requestTimeoutMs: options.quorum.requestTimeoutMs,
      retryBackoffMs: options.quorum.retryBackoffMs,
      fetchMaxWaitMs: Math.min(FETCH_MAX_WAIT_MS, Math.floor(options.quorum.fetchTimeoutMs / 2)),
      maxFetchEntries: 4096,
      maxSnapshotChunkBytes: 1024 * 1024,
      maxUncommittedEntries: 65536,
      random: options.random,
    };
    options.logger.info('Raft metadata log loaded', {
      dir: options.store.dir,
      entries: durable.entries.length,
      quorumState: durable.quorumState,
      snapshot: durable.snapshot === null ? null : { endOffset: durable.snapshot.endOffset, epoch: durable.snapshot.epoch },
    });
    return new RaftNode(options, (nowMs) => RaftReplica.start(config, durable, nowMs));
  }

  get nodeId(): number {
    return this.options.nodeId;
  }
  get clusterId(): string {
    return this.options.clusterId;
  }
  get voterIds(): number[] {
    return [...this.voterEndpoints.keys()];
  }
  get leaderId(): number {
    return this.replica.leaderId;
  }
  get epoch(): number {
    return this.replica.epoch;
  }
  get role(): string {
    return this.replica.role;
  }
  get highWatermark(): number {
    return this.replica.highWatermark;
  }
  endpointOf(nodeId: number): Endpoint | undefined {
    return this.voterEndpoints.get(nodeId);
  }

  onCommit(listener: CommitListener): void {
    this.commitListeners.push(listener);
  }
  onLoadSnapshot(listener: (snapshot: RaftSnapshot) => void): void {
    this.snapshotListeners.push(listener);
  }

  describeQuorum(): DescribeQuorumResponsePartitionData {
    return this.replica.describeQuorum(this.options.scheduler.nowMs());
  }

  /**
   * A request from voter `from` (validated by raft-wire: cluster id, voter set). Resolves with
   * the replica's response, or null when it gave none in time (the handler answers
   * REQUEST_TIMED_OUT) or the node is closing.
   */
  handleRequest(from: number, message: RaftRequest): Promise<RaftResponse | null> {
    if (this.closed || this.inbound.size >= INBOUND_PENDING_MAX) return Promise.resolve(null);
    const correlationId = this.nextInboundId++;
    const waitMs = this.options.quorum.requestTimeoutMs + ('maxWaitMs' in message ? message.maxWaitMs : 0);
    return new Promise((resolve) => {
      const cancelTimeout = this.options.scheduler.after(waitMs, () => {
        if (this.inbound.delete(correlationId)) resolve(null);
      });
      this.inbound.set(correlationId, { resolve, cancelTimeout });
      this.input(() => this.replica.handle({ from, to: this.options.nodeId, correlationId, message }, this.options.scheduler.nowMs()));
    });
  }

  /** Appends opaque records (leader only; for the controller, next). */
  append(payloads: readonly Buffer[]): ReturnType<RaftReplica['append']>['result'] {
    const { result, outputs } = this.replica.append(payloads, this.options.scheduler.nowMs());
    this.enqueue(outputs);
    return result;
  }

  /** Graceful shutdown: resign if leader (EndQuorumEpoch), wait for the queue, stop timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.input(() => this.replica.resign(this.options.scheduler.nowMs()));
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    for (const [id, pending] of this.inbound) {
      pending.cancelTimeout();
      pending.resolve(null);
      this.inbound.delete(id);
    }
    await this.queue;
    await this.options.store.close();
  }

  private input(call: () => RaftOutput[]): void {
    if (this.closed) return;
    this.enqueue(call());
    const role = this.replica.role;
    if (role !== this.lastRole) {
      this.lastRole = role;
      this.options.logger.info('Raft role changed', { role, epoch: this.replica.epoch, leaderId: this.replica.leaderId });
    }
  }

  private enqueue(outputs: readonly RaftOutput[]): void {
    for (const output of outputs) {
      if (output.type === 'timer') {
        this.armTimer(output.deadlineMs);
        continue;
      }
      this.queue = this.queue.then(() => this.release(output));
    }
  }

  private armTimer(deadlineMs: number): void {
    this.cancelTimer?.();
    if (this.closed) return;
    const delayMs = Math.max(0, deadlineMs - this.options.scheduler.nowMs());
    this.cancelTimer = this.options.scheduler.after(delayMs, () => {
      this.cancelTimer = null;
      this.input(() => this.replica.tick(this.options.scheduler.nowMs()));
    });
  }

  private async release(output: Exclude<RaftOutput, { type: 'timer' }>): Promise<void> {
    const { store } = this.options;
    try {
      switch (output.type) {
        case 'persist-quorum-state':
          return await store.persistQuorumState(output.state);
        case 'append':
          return await store.append(output.entries);
        case 'truncate':
          return await store.truncate(output.endOffset);
        case 'truncate-prefix':
          return await store.truncatePrefix(output.logStartOffset);
        case 'install-snapshot':
          return await store.installSnapshot(output.snapshot);
        case 'send':
          return this.deliver(output.envelope);
        case 'commit':
          for (const listener of this.commitListeners) listener(output.highWatermark, output.entries);
          return;
        case 'load-snapshot':
          for (const listener of this.snapshotListeners) listener(output.snapshot);
          return;
      }
    } catch (error) {
      this.options.failStop(`Raft metadata log ${output.type} failed`, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private deliver(envelope: Envelope): void {
    const message = envelope.message;
    if (!isRequest(message)) {
      const pending = this.inbound.get(envelope.correlationId);
      if (pending === undefined) return; // timed out, or answered for a closed node
      this.inbound.delete(envelope.correlationId);
      pending.cancelTimeout();
      pending.resolve(message);
      return;
    }
    if (this.closed && message.kind !== 'EndQuorumEpoch') return;
    const endpoint = this.voterEndpoints.get(envelope.to);
    assert(endpoint !== undefined, `no endpoint for voter ${envelope.to}`);
    const spec = requestSpecFor(message, {
      clusterId: this.options.clusterId,
      destinationId: envelope.to,
      nowMs: this.options.scheduler.nowMs(),
    });
    const timeoutMs = this.options.quorum.requestTimeoutMs + ('maxWaitMs' in message ? message.maxWaitMs : 0);
    this.options.transport.send(endpoint, spec, timeoutMs).then(
      (response) => {
        if (response === null) return;
        this.input(() =>
          this.replica.handle(
            { from: envelope.to, to: this.options.nodeId, correlationId: envelope.correlationId, message: response },
            this.options.scheduler.nowMs(),
          ),
        );
      },
      (error: unknown) => {
        if (error instanceof TransportError) return; // the replica resends after its request timeout
        this.options.logger.warn('Raft request failed', { to: envelope.to, kind: message.kind, error: String(error) });
      },
    );
  }
}
