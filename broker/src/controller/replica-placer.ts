/**
 * Replica placement as Kafka's StripedReplicaPlacer (metadata/.../placement/): spread each
 * partition's replicas across racks first, then across the brokers of a rack, unfenced brokers
 * before fenced ones; the first replica (the preferred leader) is always unfenced. Racks are
 * visited round-robin from a random start that moves by one per partition (the "stripes"
 * A,B,C / B,C,A / C,A,B), and each rack hands out its brokers round-robin from a random start
 * that also moves by one per partition, so leaders spread evenly over brokers. Brokers in
 * controlled shutdown are not usable. Randomness comes from the `PlacementRandom` port, so the
 * same seed gives the same placement.
 */

export interface UsableBroker {
  id: number;
  rack: string | null;
  fenced: boolean;
}

export interface PlacementRandom {
  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number;
}

export class PlacementError extends Error {
  override name = 'PlacementError';
}

function shuffle<T>(items: T[], random: PlacementRandom): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * Kafka's BrokerList: hands out each broker at most once per epoch (= per partition). Kafka
 * keeps one cursor that restarts one further on each epoch; then a rack that leads only every
 * R-th partition leads with every (R mod n)-th of its n brokers (3 racks of 3: the same broker
 * until a reshuffle), and leaderships and replicas end up uneven. Fjord keeps two cursors that
 * continue where they stopped: one for leaders, one for the other replicas.
 */
class BrokerList {
  readonly brokers: number[] = [];
  private epoch = -1;
  private handed = 0;
  private cursor = 0;
  private leaderCursor = 0;

  initialize(offset: number): void {
    if (this.brokers.length > 0) {
      this.cursor = offset % this.brokers.length;
      this.leaderCursor = offset % this.brokers.length;
    }
  }

  /** The next broker not in `taken`, or -1 when this list has none left for this epoch. */
  next(epoch: number, taken: ReadonlySet<number>): number {
    if (this.brokers.length === 0) return -1;
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      this.handed = 0;
    }
    // One continuous round-robin across partitions (Kafka restarts one further on each epoch).
    while (this.handed < this.brokers.length) {
      const broker = this.brokers[this.cursor]!;
      this.cursor = (this.cursor + 1) % this.brokers.length;
      this.handed++;
      if (!taken.has(broker)) return broker;
    }
    return -1;
  }

  nextLeader(): number {
    if (this.brokers.length === 0) return -1;
    const broker = this.brokers[this.leaderCursor % this.brokers.length]!;
    this.leaderCursor = (this.leaderCursor + 1) % this.brokers.length;
    return broker;
  }

  shuffle(random: PlacementRandom): void {
    shuffle(this.brokers, random);
  }
}

class Rack {
  readonly unfenced = new BrokerList();
  readonly fenced = new BrokerList();

  next(epoch: number, taken: ReadonlySet<number>): number {
    const result = this.unfenced.next(epoch, taken);
    return result >= 0 ? result : this.fenced.next(epoch, taken);
  }

  shuffle(random: PlacementRandom): void {
    this.unfenced.shuffle(random);
    this.fenced.shuffle(random);
  }
}

/** Kafka's RackList: one placement run (one request). */
export class StripedPlacement {
  private readonly racks = new Map<string, Rack>();
  private readonly rackNames: string[];
  private readonly numTotalBrokers: number;
  private readonly numUnfencedBrokers: number;
  private epoch = 0;
  private offset: number;

  constructor(brokers: readonly UsableBroker[], random: PlacementRandom) {
    // Sorted first, so the result depends on the seed, not on the order brokers were given in.
    const sorted = [...brokers].sort((a, b) => a.id - b.id);
    let unfenced = 0;
    for (const broker of sorted) {
      // A broker without a rack is in the rack named by "no rack" (Kafka's Optional.empty()).
      const key = broker.rack === null ? '\u0000' : `r:${broker.rack}`;
      let rack = this.racks.get(key);
      if (rack === undefined) {
        rack = new Rack();
        this.racks.set(key, rack);
      }
      if (broker.fenced) rack.fenced.brokers.push(broker.id);
      else {
        rack.unfenced.brokers.push(broker.id);
        unfenced++;
      }
    }
    this.numTotalBrokers = sorted.length;
    this.numUnfencedBrokers = unfenced;
    this.rackNames = [...this.racks.keys()].sort();
    shuffle(this.rackNames, random);
    for (const rack of this.racks.values()) {
      rack.shuffle(random);
      rack.unfenced.initialize(rack.unfenced.brokers.length === 0 ? 0 : random.nextInt(rack.unfenced.brokers.length));
      rack.fenced.initialize(rack.fenced.brokers.length === 0 ? 0 : random.nextInt(rack.fenced.brokers.length));
    }
    this.offset = this.rackNames.length === 0 ? 0 : random.nextInt(this.rackNames.length);
  }

  /** The replicas of the next partition, preferred leader first; throws PlacementError with Kafka's message. */
  place(replicationFactor: number): number[] {
    if (replicationFactor <= 0)
      throw new PlacementError('Invalid replication factor ' + replicationFactor + ': the replication factor must be positive.');
    if (replicationFactor > this.numTotalBrokers) {
      throw new PlacementError(
        `The target replication factor of ${replicationFactor} cannot be reached because only ${this.numTotalBrokers} broker(s) are registered.`,
      );
    }
    if (this.numUnfencedBrokers === 0) throw new PlacementError('All brokers are currently fenced.');
    // Once as many partitions as unfenced brokers are placed, reshuffle to avoid repeating the pattern.
    // Kafka reshuffles racks and brokers after as many partitions as there are unfenced brokers;
    // Fjord's cursors already vary the pattern, and a reshuffle would undo the even leader rotation.
    if (this.offset === this.rackNames.length) this.offset = 0;
    const replicas: number[] = [];
    const taken = new Set<number>();
    let firstRackIndex = this.offset;
    for (;;) {
      const result = this.racks.get(this.rackNames[firstRackIndex]!)!.unfenced.nextLeader();
      if (result >= 0) {
        replicas.push(result);
        taken.add(result);
        break;
      }
      firstRackIndex = (firstRackIndex + 1) % this.rackNames.length;
    }
    let rackIndex = firstRackIndex;
    for (let replica = 1; replica < replicationFactor; replica++) {
      let result = -1;
      do {
        if (result < 0) rackIndex = (rackIndex + 1) % this.rackNames.length;
        result = this.racks.get(this.rackNames[rackIndex]!)!.next(this.epoch, taken);
      } while (result < 0);
      replicas.push(result);
      taken.add(result);
    }
    this.epoch++;
    this.offset++;
    return replicas;
  }
}
