/**
 * A simulated KRaft quorum: N RaftReplicas (broker/src/raft/) on a SimNetwork, each with a
 * simulated disk, a state applier and a driver that keeps the durability contract, all driven by
 * one SeededRandom and the SimScheduler, so one seed replays one run.
 *
 * The driver (what the real network/disk driver must do, raft-replica.ts header):
 *   - durable writes (quorum state, log append/truncate, snapshot install) go to a pending queue
 *     and become durable when a flush completes, after a random disk latency;
 *   - sends, commits and snapshot loads queue behind the writes emitted before them and are
 *     released only when those are durable;
 *   - a crash keeps a random prefix of the pending writes (a flush may have been half done),
 *     loses the rest and everything queued behind them, resets the node's connections, and the
 *     node later restarts from its durable state.
 *
 * The checker (`RaftInvariants`) watches every step:
 *   election safety     at most one leader per epoch, ever;
 *   log matching        two logs with the same (offset, epoch) agree up to there, and an
 *                       (offset, epoch) never carries two payloads;
 *   leader completeness a new leader of epoch E holds every entry committed in epochs < E;
 *   commit durability   a committed (offset, epoch, payload) is never changed or lost: every
 *                       later commit, on every node, agrees with the history;
 *   monotonic HW        each node's released high watermark only grows, except across its own
 *                       restart (the metadata log's HW is not persisted in Kafka either: a
 *                       restarted node starts at its snapshot and relearns the HW from the leader);
 *   state-machine safety each node's applier (a rolling digest over applied entries, snapshotted
 *                       every few entries) has the same digest at the same offset as every other.
 */
import {
  RaftReplica,
  type RaftConfig,
  type RaftOutput,
  type RaftTestFaults,
  type QuorumState,
} from '../../broker/src/raft/raft-replica.js';
import type { RaftSnapshot } from '../../broker/src/raft/raft-log.js';
import { isRequest, type Envelope, type RaftEntry } from '../../broker/src/raft/raft-messages.js';
import { SimNetwork, type NetworkFaults } from './network.js';
import { SeededRandom } from './random.js';
import { SimScheduler } from './sim-scheduler.js';

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

function check(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new InvariantViolation(message());
}

/** Simulated timeouts: Kafka's ratios (fetch = 2 x election, backoff max = election), 10x shorter
 * in absolute terms so a seed covers many elections in little simulated time. */
export const SIM_TIMEOUTS = {
  electionTimeoutMs: 100,
  fetchTimeoutMs: 200,
  electionBackoffMaxMs: 100,
  electionBackoffBaseMs: 10,
  requestTimeoutMs: 100,
  retryBackoffMs: 10,
  fetchMaxWaitMs: 50,
} as const;

const MAX_STEPS_PER_SEED = 200_000;
/** Requests a node remembers the requester's life for (a leader answers within a fetch wait). */
const MAX_REMEMBERED_REQUESTS = 4096;

interface SimMessage {
  envelope: Envelope;
  requesterLife: number;
}

interface DurableDisk {
  quorumState: QuorumState | null;
  snapshot: RaftSnapshot | null;
  entries: RaftEntry[];
}

type Queued = { write: RaftOutput } | { effect: RaftOutput };

/** The applier's state: next offset to apply, and a digest of everything applied. */
interface ApplierState {
  nextOffset: number;
  lastEpoch: number;
  digest: number;
}

function digestStep(digest: number, entry: RaftEntry): number {
  let h = (digest ^ entry.epoch) >>> 0;
  for (const byte of entry.payload) h = Math.imul(h ^ byte, 16777619) >>> 0;
  return Math.imul(h ^ entry.offset, 2246822519) >>> 0;
}

class SimRaftNode {
  replica: RaftReplica | null = null;
  readonly disk: DurableDisk = { quorumState: null, snapshot: null, entries: [] };
  private queue: Queued[] = [];
  private unflushedWrites = 0;
  private flushScheduled = false;
  private cancelTimer: (() => void) | null = null;
  applier: ApplierState = { nextOffset: 0, lastEpoch: 0, digest: 0 };
  releasedHw = 0;
  appliedSinceSnapshot = 0;
  /** Bumped at each crash, so callbacks scheduled for an earlier life do nothing. */
  life = 0;
  /** Stays down from now on (a machine that is gone): no restart brings it back. */
  gone = false;

  constructor(
    readonly id: number,
    private readonly cluster: RaftCluster,
  ) {}

  get up(): boolean {
    return this.replica !== null;
  }

  start(): void {
    if (this.gone) return;
    const { replica, outputs } = RaftReplica.start(this.cluster.configFor(this.id), this.disk, this.cluster.scheduler.nowMs());
    this.replica = replica;
    this.applier = { nextOffset: 0, lastEpoch: 0, digest: 0 };
    this.releasedHw = 0;
    this.appliedSinceSnapshot = 0;
    this.process(outputs);
  }

  crash(random: SeededRandom): void {
    if (this.replica === null) return;
    // A random prefix of the pending writes made it to disk; the rest, and every effect queued
    // behind the first lost write, is gone.
    const writes = this.queue.filter((q): q is { write: RaftOutput } => 'write' in q);
    const kept = random.int(writes.length + 1);
    for (const q of writes.slice(0, kept)) this.applyDurably(q.write);
    this.queue = [];
    this.unflushedWrites = 0;
    this.flushScheduled = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.replica = null;
    this.life++;
    this.cluster.network.resetConnections(this.id);
  }

  /** Runs one replica input and routes its outputs. */
  step(run: (replica: RaftReplica) => RaftOutput[]): void {
    const replica = this.replica;
    if (replica === null) return;
    this.cluster.countStep();
    const roleBefore = replica.role;
    const outputs = run(replica);
    if (replica.role === 'Leader') this.cluster.invariants.onLeader(this, roleBefore !== 'Leader');
    this.process(outputs);
  }

  process(outputs: readonly RaftOutput[]): void {
    for (const out of outputs) {
      switch (out.type) {
        case 'timer':
          this.armTimer(out.deadlineMs);
          break;
        case 'send':
        case 'commit':
        case 'load-snapshot':
          if (this.unflushedWrites === 0 || this.cluster.releaseBeforeDurable) this.release(out);
          else this.queue.push({ effect: out });
          break;
        default:
          if (out.type === 'append') this.cluster.invariants.onAppend(out.entries);
          this.queue.push({ write: out });
          this.unflushedWrites++;
          this.scheduleFlush();
      }
    }
  }

  private armTimer(deadlineMs: number): void {
    this.cancelTimer?.();
    const life = this.life;
    this.cancelTimer = this.cluster.scheduler.after(deadlineMs - this.cluster.scheduler.nowMs(), () => {
      if (life !== this.life) return;
      this.cancelTimer = null;
      this.step((r) => r.tick(this.cluster.scheduler.nowMs()));
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const life = this.life;
    this.cluster.scheduler.after(this.cluster.random.between(0, this.cluster.maxFlushMs), () => {
      if (life !== this.life) return;
      this.flushScheduled = false;
      const queue = this.queue;
      this.queue = [];
      this.unflushedWrites = 0;
      for (const q of queue) {
        if ('write' in q) this.applyDurably(q.write);
        else this.release(q.effect);
      }
    });
  }

  private applyDurably(out: RaftOutput): void {
    const d = this.disk;
    switch (out.type) {
      case 'persist-quorum-state':
        d.quorumState = out.state;
        break;
      case 'append': {
        const end = d.entries.length === 0 ? (d.snapshot?.endOffset ?? 0) : d.entries[d.entries.length - 1]!.offset + 1;
        check(
          out.entries[0]!.offset === end,
          () => `node ${this.id}: durable append at ${out.entries[0]!.offset}, disk log ends at ${end}`,
        );
        d.entries.push(...out.entries);
        break;
      }
      case 'truncate':
        d.entries = d.entries.filter((e) => e.offset < out.endOffset);
        break;
      case 'truncate-prefix':
        d.entries = d.entries.filter((e) => e.offset >= out.logStartOffset);
        break;
      case 'install-snapshot':
        d.snapshot = out.snapshot;
        d.entries = [];
        break;
      default:
        throw new Error(`not a write: ${out.type}`);
    }
  }

  /** Which life of each requester sent the requests this node has received, by (from, id). */
  private readonly requesterLife = new Map<string, number>();

  /** A request carries its sender's life; a response carries the life of the process that sent
   * the request, so a response to a request from before a crash is lost like the connection it
   * belonged to (correlation ids restart at 0 in the new process). */
  private stamp(envelope: Envelope): SimMessage {
    if (isRequest(envelope.message)) return { envelope, requesterLife: this.life };
    const key = `${envelope.to}:${envelope.correlationId}`;
    const life = this.requesterLife.get(key) ?? -1;
    this.requesterLife.delete(key);
    return { envelope, requesterLife: life };
  }

  receive(m: SimMessage): void {
    if (this.replica === null) return;
    if (isRequest(m.envelope.message)) {
      if (this.requesterLife.size >= MAX_REMEMBERED_REQUESTS) this.requesterLife.clear();
      this.requesterLife.set(`${m.envelope.from}:${m.envelope.correlationId}`, m.requesterLife);
    } else if (m.requesterLife !== this.life) {
      return;
    }
    this.step((r) => r.handle(m.envelope, this.cluster.scheduler.nowMs()));
  }

  private release(out: RaftOutput): void {
    switch (out.type) {
      case 'send':
        this.cluster.network.send(out.envelope.from, out.envelope.to, this.stamp(out.envelope));
        break;
      case 'commit':
        this.cluster.invariants.onCommit(this, out.highWatermark, out.entries);
        break;
      case 'load-snapshot':
        this.cluster.invariants.onLoadSnapshot(this, out.snapshot);
        break;
      default:
        throw new Error(`not an effect: ${out.type}`);
    }
  }

  /** The applier snapshots every few entries; the snapshot is durable before raft hears of it. */
  maybeSnapshot(): void {
    if (this.appliedSinceSnapshot < this.cluster.snapshotEveryEntries) return;
    this.appliedSinceSnapshot = 0;
    const life = this.life;
    const a = { ...this.applier };
    this.cluster.scheduler.after(0, () => {
      if (life !== this.life || this.replica === null) return;
      if (a.nextOffset <= (this.disk.snapshot?.endOffset ?? 0)) return;
      const snapshot: RaftSnapshot = { endOffset: a.nextOffset, epoch: a.lastEpoch, data: Buffer.from(JSON.stringify(a)) };
      this.disk.snapshot = snapshot;
      this.step((r) => r.snapshotCreated(snapshot, this.cluster.scheduler.nowMs()));
    });
  }
}

export class RaftInvariants {
  /** Leader per epoch, ever. */
  private readonly leaders = new Map<number, number>();
  /** The committed history by offset: the entry, the applier digest after it, and the epoch of
   * the node that first released its commit (the entry committed in that epoch or earlier). */
  readonly committed: { epoch: number; payload: Buffer; digestAfter: number; commitEpoch: number }[] = [];
  /** Payload per (offset, epoch) ever appended anywhere. */
  private readonly appended = new Map<string, Buffer>();

  constructor(private readonly nodes: () => readonly SimRaftNode[]) {}

  onLeader(node: SimRaftNode, elected: boolean): void {
    const r = node.replica!;
    const existing = this.leaders.get(r.epoch);
    check(
      existing === undefined || existing === node.id,
      () => `election safety: nodes ${existing} and ${node.id} both lead epoch ${r.epoch}`,
    );
    this.leaders.set(r.epoch, node.id);
    if (!elected) return;
    const log = r.raftLog;
    // Raft's property: a leader of epoch E holds every entry committed in an epoch below E. (A
    // candidate's votes may arrive after a later epoch has committed more; those are exempt.)
    for (let offset = log.startOffset; offset < this.committed.length; offset++) {
      const entry = log.entryAt(offset);
      const c = this.committed[offset]!;
      if (c.commitEpoch >= r.epoch) continue;
      check(
        entry !== undefined && entry.epoch === c.epoch && entry.payload.equals(c.payload),
        () =>
          `leader completeness: node ${node.id}, leader of epoch ${r.epoch}, lacks committed offset ${offset} (epoch ${c.epoch}); its log ends at ${log.endOffset}`,
      );
    }
  }

  onAppend(entries: readonly RaftEntry[]): void {
    for (const e of entries) {
      const key = `${e.offset}:${e.epoch}`;
      const seen = this.appended.get(key);
      check(
        seen === undefined || seen.equals(e.payload),
        () => `log matching: two different entries at offset ${e.offset} epoch ${e.epoch}`,
      );
      if (seen === undefined) this.appended.set(key, e.payload);
    }
  }

  onCommit(node: SimRaftNode, highWatermark: number, entries: readonly RaftEntry[]): void {
    check(highWatermark > node.releasedHw, () => `monotonic HW: node ${node.id} committed ${highWatermark} after ${node.releasedHw}`);
    node.releasedHw = highWatermark;
    for (const e of entries) {
      check(e.offset === node.applier.nextOffset, () => `node ${node.id} applies offset ${e.offset}, expected ${node.applier.nextOffset}`);
      const digest = digestStep(node.applier.digest, e);
      const c = this.committed[e.offset];
      if (c === undefined) {
        check(e.offset === this.committed.length, () => `commit gap at ${e.offset}`);
        this.committed.push({ epoch: e.epoch, payload: e.payload, digestAfter: digest, commitEpoch: node.replica!.epoch });
      } else {
        check(
          c.epoch === e.epoch && c.payload.equals(e.payload),
          () => `committed entry changed: offset ${e.offset} was (epoch ${c.epoch}), node ${node.id} commits (epoch ${e.epoch})`,
        );
        check(c.digestAfter === digest, () => `state-machine safety: node ${node.id} digest differs at offset ${e.offset}`);
      }
      node.applier = { nextOffset: e.offset + 1, lastEpoch: e.epoch, digest };
      node.appliedSinceSnapshot++;
    }
    check(node.applier.nextOffset === highWatermark, () => `node ${node.id} applied to ${node.applier.nextOffset}, HW ${highWatermark}`);
    node.maybeSnapshot();
  }

  onLoadSnapshot(node: SimRaftNode, snapshot: RaftSnapshot): void {
    const state = JSON.parse(snapshot.data.toString()) as ApplierState;
    check(state.nextOffset === snapshot.endOffset, () => `snapshot ${snapshot.endOffset} holds state at ${state.nextOffset}`);
    check(
      snapshot.endOffset > node.releasedHw || node.releasedHw === 0,
      () => `node ${node.id} loads snapshot ${snapshot.endOffset} at HW ${node.releasedHw}`,
    );
    const c = this.committed[snapshot.endOffset - 1];
    check(c !== undefined, () => `node ${node.id} loads snapshot ${snapshot.endOffset} beyond the committed history`);
    check(
      c.digestAfter === state.digest && c.epoch === snapshot.epoch,
      () => `state-machine safety: snapshot at ${snapshot.endOffset} differs from the history`,
    );
    node.applier = state;
    node.releasedHw = snapshot.endOffset;
  }

  /** Log matching across the live nodes' in-memory logs. */
  checkLogMatching(): void {
    const logs = this.nodes()
      .filter((n) => n.up)
      .map((n) => ({ id: n.id, log: n.replica!.raftLog }));
    for (let i = 0; i < logs.length; i++) {
      for (let j = i + 1; j < logs.length; j++) {
        const a = logs[i]!;
        const b = logs[j]!;
        const from = Math.max(a.log.startOffset, b.log.startOffset);
        const to = Math.min(a.log.endOffset, b.log.endOffset);
        let matchEnd = -1;
        for (let o = to - 1; o >= from; o--) {
          if (a.log.entryAt(o)!.epoch === b.log.entryAt(o)!.epoch) {
            matchEnd = o;
            break;
          }
        }
        for (let o = from; o <= matchEnd; o++) {
          const x = a.log.entryAt(o)!;
          const y = b.log.entryAt(o)!;
          check(
            x.epoch === y.epoch && x.payload.equals(y.payload),
            () => `log matching: nodes ${a.id} and ${b.id} agree at ${matchEnd} but differ at ${o}`,
          );
        }
      }
    }
  }
}

export interface ClusterOptions {
  seed: number;
  nodeCount: number;
  testFaults?: RaftTestFaults;
  /** A driver bug for the simulator's self-test: send and commit without waiting for the flush. */
  releaseBeforeDurable?: boolean;
}

export class RaftCluster {
  readonly random: SeededRandom;
  readonly scheduler = new SimScheduler();
  readonly network: SimNetwork<SimMessage>;
  readonly nodes: SimRaftNode[];
  readonly invariants: RaftInvariants;
  readonly maxFlushMs = 3;
  readonly snapshotEveryEntries: number;
  readonly releaseBeforeDurable: boolean;
  private readonly nodeRandom: Map<number, SeededRandom>;
  private readonly voterIds: number[];
  private clientCounter = 0;
  private steps = 0;

  constructor(private readonly options: ClusterOptions) {
    this.random = new SeededRandom(options.seed);
    this.releaseBeforeDurable = options.releaseBeforeDurable === true;
    this.voterIds = Array.from({ length: options.nodeCount }, (_, i) => i + 1);
    this.nodeRandom = new Map(this.voterIds.map((id) => [id, this.random.fork()]));
    this.snapshotEveryEntries = this.random.between(5, 40);
    this.network = new SimNetwork<SimMessage>(this.scheduler, this.random.fork(), (_from, to, message) => {
      this.node(to).receive(message);
      if (this.network.delivered % 64 === 0) this.invariants.checkLogMatching();
    });
    this.nodes = this.voterIds.map((id) => new SimRaftNode(id, this));
    this.invariants = new RaftInvariants(() => this.nodes);
  }

  /** A replica that re-arms a timer for `now` without changing state would spin forever at one
   * simulated instant; a budget of inputs per seed turns that into a failure. */
  countStep(): void {
    this.steps++;
    check(
      this.steps <= MAX_STEPS_PER_SEED,
      () => `more than ${MAX_STEPS_PER_SEED} replica inputs in one seed: a busy loop at ${this.scheduler.nowMs()}?`,
    );
  }

  configFor(id: number): RaftConfig {
    const random = this.nodeRandom.get(id)!;
    return {
      nodeId: id,
      voterIds: this.voterIds,
      ...SIM_TIMEOUTS,
      maxFetchEntries: 8,
      maxSnapshotChunkBytes: 32,
      maxUncommittedEntries: 256,
      random: () => random.next(),
      ...(this.options.testFaults !== undefined ? { testFaults: this.options.testFaults } : {}),
    };
  }

  node(id: number): SimRaftNode {
    return this.nodes[id - 1]!;
  }

  majoritySize(): number {
    return Math.floor(this.voterIds.length / 2) + 1;
  }

  leaders(): SimRaftNode[] {
    return this.nodes.filter((n) => n.replica?.role === 'Leader');
  }

  startAll(): void {
    for (const n of this.nodes) n.start();
  }

  /** A client appends one unique payload through whichever node claims to lead. */
  clientAppend(): { node: SimRaftNode; epoch: number; offset: number; payload: Buffer } | null {
    // Mostly through a node that claims to lead; sometimes through any node (NOT_LEADER).
    const leaders = this.leaders();
    const leader = leaders.length > 0 && this.random.chance(0.8) ? this.random.pick(leaders) : this.random.pick(this.nodes);
    if (!leader.up) return null;
    const payload = Buffer.from(`c${this.clientCounter++}`);
    let offset = -1;
    leader.step((r) => {
      const { result, outputs } = r.append([payload], this.scheduler.nowMs());
      if ('offset' in result) offset = result.offset;
      return outputs;
    });
    return offset < 0 ? null : { node: leader, epoch: leader.replica!.epoch, offset, payload };
  }

  /** Chaos: random partitions, crashes, restarts, lossy links, resignations, client load. */
  runChaos(durationMs: number): void {
    const endMs = this.scheduler.nowMs() + durationMs;
    const r = this.random;
    const faults = (): NetworkFaults => ({
      dropRate: r.pick([0, 0.01, 0.05, 0.2]),
      duplicateRate: r.pick([0, 0.02, 0.1]),
      minDelayMs: 0,
      maxDelayMs: r.pick([2, 5, 15]),
      slowRate: r.pick([0, 0.02, 0.1]),
      slowDelayMs: r.between(10, 150),
    });
    this.network.setFaults(faults());
    const scheduleFault = (): void => {
      this.scheduler.after(r.between(20, 250), () => {
        if (this.scheduler.nowMs() >= endMs) return;
        this.injectFault(faults);
        scheduleFault();
      });
    };
    const scheduleClient = (): void => {
      this.scheduler.after(r.between(2, 30), () => {
        if (this.scheduler.nowMs() >= endMs) return;
        this.clientAppend();
        scheduleClient();
      });
    };
    scheduleFault();
    scheduleClient();
    this.scheduler.runUntil(() => false, endMs);
  }

  private injectFault(faults: () => NetworkFaults): void {
    const r = this.random;
    const choice = r.int(8);
    if (choice === 0) {
      const shuffled = r.shuffled(this.voterIds);
      const cut = r.between(1, shuffled.length - 1);
      this.network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
    } else if (choice === 1) {
      this.network.heal();
    } else if (choice === 2 || choice === 3) {
      const victim = r.pick(choice === 2 && this.leaders().length > 0 ? this.leaders() : this.nodes);
      victim.crash(r);
      const life = victim.life;
      this.scheduler.after(r.between(10, 300), () => {
        if (victim.life === life && !victim.up) victim.start();
      });
    } else if (choice === 4) {
      this.network.setFaults(faults());
    } else if (choice === 5) {
      const leader = this.leaders()[0];
      leader?.step((rep) => rep.resign(this.scheduler.nowMs()));
    } else {
      // Quiet spell: nothing new this time.
    }
  }

  /** Heals everything, restarts crashed nodes, then waits (bounded) for a leader that commits a
   * fresh client append. Returns the simulated time it took, or throws. */
  healAndCheckLiveness(boundMs: number, goneCount = 0): number {
    const startMs = this.scheduler.nowMs();
    // A minority may be gone for good (the leader first, if there is one): the rest must elect
    // and commit without them, as they must when a machine dies.
    check(goneCount <= this.voterIds.length - this.majoritySize(), () => `${goneCount} gone nodes leave no majority`);
    const candidates = [...this.leaders(), ...this.random.shuffled(this.nodes)];
    for (const n of candidates) {
      if (this.nodes.filter((x) => x.gone).length >= goneCount) break;
      if (n.gone) continue;
      n.crash(this.random);
      n.gone = true;
    }
    this.network.heal();
    this.network.setFaults({ dropRate: 0, duplicateRate: 0, minDelayMs: 0, maxDelayMs: 3, slowRate: 0, slowDelayMs: 0 });
    for (const n of this.nodes) if (!n.up) n.start();
    let pending: { node: SimRaftNode; epoch: number; offset: number; payload: Buffer } | null = null;
    const committed = (): boolean => {
      if (pending !== null) {
        const c = this.invariants.committed[pending.offset];
        if (c !== undefined && c.payload.equals(pending.payload)) return true;
        // Lost with its leader (never committed): append again through the new one.
        const r = pending.node.replica;
        if (c !== undefined || r === null || r.role !== 'Leader' || r.epoch !== pending.epoch) pending = null;
      }
      if (pending === null && this.leaders().length > 0) pending = this.clientAppend();
      return false;
    };
    const deadline = startMs + boundMs;
    while (!committed()) {
      check(this.scheduler.nowMs() < deadline, () => `liveness: no client append committed within ${boundMs} ms after healing`);
      this.scheduler.runUntil(() => false, Math.min(deadline, this.scheduler.nowMs() + 5));
    }
    this.invariants.checkLogMatching();
    return this.scheduler.nowMs() - startMs;
  }
}

/** One seed's run: chaos, then heal and liveness. Odd seeds run 3 nodes, even seeds 5. Returns
 * the simulated ms from healing to the first committed client append. */
export function runRaftSeed(seed: number, faults: Omit<ClusterOptions, 'seed' | 'nodeCount'> = {}, chaosMs = 2_000): number {
  const nodeCount = seed % 2 === 1 ? 3 : 5;
  const cluster = new RaftCluster({ seed, nodeCount, ...faults });
  cluster.startAll();
  cluster.runChaos(chaosMs);
  // Every third seed heals with a minority gone for good (the leader among them when there is one).
  const goneCount = seed % 3 === 0 ? Math.floor((nodeCount - 1) / 2) : 0;
  return cluster.healAndCheckLiveness(LIVENESS_BOUND_MS, goneCount);
}

/** After healing, a client append must commit within this much simulated time. */
export const LIVENESS_BOUND_MS = 5_000;
