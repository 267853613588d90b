import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../test/sim/random.js';
import { PlacementError, StripedPlacement, type UsableBroker } from './replica-placer.js';

const seeded = (seed: number) => {
  const random = new SeededRandom(seed);
  return { nextInt: (bound: number) => random.int(bound) };
};

/** Brokers 1..n, rack r<(id-1) % racks>. */
function brokers(n: number, racks: number, fenced: number[] = []): UsableBroker[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, rack: `r${i % racks}`, fenced: fenced.includes(i + 1) }));
}

function placeMany(list: UsableBroker[], partitions: number, rf: number, seed: number): number[][] {
  const placement = new StripedPlacement(list, seeded(seed));
  return Array.from({ length: partitions }, () => placement.place(rf));
}

describe('StripedPlacement', () => {
  it('puts the replicas of a partition in different racks when there are enough racks', () => {
    for (const seed of [1, 2, 3, 42]) {
      const list = brokers(9, 3);
      const rackOf = new Map(list.map((b) => [b.id, b.rack]));
      for (const replicas of placeMany(list, 300, 3, seed)) {
        assert.equal(new Set(replicas).size, 3, `one replica per broker: ${replicas.join(',')}`);
        assert.equal(new Set(replicas.map((id) => rackOf.get(id))).size, 3, `one replica per rack: ${replicas.join(',')}`);
      }
    }
  });

  it('with more replicas than racks, uses every rack before reusing one', () => {
    const list = brokers(6, 2);
    const rackOf = new Map(list.map((b) => [b.id, b.rack]));
    for (const replicas of placeMany(list, 100, 3, 7)) {
      assert.equal(new Set(replicas.map((id) => rackOf.get(id))).size, 2);
      assert.equal(new Set(replicas).size, 3);
    }
  });

  it('gives every broker the same number of leaderships and replicas when racks are the same size', () => {
    for (const [n, racks] of [
      [6, 3],
      [5, 1],
      [4, 4],
      [8, 2],
      [9, 3],
      [12, 3],
    ] as const) {
      for (const seed of [11, 12, 13]) {
        const partitions = n * 100;
        const leaders = new Map<number, number>();
        const replicaCounts = new Map<number, number>();
        for (const replicas of placeMany(brokers(n, racks), partitions, 3, seed)) {
          leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
          for (const id of replicas) replicaCounts.set(id, (replicaCounts.get(id) ?? 0) + 1);
        }
        for (let id = 1; id <= n; id++) {
          const led = leaders.get(id) ?? 0;
          assert.ok(led >= 95 && led <= 105, `${n} brokers / ${racks} racks, seed ${seed}: broker ${id} leads ${led} of ${partitions}`);
          const held = replicaCounts.get(id) ?? 0;
          assert.ok(held >= 285 && held <= 315, `${n} brokers / ${racks} racks, seed ${seed}: broker ${id} holds ${held} replicas`);
        }
      }
    }
  });

  it('with racks of different sizes, gives every rack the same number of leaderships (as Kafka does)', () => {
    // 7 brokers in racks of 4 and 3: each rack leads half, so brokers of the smaller rack lead more.
    const list = brokers(7, 2);
    const perRack = new Map<string, number>();
    for (const replicas of placeMany(list, 700, 3, 11)) {
      const rack = list.find((b) => b.id === replicas[0])!.rack!;
      perRack.set(rack, (perRack.get(rack) ?? 0) + 1);
    }
    assert.deepEqual([...perRack.values()], [350, 350]);
  });

  it('never makes a fenced broker the first replica, but may use it as a follower', () => {
    const list = brokers(3, 3, [2]);
    let fencedFollower = 0;
    for (const replicas of placeMany(list, 60, 3, 5)) {
      assert.notEqual(replicas[0], 2);
      if (replicas.includes(2)) fencedFollower++;
    }
    assert.equal(fencedFollower, 60, 'RF 3 on 3 brokers needs the fenced one');
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const list = brokers(6, 3);
    assert.deepEqual(placeMany(list, 20, 2, 9), placeMany(list, 20, 2, 9));
    assert.notDeepEqual(placeMany(list, 20, 2, 9), placeMany(list, 20, 2, 10));
    // The order brokers are given in does not matter.
    assert.deepEqual(placeMany([...list].reverse(), 20, 2, 9), placeMany(list, 20, 2, 9));
  });

  it("refuses with Kafka's messages", () => {
    assert.throws(
      () => placeMany(brokers(2, 1), 1, 3, 1),
      (e: unknown) => {
        assert.ok(e instanceof PlacementError);
        assert.equal(e.message, 'The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.');
        return true;
      },
    );
    assert.throws(() => placeMany(brokers(2, 1, [1, 2]), 1, 1, 1), /All brokers are currently fenced\./);
    assert.throws(() => placeMany([], 1, 1, 1), /only 0 broker\(s\)/);
  });
});
