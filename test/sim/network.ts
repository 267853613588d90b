/**
 * A simulated network between numbered nodes, driven by the SimScheduler and one SeededRandom:
 * each message is dropped, delayed (so reordered) or duplicated at random, partitions block
 * links both ways until healed, and a node's crash resets its connections: messages in flight
 * to or from it are lost, as a TCP connection reset loses them (so a response to a request sent
 * before a crash never reaches the restarted process). Generic in the message type.
 */
import type { SeededRandom } from './random.js';
import type { SimScheduler } from './sim-scheduler.js';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a message takes `slowDelayMs` extra (reorders it behind later ones). */
  slowRate: number;
  slowDelayMs: number;
}

export const RELIABLE: NetworkFaults = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 3, slowRate: 0, slowDelayMs: 0 };

export class SimNetwork<M> {
  private faults: NetworkFaults = RELIABLE;
  /** Group id per node while partitioned; nodes in different groups cannot talk. */
  private groupOf = new Map<number, number>();
  /** Bumped when a node crashes: messages sent to or from an earlier incarnation are not delivered. */
  private readonly incarnation = new Map<number, number>();
  sent = 0;
  delivered = 0;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly random: SeededRandom,
    private readonly deliver: (from: number, to: number, message: M) => void,
  ) {}

  setFaults(faults: NetworkFaults): void {
    this.faults = faults;
  }

  /** Splits the nodes into groups that cannot reach each other. */
  partition(groups: readonly (readonly number[])[]): void {
    this.groupOf = new Map();
    groups.forEach((group, i) => group.forEach((node) => this.groupOf.set(node, i)));
  }

  heal(): void {
    this.groupOf = new Map();
  }

  canReach(from: number, to: number): boolean {
    return (this.groupOf.get(from) ?? -1) === (this.groupOf.get(to) ?? -1);
  }

  /** The node crashed: whatever was on its way to or from it is lost. */
  resetConnections(node: number): void {
    this.incarnation.set(node, (this.incarnation.get(node) ?? 0) + 1);
  }

  send(from: number, to: number, message: M): void {
    this.sent++;
    const f = this.faults;
    if (!this.canReach(from, to) || this.random.chance(f.dropRate)) return;
    const copies = this.random.chance(f.duplicateRate) ? 2 : 1;
    const target = this.incarnation.get(to) ?? 0;
    const source = this.incarnation.get(from) ?? 0;
    for (let i = 0; i < copies; i++) {
      let delay = this.random.between(f.minDelayMs, f.maxDelayMs);
      if (this.random.chance(f.slowRate)) delay += f.slowDelayMs;
      this.scheduler.after(delay, () => {
        if ((this.incarnation.get(to) ?? 0) !== target || (this.incarnation.get(from) ?? 0) !== source || !this.canReach(from, to)) return;
        this.delivered++;
        this.deliver(from, to, message);
      });
    }
  }
}
