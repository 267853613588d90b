import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../test/sim/random.js';
import { AssertionError } from '../io/assert.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../metadata/metadata-record.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { FEATURES } from '../handlers/18-api-versions.js';
import type { BrokerRegistrationRequest } from '../protocol/generated/broker-registration-request.js';
import {
  DEFAULT_CONTROLLER_CONFIG,
  DEFAULT_CONTROLLER_LIMITS,
  FJORD_SUPPORTED_FEATURES,
  type ControllerConfig,
} from './controller-config.js';
import { QuorumController, type ControllerRandom } from './quorum-controller.js';

function random(seed: number): ControllerRandom {
  const prng = new SeededRandom(seed);
  return {
    nextInt: (bound) => prng.int(bound),
    nextUuid: () => Array.from({ length: 4 }, () => prng.nextUint32().toString(16).padStart(8, '0')).join(''),
  };
}

const uuid = (n: number) => n.toString(16).padStart(32, '0');

function registration(brokerId: number, overrides: Partial<BrokerRegistrationRequest> = {}): BrokerRegistrationRequest {
  return {
    brokerId,
    clusterId: DEFAULT_CONTROLLER_CONFIG.clusterId,
    incarnationId: uuid(brokerId),
    listeners: [{ name: 'PLAINTEXT', host: `b${brokerId}`, port: 9092, securityProtocol: 0 }],
    features: [{ name: 'metadata.version', minSupportedVersion: 7, maxSupportedVersion: 7 }],
    rack: `r${brokerId % 3}`,
    isMigratingZkBroker: false,
    logDirs: [],
    previousBrokerEpoch: -1n,
    ...overrides,
  };
}

/** A controller and its metadata log; every record goes through its bytes, as Raft carries it. */
class Harness {
  readonly log: MetadataRecord[] = [];
  readonly controller: QuorumController;
  nowMs = 0;

  constructor(config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG, seed = 1) {
    this.controller = new QuorumController(config, random(seed));
    this.append(this.controller.activate(0));
  }

  append(records: MetadataRecord[]): MetadataRecord[] {
    for (const record of records) this.log.push(decodeMetadataRecord(encodeMetadataRecord(record)));
    return records;
  }

  get nextOffset(): bigint {
    return BigInt(this.log.length);
  }

  register(id: number, overrides: Partial<BrokerRegistrationRequest> = {}) {
    const result = this.controller.handle('BrokerRegistration', registration(id, overrides), this.nowMs, this.nextOffset);
    this.append(result.records);
    return result;
  }

  heartbeat(id: number, options: { wantShutDown?: boolean; wantFence?: boolean; epoch?: bigint } = {}) {
    const result = this.controller.handle(
      'BrokerHeartbeat',
      {
        brokerId: id,
        brokerEpoch: options.epoch ?? this.controller.broker(id)?.epoch ?? -1n,
        currentMetadataOffset: this.nextOffset - 1n,
        wantFence: options.wantFence ?? false,
        wantShutDown: options.wantShutDown ?? false,
        offlineLogDirs: [],
        cordonedLogDirs: null,
      },
      this.nowMs,
      this.nextOffset,
    );
    this.append(result.records);
    return result;
  }

  createTopic(name: string, numPartitions: number, replicationFactor: number) {
    const result = this.controller.handle(
      'CreateTopics',
      { topics: [{ name, numPartitions, replicationFactor, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false },
      this.nowMs,
      this.nextOffset,
    );
    this.append(result.records);
    return result;
  }
}

function replayed(records: readonly MetadataRecord[], config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG): QuorumController {
  const controller = new QuorumController(config, random(99));
  for (const record of records) controller.replay(decodeMetadataRecord(encodeMetadataRecord(record)));
  return controller;
}

describe('QuorumController bad input', () => {
  it('refuses a duplicate node id while the first registration has a live session: clear error, no records', () => {
    const h = new Harness();
    h.register(1);
    h.heartbeat(1);
    const before = h.controller.describeState();
    h.nowMs = 9000; // the session (9000 ms) is still live
    const result = h.register(1, { incarnationId: uuid(77) });
    assert.equal(result.response.errorCode, ErrorCode.DUPLICATE_BROKER_REGISTRATION);
    assert.deepEqual(result.records, []);
    assert.equal(h.controller.describeState(), before);
    // Once the session has expired and the broker is fenced, the new incarnation is accepted.
    h.nowMs = 9001;
    h.append(h.controller.tick(h.nowMs));
    const again = h.register(1, { incarnationId: uuid(77) });
    assert.equal(again.response.errorCode, ErrorCode.NONE);
    assert.equal(again.response.brokerEpoch, BigInt(h.log.length - again.records.length));
  });

  it('refuses a wrong cluster id and unsupported feature ranges: no records', () => {
    const h = new Harness();
    const before = h.controller.describeState();
    const wrongCluster = h.register(1, { clusterId: 'another-cluster' });
    assert.equal(wrongCluster.response.errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
    assert.deepEqual(wrongCluster.records, []);
    const unsupported = h.register(1, { features: [{ name: 'metadata.version', minSupportedVersion: 8, maxSupportedVersion: 20 }] });
    assert.equal(unsupported.response.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(unsupported.records, []);
    assert.equal(h.controller.describeState(), before);
  });

  it('refuses a heartbeat or producer id request with a stale broker epoch: no records', () => {
    const h = new Harness();
    const epoch = h.register(1).response.brokerEpoch!;
    const before = h.controller.describeState();
    const stale = h.heartbeat(1, { epoch: epoch - 1n });
    assert.equal(stale.response.errorCode, ErrorCode.STALE_BROKER_EPOCH);
    assert.deepEqual(stale.records, []);
    const ids = h.controller.handle('AllocateProducerIds', { brokerId: 1, brokerEpoch: epoch + 5n }, 0, h.nextOffset);
    assert.equal(ids.response.errorCode, ErrorCode.STALE_BROKER_EPOCH);
    assert.deepEqual(ids.records, []);
    const unknown = h.heartbeat(4, { epoch: 1n });
    assert.equal(unknown.response.errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
    assert.equal(h.controller.describeState(), before);
  });

  it('answers NOT_CONTROLLER-style misuse with an assertion: handle before activate', () => {
    const controller = new QuorumController(DEFAULT_CONTROLLER_CONFIG, random(1));
    assert.throws(() => controller.handle('BrokerRegistration', registration(1), 0, 0n), AssertionError);
  });

  it('refuses a config with a limit that is not a positive integer, or nonsensical timeouts', () => {
    const bad: Partial<ControllerConfig>[] = [
      { limits: { ...DEFAULT_CONTROLLER_LIMITS, maxPartitionsPerRequest: 0 } },
      { limits: { ...DEFAULT_CONTROLLER_LIMITS, maxTopics: 1.5 } },
      { limits: { ...DEFAULT_CONTROLLER_LIMITS, maxPartitionsPerRequest: 20, maxPartitionsPerCluster: 10 } },
      { brokerHeartbeatIntervalMs: 9000, brokerSessionTimeoutMs: 9000 },
      { supportedFeatures: [] },
      { supportedFeatures: [{ name: 'metadata.version', minVersion: 3, maxVersion: 7 }] },
      { bootstrapFeatureLevels: [{ name: 'metadata.version', level: 8 }] },
      { clusterId: '' },
    ];
    for (const overrides of bad) {
      assert.throws(
        () => new QuorumController({ ...DEFAULT_CONTROLLER_CONFIG, ...overrides }, random(1)),
        AssertionError,
        JSON.stringify(overrides),
      );
    }
  });

  it('supports the feature levels the ApiVersions handler advertises', () => {
    assert.deepEqual(
      FJORD_SUPPORTED_FEATURES.map((f) => [f.name, f.minVersion, f.maxVersion]),
      FEATURES.map((f) => [f.name, f.minVersion, f.maxVersion]),
    );
  });
});

describe('QuorumController replay and snapshot', () => {
  /** A busy history: brokers come and go, topics are created, grown, deleted, reconfigured. */
  function busyHistory(seed: number): Harness {
    const h = new Harness(DEFAULT_CONTROLLER_CONFIG, seed);
    const prng = new SeededRandom(seed);
    const epochs = new Map<string, [number, number]>();
    for (let id = 1; id <= 5; id++) {
      h.register(id);
      h.heartbeat(id);
    }
    for (let i = 0; i < 12; i++) h.createTopic(`topic-${i}`, 1 + prng.int(8), 1 + prng.int(3));
    for (let step = 0; step < 400; step++) {
      h.nowMs += 500;
      const id = 1 + prng.int(5);
      switch (prng.int(9)) {
        case 0:
          h.heartbeat(id, { wantFence: true });
          break;
        case 1:
          h.heartbeat(id, { wantShutDown: true });
          break;
        case 2:
          if (h.controller.broker(id)?.fenced) h.register(id, { incarnationId: uuid(1000 + step), previousBrokerEpoch: -1n });
          break;
        case 3:
          h.append(
            h.controller.handle(
              'CreatePartitions',
              { topics: [{ name: `topic-${prng.int(12)}`, count: 9 + prng.int(4), assignments: null }], timeoutMs: 1, validateOnly: false },
              h.nowMs,
              h.nextOffset,
            ).records,
          );
          break;
        case 4:
          h.append(
            h.controller.handle(
              'IncrementalAlterConfigs',
              {
                resources: [
                  {
                    resourceType: 2,
                    resourceName: `topic-${prng.int(12)}`,
                    configs: [{ name: 'retention.ms', configOperation: 0, value: String(step) }],
                  },
                ],
                validateOnly: false,
              },
              h.nowMs,
              h.nextOffset,
            ).records,
          );
          break;
        case 5:
          h.append(
            h.controller.handle(
              'AllocateProducerIds',
              { brokerId: id, brokerEpoch: h.controller.broker(id)?.epoch ?? -1n },
              h.nowMs,
              h.nextOffset,
            ).records,
          );
          break;
        case 6:
          h.append(
            h.controller.handle('DeleteTopics', { topicNames: [`topic-${prng.int(12)}`], topics: [], timeoutMs: 1 }, h.nowMs, h.nextOffset)
              .records,
          );
          if (prng.chance(0.5)) h.createTopic(`topic-${prng.int(12)}`, 1 + prng.int(8), 1 + prng.int(3));
          break;
        case 7:
          if (prng.chance(0.2)) h.append(h.controller.handle('UnregisterBroker', { brokerId: id }, h.nowMs, h.nextOffset).records);
          else if (prng.chance(0.3)) {
            const value = prng.chance(0.5) ? 'true' : 'false';
            h.append(
              h.controller.handle(
                'IncrementalAlterConfigs',
                {
                  resources: [
                    { resourceType: 4, resourceName: '', configs: [{ name: 'unclean.leader.election.enable', configOperation: 0, value }] },
                  ],
                  validateOnly: false,
                },
                h.nowMs,
                h.nextOffset,
              ).records,
            );
          } else if (h.controller.broker(id) === undefined) h.register(id, { incarnationId: uuid(5000 + step) });
          break;
        default:
          for (let other = 1; other <= 5; other++) if (prng.chance(0.7)) h.heartbeat(other);
      }
      h.append(h.controller.tick(h.nowMs));
      checkInvariants(h.controller, epochs, step);
    }
    return h;
  }

  /** After every step: leaders are live ISR members, ISRs are non-empty subsets of the replicas, epochs only grow. */
  function checkInvariants(controller: QuorumController, epochs: Map<string, [number, number]>, step: number): void {
    for (const topic of controller.allTopics()) {
      topic.partitions.forEach((p, i) => {
        const where = `step ${step}: ${topic.name}:${i}`;
        assert.ok(p.isr.length > 0, `${where}: empty ISR`);
        assert.ok(
          p.isr.every((id) => p.replicas.includes(id)),
          `${where}: ISR ${p.isr.join(',')} not within replicas`,
        );
        if (p.leader !== -1) {
          const leader = controller.broker(p.leader);
          assert.ok(p.isr.includes(p.leader), `${where}: leader ${p.leader} not in ISR`);
          assert.ok(leader !== undefined && !leader.fenced && !leader.inControlledShutdown, `${where}: leader ${p.leader} not active`);
        } else {
          assert.ok(
            p.isr.every((id) => {
              const b = controller.broker(id);
              return b === undefined || b.fenced || b.inControlledShutdown;
            }),
            `${where}: leaderless although an ISR member is active`,
          );
        }
        const key = `${topic.id}:${i}`;
        const [leaderEpoch, partitionEpoch] = epochs.get(key) ?? [0, 0];
        assert.ok(p.leaderEpoch >= leaderEpoch && p.partitionEpoch >= partitionEpoch, `${where}: an epoch went back`);
        epochs.set(key, [p.leaderEpoch, p.partitionEpoch]);
      });
    }
  }

  it('replaying the log gives the same state, and so does replaying the snapshot', () => {
    for (const seed of [1, 2, 3, 5, 6, 7, 8, 9]) {
      const h = busyHistory(seed);
      const state = h.controller.describeState();
      assert.ok(h.log.length > 100, `seed ${seed}: only ${h.log.length} records`);
      assert.equal(replayed(h.log).describeState(), state, `seed ${seed}: log replay`);
      const snapshot = h.controller.snapshot();
      const fromSnapshot = replayed(snapshot);
      assert.equal(fromSnapshot.describeState(), state, `seed ${seed}: snapshot replay`);
      // A snapshot of the rebuilt state is the same list of records.
      assert.deepEqual(fromSnapshot.snapshot(), snapshot);
    }
  });

  it('after a failover the new active controller restarts broker sessions, and the old one follows its records', () => {
    const h = busyHistory(4);
    const standby = replayed(h.log);
    h.controller.deactivate();
    assert.deepEqual(standby.activate(h.nowMs), [], 'no bootstrap records on a log that has them');
    // Every registered broker counts as heard from at activation: nobody is fenced before the session ends.
    assert.deepEqual(standby.tick(h.nowMs + 9000), []);
    assert.equal(standby.nextDeadlineMs(), h.nowMs + 9001, 'the shell ticks again when the first session can expire');
    const unfenced = [1, 2, 3, 4, 5].filter((id) => standby.broker(id) !== undefined && !standby.broker(id)!.fenced);
    assert.ok(unfenced.length > 0);
    const fencing = standby.tick(h.nowMs + 9001);
    for (const id of unfenced) assert.equal(standby.broker(id)!.fenced, true, `broker ${id} fenced after its session`);
    // The old active controller, now a standby, replays the new leader's records to the same state.
    for (const record of fencing) h.controller.replay(decodeMetadataRecord(encodeMetadataRecord(record)));
    assert.equal(h.controller.describeState(), standby.describeState());
  });
});
