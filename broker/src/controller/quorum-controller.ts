/**
 * The active controller as a pure state machine (Kafka's QuorumController with its
 * ClusterControlManager, BrokerHeartbeatManager, ReplicationControlManager,
 * ConfigurationControlManager, FeatureControlManager and ProducerIdControlManager): requests in,
 * metadata records and a response out. No sockets, timers, files or clock: every input carries
 * `nowMs`, and inputs that need the metadata log's position carry `nextOffset`, the offset the
 * first generated record will get.
 *
 * Kafka's rule, kept here: the state changes only by `replay(record)`. `handle` and `tick`
 * generate records from the current state, replay them at once (the active controller runs
 * ahead of the commit point) and return them for the Raft log; a standby controller, or a new
 * leader after failover, replays the same records from the log and reaches the same state.
 * `snapshot()` gives the records that rebuild the state in one go (a Raft snapshot).
 *
 * What is *not* replayed is the active controller's soft state, as in Kafka's
 * BrokerHeartbeatManager: each broker's last heartbeat time, reported metadata offset and
 * controlled-shutdown offset. `activate(nowMs)` starts it afresh (every unfenced broker counts as
 * just heard from) and writes the bootstrap feature levels on an empty log.
 *
 * Broker control states (BrokerHeartbeatManager.calculateNextBrokerState), on a heartbeat:
 *
 *   FENCED ──caught up (offset ≥ broker epoch), !wantFence──▶ UNFENCED
 *   FENCED ──wantShutDown──▶ SHUTDOWN_NOW
 *   UNFENCED ──wantFence──▶ FENCED            (SHUTDOWN_NOW if it also wants shutdown)
 *   UNFENCED ──wantShutDown, leads partitions──▶ CONTROLLED_SHUTDOWN
 *   UNFENCED ──wantShutDown, leads nothing──▶ SHUTDOWN_NOW
 *   CONTROLLED_SHUTDOWN ──leads nothing and every active broker has seen the
 *                         controlled-shutdown records──▶ SHUTDOWN_NOW
 *   UNFENCED / CONTROLLED_SHUTDOWN ──session (broker.session.timeout.ms) expired, on tick──▶ FENCED
 *   SHUTDOWN_NOW is fenced and InControlledShutdown in the registration (a fenced broker that
 *   asked to shut down: fenced only) and stays so; a new incarnation starts FENCED again.
 *
 * Records written per transition (ReplicationControlManager): fence = the broker leaves every ISR
 * with new leaders elected, then BrokerRegistrationChangeRecord{Fenced=1}; unfence =
 * BrokerRegistrationChangeRecord{Fenced=-1}, then elections for every leaderless partition;
 * controlled shutdown = BrokerRegistrationChangeRecord{InControlledShutdown=1}, then the broker
 * leaves every ISR. Elections are in partition-change.ts.
 */
import { assert } from '../io/assert.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MetadataRecord } from '../metadata/metadata-record.js';
import type { AllocateProducerIdsRequest } from '../protocol/generated/allocate-producer-ids-request.js';
import type { AllocateProducerIdsResponseInput } from '../protocol/generated/allocate-producer-ids-response.js';
import type { AlterConfigsRequest } from '../protocol/generated/alter-configs-request.js';
import type { AlterConfigsResponseInput } from '../protocol/generated/alter-configs-response.js';
import type { BrokerHeartbeatRequest } from '../protocol/generated/broker-heartbeat-request.js';
import type { BrokerHeartbeatResponseInput } from '../protocol/generated/broker-heartbeat-response.js';
import type { BrokerRegistrationRequest } from '../protocol/generated/broker-registration-request.js';
import type { BrokerRegistrationResponseInput } from '../protocol/generated/broker-registration-response.js';
import type { CreatePartitionsRequest } from '../protocol/generated/create-partitions-request.js';
import type {
  CreatePartitionsResponseCreatePartitionsTopicResultInput,
  CreatePartitionsResponseInput,
} from '../protocol/generated/create-partitions-response.js';
import type { CreateTopicsRequest, CreateTopicsRequestCreatableTopic } from '../protocol/generated/create-topics-request.js';
import type {
  CreateTopicsResponseCreatableTopicResultInput,
  CreateTopicsResponseInput,
} from '../protocol/generated/create-topics-response.js';
import type { DeleteTopicsRequest } from '../protocol/generated/delete-topics-request.js';
import type {
  DeleteTopicsResponseDeletableTopicResultInput,
  DeleteTopicsResponseInput,
} from '../protocol/generated/delete-topics-response.js';
import type { IncrementalAlterConfigsRequest } from '../protocol/generated/incremental-alter-configs-request.js';
import type { IncrementalAlterConfigsResponseInput } from '../protocol/generated/incremental-alter-configs-response.js';
import type { PartitionRecord } from '../protocol/generated/partition-record.js';
import type { RegisterBrokerRecord } from '../protocol/generated/register-broker-record.js';
import type { UnregisterBrokerRequest } from '../protocol/generated/unregister-broker-request.js';
import type { UnregisterBrokerResponseInput } from '../protocol/generated/unregister-broker-response.js';
import type { UpdateFeaturesRequest } from '../protocol/generated/update-features-request.js';
import type { UpdateFeaturesResponseInput } from '../protocol/generated/update-features-response.js';
import {
  type ControllerConfig,
  type FeatureRange,
  KRAFT_VERSION,
  METADATA_VERSION,
  METADATA_VERSION_3_6_IV0,
  validateControllerConfig,
} from './controller-config.js';
import {
  applyIncrementalOperations,
  type ConfigFailure,
  configChangeRecords,
  RESOURCE_BROKER,
  RESOURCE_TOPIC,
  validateConfigs,
  validateResourceName,
} from './config-control.js';
import { brokerRange, SAFE_DOWNGRADE, UPGRADE, validateFeatureUpdate } from './feature-control.js';
import {
  buildPartitionChange,
  mergePartitionChange,
  NO_LEADER,
  partitionFromRecord,
  type PartitionState,
  RECOVERED,
} from './partition-change.js';
import { PlacementError, type PlacementRandom, StripedPlacement, type UsableBroker } from './replica-placer.js';
import { TOPIC_CONFIGS } from '../config/topic-config.js';

/** Randomness the controller needs: placement starts and new topic ids. */
export interface ControllerRandom extends PlacementRandom {
  /** A random uuid as 32 hex characters. */
  nextUuid(): string;
}

/** Record versions written (those of metadata.version 3.3-IV3, the level Fjord finalizes). */
const REGISTER_BROKER_RECORD_VERSION = 1;
const BROKER_REGISTRATION_CHANGE_RECORD_VERSION = 1;
const PARTITION_RECORD_VERSION = 0;
const PARTITION_CHANGE_RECORD_VERSION = 0;

/** Kafka's ProducerIdControlManager block: 1000 ids per AllocateProducerIds. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const PRODUCER_ID_MAX = 0x7fff_ffff_ffff_ffffn;
/** Topic.MAX_NAME_LENGTH */
const TOPIC_NAME_LENGTH_MAX = 249;
const ZERO_UUID = '0'.repeat(32);
/** BrokerRegistrationChangeRecord.Fenced values (BrokerRegistrationFencingChange). */
const FENCE = 1;
const UNFENCE = -1;
/** ConfigSource ids for CreateTopics responses (DescribeConfigsResponse.ConfigSource). */
const CONFIG_SOURCE_TOPIC = 1;
const CONFIG_SOURCE_DEFAULT = 5;

export type BrokerControlState = 'FENCED' | 'UNFENCED' | 'CONTROLLED_SHUTDOWN' | 'SHUTDOWN_NOW';

export interface BrokerRegistration {
  id: number;
  incarnationId: string;
  epoch: bigint;
  endPoints: RegisterBrokerRecord['endPoints'];
  features: FeatureRange[];
  rack: string | null;
  fenced: boolean;
  inControlledShutdown: boolean;
}

/** Soft state of the active controller only (BrokerHeartbeatState). */
interface BrokerSession {
  lastContactMs: number;
  metadataOffset: bigint;
  /** The offset the broker's controlled-shutdown records end at, once it is in controlled shutdown. */
  controlledShutdownOffset: bigint | null;
}

export interface TopicState {
  id: string;
  name: string;
  partitions: PartitionState[];
}

/** Request and response body of each API the controller handles. */
export interface ControllerApis {
  BrokerRegistration: [BrokerRegistrationRequest, BrokerRegistrationResponseInput];
  BrokerHeartbeat: [BrokerHeartbeatRequest, BrokerHeartbeatResponseInput];
  UnregisterBroker: [UnregisterBrokerRequest, UnregisterBrokerResponseInput];
  CreateTopics: [CreateTopicsRequest, CreateTopicsResponseInput];
  DeleteTopics: [DeleteTopicsRequest, DeleteTopicsResponseInput];
  CreatePartitions: [CreatePartitionsRequest, CreatePartitionsResponseInput];
  IncrementalAlterConfigs: [IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput];
  AlterConfigs: [AlterConfigsRequest, AlterConfigsResponseInput];
  AllocateProducerIds: [AllocateProducerIdsRequest, AllocateProducerIdsResponseInput];
  UpdateFeatures: [UpdateFeaturesRequest, UpdateFeaturesResponseInput];
}
export type ControllerApi = keyof ControllerApis;

export interface ControllerResult<R> {
  /** Records to append to the metadata log, already replayed into this controller. */
  records: MetadataRecord[];
  response: R;
}

/** Kafka's Topic.validate messages. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_LENGTH_MAX} characters, topic name: ${name}`;
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** Topic.unifyCollisionChars: '.' and '_' collide in metric names. */
const unifyCollisionChars = (name: string) => name.replaceAll('.', '_');

const configKey = (resourceType: number, resourceName: string) => `${resourceType}:${resourceName}`;

export class QuorumController {
  // Replayed state.
  private readonly brokers = new Map<number, BrokerRegistration>();
  private readonly topics = new Map<string, TopicState>();
  private readonly topicIdsByName = new Map<string, string>();
  /** Unified name ('.' → '_') → the topic names that unify to it, for the collision check. */
  private readonly topicsByUnifiedName = new Map<string, Set<string>>();
  private partitionCount = 0;
  private readonly configs = new Map<string, { resourceType: number; resourceName: string; entries: Map<string, string> }>();
  private readonly featureLevels = new Map<string, number>();
  private nextProducerId = 0n;
  // Active-controller soft state.
  private readonly sessions = new Map<number, BrokerSession>();
  private active = false;

  constructor(
    readonly config: ControllerConfig,
    private readonly random: ControllerRandom,
  ) {
    validateControllerConfig(config);
  }

  // ---------------------------------------------------------------- activation, tick

  /**
   * Becomes the active controller (Kafka: QuorumController.claim). On an empty log (no
   * metadata.version yet), returns the bootstrap records: `bootstrapFeatureLevels`, or every
   * supported feature but kraft.version at its highest level (levels 0 are not written).
   */
  activate(nowMs: number): MetadataRecord[] {
    this.active = true;
    this.sessions.clear();
    for (const broker of this.brokers.values()) {
      this.sessions.set(broker.id, { lastContactMs: nowMs, metadataOffset: -1n, controlledShutdownOffset: null });
    }
    if (this.featureLevels.has(METADATA_VERSION)) return [];
    const levels =
      this.config.bootstrapFeatureLevels ??
      this.config.supportedFeatures.filter((f) => f.name !== KRAFT_VERSION).map((f) => ({ name: f.name, level: f.maxVersion }));
    const records: MetadataRecord[] = [...levels]
      .sort((a, b) => (a.name === METADATA_VERSION ? -1 : b.name === METADATA_VERSION ? 1 : a.name.localeCompare(b.name)))
      .filter(({ name, level }) => name === METADATA_VERSION || level > 0)
      .map(({ name, level }) => ({ type: 'FeatureLevelRecord', version: 0, data: { name, featureLevel: level } }));
    return this.commit(records);
  }

  /** Stops being active: the soft state goes (a later `activate` starts it again). */
  deactivate(): void {
    this.active = false;
    this.sessions.clear();
  }

  /**
   * Fences every broker whose session expired (last heartbeat + broker.session.timeout.ms < now),
   * oldest first, each fencing replayed before the next is computed (Kafka fences one per
   * maybeFenceStaleBroker run for the same reason).
   */
  tick(nowMs: number): MetadataRecord[] {
    assert(this.active, 'tick on a controller that is not active');
    const stale = [...this.brokers.values()]
      .filter((broker) => !broker.fenced)
      .map((broker) => ({ broker, session: this.sessions.get(broker.id)! }))
      .filter(({ session }) => session.lastContactMs + this.config.brokerSessionTimeoutMs < nowMs)
      .sort((a, b) => a.session.lastContactMs - b.session.lastContactMs || a.broker.id - b.broker.id);
    const records: MetadataRecord[] = [];
    for (const { broker } of stale) records.push(...this.commit(this.fenceRecords(broker)));
    return records;
  }

  /** When `tick` next has something to do, or null. */
  nextDeadlineMs(): number | null {
    if (!this.active) return null;
    let next: number | null = null;
    for (const broker of this.brokers.values()) {
      if (broker.fenced) continue;
      const deadline = this.sessions.get(broker.id)!.lastContactMs + this.config.brokerSessionTimeoutMs + 1;
      if (next === null || deadline < next) next = deadline;
    }
    return next;
  }

  // ---------------------------------------------------------------- requests

  handle<A extends ControllerApi>(
    api: A,
    request: ControllerApis[A][0],
    nowMs: number,
    nextOffset: bigint,
  ): ControllerResult<ControllerApis[A][1]> {
    assert(this.active, `${api} on a controller that is not active`);
    const handlers: { [K in ControllerApi]: (r: ControllerApis[K][0]) => ControllerResult<ControllerApis[K][1]> } = {
      BrokerRegistration: (r) => this.registerBroker(r, nowMs, nextOffset),
      BrokerHeartbeat: (r) => this.brokerHeartbeat(r, nowMs, nextOffset),
      UnregisterBroker: (r) => this.unregisterBroker(r),
      CreateTopics: (r) => this.createTopics(r),
      DeleteTopics: (r) => this.deleteTopics(r),
      CreatePartitions: (r) => this.createPartitions(r),
      IncrementalAlterConfigs: (r) => this.incrementalAlterConfigs(r),
      AlterConfigs: (r) => this.alterConfigs(r),
      AllocateProducerIds: (r) => this.allocateProducerIds(r),
      UpdateFeatures: (r) => this.updateFeatures(r),
    };
    return handlers[api](request);
  }

  private registerBroker(
    request: BrokerRegistrationRequest,
    nowMs: number,
    nextOffset: bigint,
  ): ControllerResult<BrokerRegistrationResponseInput> {
    const fail = (errorCode: number) => ({ records: [], response: { errorCode, brokerEpoch: -1n } });
    if (request.brokerId < 0) return fail(ErrorCode.INVALID_REQUEST);
    if (request.clusterId !== this.config.clusterId) return fail(ErrorCode.INCONSISTENT_CLUSTER_ID);
    const existing = this.brokers.get(request.brokerId);
    if (existing !== undefined && existing.incarnationId !== request.incarnationId && this.hasValidSession(existing, nowMs)) {
      return fail(ErrorCode.DUPLICATE_BROKER_REGISTRATION);
    }
    if (existing === undefined && this.brokers.size >= this.config.limits.maxBrokers) return fail(ErrorCode.POLICY_VIOLATION);
    const offered = request.features.map((f) => ({ name: f.name, minVersion: f.minSupportedVersion, maxVersion: f.maxSupportedVersion }));
    for (const [name, level] of this.featureLevels) {
      if (level === 0 && name !== METADATA_VERSION) continue;
      const range = brokerRange(offered, name);
      if (level < range.minVersion || level > range.maxVersion) return fail(ErrorCode.UNSUPPORTED_VERSION);
    }
    const sameIncarnation = existing !== undefined && existing.incarnationId === request.incarnationId;
    const epoch = sameIncarnation ? existing.epoch : nextOffset;
    const register: MetadataRecord = {
      type: 'RegisterBrokerRecord',
      version: REGISTER_BROKER_RECORD_VERSION,
      data: {
        brokerId: request.brokerId,
        isMigratingZkBroker: false,
        incarnationId: request.incarnationId,
        brokerEpoch: epoch,
        endPoints: request.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
        features: request.features.map((f) => ({
          name: f.name,
          minSupportedVersion: f.minSupportedVersion,
          maxSupportedVersion: f.maxSupportedVersion,
        })),
        rack: request.rack,
        fenced: sameIncarnation ? existing.fenced : true,
        inControlledShutdown: sameIncarnation ? existing.inControlledShutdown : false,
        logDirs: [],
        cordonedLogDirs: null,
      },
    };
    // A new incarnation that did not shut down cleanly (its previous epoch is not the registered
    // one) may have lost data: out of every ISR (handleBrokerUncleanShutdown, ELR disabled). A
    // registration that was still unfenced is treated the same way.
    const cleanRestart = existing !== undefined && existing.fenced && request.previousBrokerEpoch === existing.epoch;
    const cleanup =
      sameIncarnation || cleanRestart || existing === undefined
        ? []
        : this.leaderAndIsrUpdates(request.brokerId, -1, this.partitionsWithBrokerInIsr(request.brokerId));
    const records = this.commit([register, ...cleanup]);
    this.sessions.set(request.brokerId, { lastContactMs: nowMs, metadataOffset: -1n, controlledShutdownOffset: null });
    return { records, response: { errorCode: ErrorCode.NONE, brokerEpoch: epoch } };
  }

  private brokerHeartbeat(
    request: BrokerHeartbeatRequest,
    nowMs: number,
    nextOffset: bigint,
  ): ControllerResult<BrokerHeartbeatResponseInput> {
    const broker = this.brokers.get(request.brokerId);
    const fail = (errorCode: number) => ({
      records: [],
      response: { errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false },
    });
    if (broker === undefined) return fail(ErrorCode.BROKER_ID_NOT_REGISTERED);
    if (request.brokerEpoch !== broker.epoch) return fail(ErrorCode.STALE_BROKER_EPOCH);
    const session = this.sessions.get(broker.id)!;
    session.lastContactMs = nowMs;
    session.metadataOffset = request.currentMetadataOffset;
    // Kafka compares with the RegisterBrokerRecord's offset; Fjord writes that record first, at the epoch.
    const isCaughtUp = request.currentMetadataOffset >= broker.epoch;
    const current = this.controlState(broker);
    const next = this.nextControlState(broker, current, request, isCaughtUp, session);
    let pending: MetadataRecord[] = [];
    if ((next === 'FENCED' || next === 'SHUTDOWN_NOW') && !broker.fenced) pending = this.fenceRecords(broker);
    else if (next === 'UNFENCED' && current === 'FENCED') pending = this.unfenceRecords(broker);
    else if (next === 'CONTROLLED_SHUTDOWN' && current !== 'CONTROLLED_SHUTDOWN') pending = this.controlledShutdownRecords(broker);
    const records = this.commit(pending);
    if (next === 'CONTROLLED_SHUTDOWN' && session.controlledShutdownOffset === null) {
      // The offset every active broker must reach before this one may stop (Kafka:
      // maybeUpdateControlledShutdownOffset; after a failover, the last offset written so far).
      session.controlledShutdownOffset = nextOffset + BigInt(records.length) - 1n;
    }
    return {
      records,
      response: {
        errorCode: ErrorCode.NONE,
        isCaughtUp,
        isFenced: next === 'FENCED' || next === 'SHUTDOWN_NOW',
        shouldShutDown: next === 'SHUTDOWN_NOW',
      },
    };
  }

  private unregisterBroker(request: UnregisterBrokerRequest): ControllerResult<UnregisterBrokerResponseInput> {
    const broker = this.brokers.get(request.brokerId);
    if (broker === undefined) {
      return {
        records: [],
        response: {
          errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED,
          errorMessage: `Broker ID ${request.brokerId} is not currently registered`,
        },
      };
    }
    const records = this.commit([
      ...this.leaderAndIsrUpdates(broker.id, -1, this.partitionsWithBrokerInIsr(broker.id)),
      { type: 'UnregisterBrokerRecord', version: 0, data: { brokerId: broker.id, brokerEpoch: broker.epoch } },
    ]);
    return { records, response: { errorCode: ErrorCode.NONE, errorMessage: null } };
  }

  private createTopics(request: CreateTopicsRequest): ControllerResult<CreateTopicsResponseInput> {
    const results: CreateTopicsResponseCreatableTopicResultInput[] = [];
    const records: MetadataRecord[] = [];
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    // One placement run per request (StripedReplicaPlacer.place builds one RackList per call).
    const placement = new StripedPlacement(this.usableBrokers(), this.random);
    let partitionsInRequest = 0;
    for (const topic of request.topics) {
      const failed = (errorCode: number, errorMessage: string | null) => {
        results.push({
          name: topic.name,
          errorCode,
          errorMessage,
          topicConfigErrorCode: ErrorCode.NONE,
          numPartitions: -1,
          replicationFactor: -1,
          configs: null,
        });
      };
      if ((counts.get(topic.name) ?? 0) > 1) {
        failed(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        continue;
      }
      const problem = topicNameProblem(topic.name);
      if (problem !== null) {
        failed(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
        continue;
      }
      if (this.topicIdsByName.has(topic.name)) {
        failed(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
        continue;
      }
      const colliding = [...(this.topicsByUnifiedName.get(unifyCollisionChars(topic.name)) ?? [])];
      if (colliding.length > 0) {
        failed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${topic.name}' collides with existing topic: ${colliding[0]}`);
        continue;
      }
      const built = this.buildTopic(topic, placement);
      if ('errorCode' in built) {
        failed(built.errorCode, built.errorMessage);
        continue;
      }
      const limits = this.config.limits;
      if (partitionsInRequest + built.partitions.length > limits.maxPartitionsPerRequest) {
        failed(ErrorCode.INVALID_PARTITIONS, 'Excessively large number of partitions per request.');
        continue;
      }
      if (this.partitionCount + partitionsInRequest + built.partitions.length > limits.maxPartitionsPerCluster) {
        failed(ErrorCode.POLICY_VIOLATION, `The cluster would have more than ${limits.maxPartitionsPerCluster} partitions.`);
        continue;
      }
      if (this.topics.size + records.filter((r) => r.type === 'TopicRecord').length >= limits.maxTopics) {
        failed(ErrorCode.POLICY_VIOLATION, `The cluster would have more than ${limits.maxTopics} topics.`);
        continue;
      }
      partitionsInRequest += built.partitions.length;
      const topicId = request.validateOnly ? ZERO_UUID : this.newTopicId(records);
      results.push({
        name: topic.name,
        topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: built.partitions.length,
        replicationFactor: built.partitions[0]!.replicas.length,
        configs: TOPIC_CONFIGS.map((definition) => {
          const override = built.configs.get(definition.name);
          return {
            name: definition.name,
            value: override ?? definition.defaultValue,
            readOnly: false,
            configSource: override === undefined ? CONFIG_SOURCE_DEFAULT : CONFIG_SOURCE_TOPIC,
            isSensitive: false,
          };
        }),
      });
      if (request.validateOnly) continue;
      records.push({ type: 'TopicRecord', version: 0, data: { name: topic.name, topicId } });
      for (const [name, value] of [...built.configs].sort(([a], [b]) => a.localeCompare(b))) {
        records.push({ type: 'ConfigRecord', version: 0, data: { resourceType: RESOURCE_TOPIC, resourceName: topic.name, name, value } });
      }
      built.partitions.forEach((partition, partitionId) => records.push(this.partitionRecord(topicId, partitionId, partition)));
    }
    return { records: this.commit(records), response: { topics: results } };
  }

  private newTopicId(pending: readonly MetadataRecord[]): string {
    for (;;) {
      const id = this.random.nextUuid();
      const taken = this.topics.has(id) || pending.some((r) => r.type === 'TopicRecord' && r.data.topicId === id);
      if (id !== ZERO_UUID && !taken) return id;
    }
  }

  /** Validates one CreatableTopic and places its partitions (ReplicationControlManager.createTopic). */
  private buildTopic(
    topic: CreateTopicsRequestCreatableTopic,
    placement: StripedPlacement,
  ): ConfigFailure | { partitions: PartitionState[]; configs: Map<string, string> } {
    const configs = new Map<string, string>();
    for (const entry of topic.configs) {
      if (configs.has(entry.name)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' };
      if (entry.value === null)
        return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for topic configs: ${entry.name}` };
      configs.set(entry.name, entry.value);
    }
    if (configs.size > this.config.limits.maxConfigsPerResource) {
      return { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `More than ${this.config.limits.maxConfigsPerResource} configs.` };
    }
    const configProblem = validateConfigs(RESOURCE_TOPIC, topic.name, configs, [...configs.keys()], this.config.limits.maxConfigValueBytes);
    if (configProblem !== null) return configProblem;
    const assignments: number[][] = [];
    if (topic.assignments.length > 0) {
      if (topic.numPartitions !== -1) {
        return {
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'A manual partition assignment was specified, but numPartitions was not set to -1.',
        };
      }
      if (topic.replicationFactor !== -1) {
        return {
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'A manual partition assignment was specified, but replicationFactor was not set to -1.',
        };
      }
      if (topic.assignments.length > this.config.limits.maxPartitionsPerRequest) {
        return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Excessively large number of partitions per request.' };
      }
      const sorted = [...topic.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      for (let i = 0; i < sorted.length; i++) {
        if (sorted[i]!.partitionIndex !== i) {
          return {
            errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            errorMessage: 'Partitions should be a consecutive 0-based integer sequence',
          };
        }
        const problem = this.validateManualAssignment(sorted[i]!.brokerIds, assignments[0]?.length ?? null);
        if (problem !== null) return problem;
        assignments.push([...sorted[i]!.brokerIds]);
      }
    } else {
      const numPartitions = topic.numPartitions === -1 ? this.config.defaultNumPartitions : topic.numPartitions;
      const replicationFactor = topic.replicationFactor === -1 ? this.config.defaultReplicationFactor : topic.replicationFactor;
      if (numPartitions <= 0)
        return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Number of partitions was set to an invalid non-positive value.' };
      if (replicationFactor <= 0) {
        return {
          errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
          errorMessage: 'Replication factor must be larger than 0, or -1 to use the default value.',
        };
      }
      if (replicationFactor > this.config.limits.maxReplicationFactor) {
        return {
          errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
          errorMessage: `Replication factor must not exceed ${this.config.limits.maxReplicationFactor}.`,
        };
      }
      if (numPartitions > this.config.limits.maxPartitionsPerRequest) {
        return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Excessively large number of partitions per request.' };
      }
      try {
        for (let i = 0; i < numPartitions; i++) assignments.push(placement.place(replicationFactor));
      } catch (error) {
        if (error instanceof PlacementError) return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: error.message };
        throw error;
      }
    }
    const partitions: PartitionState[] = [];
    for (const [index, replicas] of assignments.entries()) {
      const partition = this.newPartition(replicas);
      if (partition === null) {
        return topic.assignments.length > 0
          ? {
              errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
              errorMessage: `All brokers specified in the manual partition assignment for partition ${index} are fenced or in controlled shutdown.`,
            }
          : {
              errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
              errorMessage: `Unable to replicate the partition ${replicas.length} time(s): All brokers are currently fenced or in controlled shutdown.`,
            };
      }
      partitions.push(partition);
    }
    return { partitions, configs };
  }

  /** ReplicationControlManager.validateManualPartitionAssignment. */
  private validateManualAssignment(brokerIds: readonly number[], expectedReplicationFactor: number | null): ConfigFailure | null {
    if (brokerIds.length === 0) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: 'The manual partition assignment includes an empty replica list.',
      };
    }
    const seen = new Set<number>();
    for (const id of brokerIds) {
      if (seen.has(id)) {
        return {
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: `The manual partition assignment includes the broker ${id} more than once.`,
        };
      }
      seen.add(id);
      if (!this.brokers.has(id)) {
        return {
          errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          errorMessage: `The manual partition assignment includes broker ${id}, but no such broker is registered.`,
        };
      }
    }
    if (expectedReplicationFactor !== null && brokerIds.length !== expectedReplicationFactor) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${expectedReplicationFactor} replica(s).`,
      };
    }
    return null;
  }

  /** RCM.buildPartitionRegistration: ISR = the active replicas, leader = the first of them; null if none is active. */
  private newPartition(replicas: number[]): PartitionState | null {
    const isr = replicas.filter((id) => this.isActive(id));
    if (isr.length === 0) return null;
    return {
      replicas,
      isr,
      removingReplicas: [],
      addingReplicas: [],
      leader: isr[0]!,
      leaderRecoveryState: RECOVERED,
      leaderEpoch: 0,
      partitionEpoch: 0,
    };
  }

  private partitionRecord(topicId: string, partitionId: number, p: PartitionState): MetadataRecord {
    const data: PartitionRecord = {
      partitionId,
      topicId,
      replicas: [...p.replicas],
      isr: [...p.isr],
      removingReplicas: [...p.removingReplicas],
      addingReplicas: [...p.addingReplicas],
      leader: p.leader,
      leaderRecoveryState: p.leaderRecoveryState,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      directories: [],
      eligibleLeaderReplicas: null,
      lastKnownElr: null,
    };
    return { type: 'PartitionRecord', version: PARTITION_RECORD_VERSION, data };
  }

  private deleteTopics(request: DeleteTopicsRequest): ControllerResult<DeleteTopicsResponseInput> {
    const results: DeleteTopicsResponseDeletableTopicResultInput[] = [];
    const records: MetadataRecord[] = [];
    const targets: { name: string | null; topicId: string }[] = [
      ...request.topicNames.map((name) => ({ name, topicId: ZERO_UUID })),
      ...request.topics,
    ];
    const seenNames = new Set<string>();
    const seenIds = new Set<string>();
    const deleting = new Set<string>();
    for (const target of targets) {
      const byId = target.topicId !== ZERO_UUID;
      const fail = (errorCode: number, errorMessage: string | null) =>
        results.push({ name: target.name, topicId: target.topicId, errorCode, errorMessage });
      if (byId && target.name !== null) {
        fail(ErrorCode.INVALID_REQUEST, 'Only one of topic name or topic id may be set.');
        continue;
      }
      const key = byId ? target.topicId : (target.name ?? '');
      const seen = byId ? seenIds : seenNames;
      if (seen.has(key)) {
        fail(ErrorCode.INVALID_REQUEST, byId ? 'Duplicate topic id.' : 'Duplicate topic name.');
        continue;
      }
      seen.add(key);
      const topicId = byId ? target.topicId : this.topicIdsByName.get(key);
      const topic = topicId === undefined ? undefined : this.topics.get(topicId);
      if (topic === undefined) {
        if (byId) fail(ErrorCode.UNKNOWN_TOPIC_ID, null);
        else fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
        continue;
      }
      results.push({ name: topic.name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null });
      if (deleting.has(topic.id)) continue;
      deleting.add(topic.id);
      records.push({ type: 'RemoveTopicRecord', version: 0, data: { topicId: topic.id } });
    }
    return { records: this.commit(records), response: { responses: results } };
  }

  private createPartitions(request: CreatePartitionsRequest): ControllerResult<CreatePartitionsResponseInput> {
    const results: CreatePartitionsResponseCreatePartitionsTopicResultInput[] = [];
    const records: MetadataRecord[] = [];
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const placement = new StripedPlacement(this.usableBrokers(), this.random);
    let added = 0;
    for (const topicRequest of request.topics) {
      const fail = (errorCode: number, errorMessage: string | null) => results.push({ name: topicRequest.name, errorCode, errorMessage });
      if ((counts.get(topicRequest.name) ?? 0) > 1) {
        fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        continue;
      }
      const topicId = this.topicIdsByName.get(topicRequest.name);
      const topic = topicId === undefined ? undefined : this.topics.get(topicId);
      if (topic === undefined) {
        fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
        continue;
      }
      const current = topic.partitions.length;
      if (topicRequest.count < current) {
        fail(
          ErrorCode.INVALID_PARTITIONS,
          `The topic ${topic.name} currently has ${current} partition(s); ${topicRequest.count} would not be an increase.`,
        );
        continue;
      }
      if (topicRequest.count === current) {
        fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
        continue;
      }
      const additional = topicRequest.count - current;
      if (added + additional > this.config.limits.maxPartitionsPerRequest) {
        fail(ErrorCode.INVALID_PARTITIONS, 'Excessively large number of partitions per request.');
        continue;
      }
      if (this.partitionCount + added + additional > this.config.limits.maxPartitionsPerCluster) {
        fail(ErrorCode.POLICY_VIOLATION, `The cluster would have more than ${this.config.limits.maxPartitionsPerCluster} partitions.`);
        continue;
      }
      const replicationFactor = topic.partitions[0]!.replicas.length;
      const assignments: number[][] = [];
      let problem: ConfigFailure | null = null;
      if (topicRequest.assignments !== null) {
        if (topicRequest.assignments.length !== additional) {
          problem = {
            errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            errorMessage: `Attempted to add ${additional} additional partition(s), but only ${topicRequest.assignments.length} assignment(s) were specified.`,
          };
        }
        for (const assignment of topicRequest.assignments) {
          problem ??= this.validateManualAssignment(assignment.brokerIds, replicationFactor);
          assignments.push([...assignment.brokerIds]);
        }
      } else {
        try {
          for (let i = 0; i < additional; i++) assignments.push(placement.place(replicationFactor));
        } catch (error) {
          if (!(error instanceof PlacementError)) throw error;
          problem = { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: error.message };
        }
      }
      const partitions: PartitionState[] = [];
      for (const replicas of assignments) {
        if (problem !== null) break;
        const partition = this.newPartition(replicas);
        if (partition === null) {
          problem = {
            errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            errorMessage: `Unable to replicate the partition ${replicas.length} time(s): All brokers are currently fenced or in controlled shutdown.`,
          };
        } else partitions.push(partition);
      }
      if (problem !== null) {
        fail(problem.errorCode, problem.errorMessage);
        continue;
      }
      added += additional;
      results.push({ name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null });
      if (request.validateOnly) continue;
      partitions.forEach((partition, i) => records.push(this.partitionRecord(topic.id, current + i, partition)));
    }
    return { records: this.commit(records), response: { results } };
  }

  private incrementalAlterConfigs(request: IncrementalAlterConfigsRequest): ControllerResult<IncrementalAlterConfigsResponseInput> {
    const records: MetadataRecord[] = [];
    const responses = request.resources.map((resource) => {
      const outcome = this.alterResource(resource.resourceType, resource.resourceName, (current) => {
        const next = applyIncrementalOperations(
          resource.resourceType,
          current,
          resource.configs.map((c) => ({ name: c.name, operation: c.configOperation, value: c.value })),
        );
        return next instanceof Map ? { next, changed: resource.configs.filter((c) => c.configOperation !== 1).map((c) => c.name) } : next;
      });
      return resourceResult(resource, outcome, request.validateOnly, records);
    });
    return { records: this.commit(records), response: { responses } };
  }

  /** AlterConfigs (legacy): the given entries replace every entry of the resource. */
  private alterConfigs(request: AlterConfigsRequest): ControllerResult<AlterConfigsResponseInput> {
    const records: MetadataRecord[] = [];
    const responses = request.resources.map((resource) => {
      const outcome = this.alterResource(resource.resourceType, resource.resourceName, () => {
        const next = new Map<string, string>();
        for (const entry of resource.configs) {
          if (next.has(entry.name)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' };
          if (entry.value !== null) next.set(entry.name, entry.value);
        }
        return { next, changed: [...next.keys()] };
      });
      return resourceResult(resource, outcome, request.validateOnly, records);
    });
    return { records: this.commit(records), response: { responses } };
  }

  private alterResource(
    resourceType: number,
    resourceName: string,
    change: (current: ReadonlyMap<string, string>) => ConfigFailure | { next: Map<string, string>; changed: string[] },
  ): ConfigFailure | { records: MetadataRecord[] } {
    const nameProblem = validateResourceName(resourceType, resourceName);
    if (nameProblem !== null) return nameProblem;
    if (resourceType === RESOURCE_TOPIC && !this.topicIdsByName.has(resourceName)) {
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${resourceName}' does not exist.` };
    }
    const key = configKey(resourceType, resourceName);
    const current = this.configs.get(key)?.entries ?? new Map<string, string>();
    const changed = change(current);
    if ('errorCode' in changed) return changed;
    const { limits } = this.config;
    if (changed.next.size > limits.maxConfigsPerResource) {
      return { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `More than ${limits.maxConfigsPerResource} configs for one resource.` };
    }
    if (current.size === 0 && changed.next.size > 0 && this.configs.size >= limits.maxConfigResources) {
      return { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `More than ${limits.maxConfigResources} resources with configs.` };
    }
    const problem = validateConfigs(resourceType, resourceName, changed.next, changed.changed, limits.maxConfigValueBytes);
    if (problem !== null) return problem;
    return {
      records: configChangeRecords(resourceType, resourceName, current, changed.next).map((data) => ({
        type: 'ConfigRecord',
        version: 0,
        data,
      })),
    };
  }

  private allocateProducerIds(request: AllocateProducerIdsRequest): ControllerResult<AllocateProducerIdsResponseInput> {
    const broker = this.brokers.get(request.brokerId);
    const fail = (errorCode: number) => ({ records: [], response: { errorCode, producerIdStart: -1n, producerIdLen: 0 } });
    if (broker === undefined) return fail(ErrorCode.BROKER_ID_NOT_REGISTERED);
    if (broker.epoch !== request.brokerEpoch) return fail(ErrorCode.STALE_BROKER_EPOCH);
    const start = this.nextProducerId;
    // "Exhausted all producerIds." (ProducerIdControlManager.generateNextProducerId)
    if (start > PRODUCER_ID_MAX - BigInt(PRODUCER_ID_BLOCK_SIZE)) return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    const records = this.commit([
      {
        type: 'ProducerIdsRecord',
        version: 0,
        data: { brokerId: broker.id, brokerEpoch: broker.epoch, nextProducerId: start + BigInt(PRODUCER_ID_BLOCK_SIZE) },
      },
    ]);
    return { records, response: { errorCode: ErrorCode.NONE, producerIdStart: start, producerIdLen: PRODUCER_ID_BLOCK_SIZE } };
  }

  private updateFeatures(request: UpdateFeaturesRequest): ControllerResult<UpdateFeaturesResponseInput> {
    const brokers = [...this.brokers.values()].map((b) => ({ id: b.id, features: b.features }));
    const records: MetadataRecord[] = [];
    let failure: ConfigFailure | null = null;
    const seen = new Set<string>();
    for (const update of request.featureUpdates) {
      // v0 has no upgrade type; allowDowngrade stands for a safe downgrade.
      const upgradeType = update.upgradeType === UPGRADE && update.allowDowngrade ? SAFE_DOWNGRADE : update.upgradeType;
      if (seen.has(update.feature))
        failure = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Feature ${update.feature} was specified more than once.` };
      seen.add(update.feature);
      failure ??= validateFeatureUpdate(
        update.feature,
        update.maxVersionLevel,
        upgradeType,
        this.featureLevels.get(update.feature) ?? 0,
        this.config.supportedFeatures,
        brokers,
      );
      if (failure !== null) break;
      if ((this.featureLevels.get(update.feature) ?? 0) !== update.maxVersionLevel) {
        records.push({ type: 'FeatureLevelRecord', version: 0, data: { name: update.feature, featureLevel: update.maxVersionLevel } });
      }
    }
    const errorCode = failure?.errorCode ?? ErrorCode.NONE;
    const errorMessage = failure?.errorMessage ?? null;
    return {
      // Kafka applies the updates atomically: one failure fails them all.
      records: failure !== null || request.validateOnly ? [] : this.commit(records),
      response: {
        errorCode,
        errorMessage,
        results: request.featureUpdates.map((update) => ({ feature: update.feature, errorCode, errorMessage })),
      },
    };
  }

  // ---------------------------------------------------------------- broker lifecycle helpers

  private hasValidSession(broker: BrokerRegistration, nowMs: number): boolean {
    if (broker.fenced) return false;
    const session = this.sessions.get(broker.id);
    return session !== undefined && session.lastContactMs + this.config.brokerSessionTimeoutMs >= nowMs;
  }

  /**
   * A broker fenced at the end of a controlled shutdown keeps InControlledShutdown (Kafka's
   * BrokerRegistration.cloneWith): it stays SHUTDOWN_NOW, never unfenced again, until a new
   * incarnation registers.
   */
  private controlState(broker: BrokerRegistration): BrokerControlState {
    if (broker.fenced) return broker.inControlledShutdown ? 'SHUTDOWN_NOW' : 'FENCED';
    return broker.inControlledShutdown ? 'CONTROLLED_SHUTDOWN' : 'UNFENCED';
  }

  private nextControlState(
    broker: BrokerRegistration,
    current: BrokerControlState,
    request: BrokerHeartbeatRequest,
    isCaughtUp: boolean,
    session: BrokerSession,
  ): BrokerControlState {
    switch (current) {
      case 'FENCED':
        if (request.wantShutDown) return 'SHUTDOWN_NOW';
        return !request.wantFence && isCaughtUp ? 'UNFENCED' : 'FENCED';
      case 'UNFENCED':
        if (request.wantFence) return request.wantShutDown ? 'SHUTDOWN_NOW' : 'FENCED';
        if (request.wantShutDown) return this.leadsAnyPartition(broker.id) ? 'CONTROLLED_SHUTDOWN' : 'SHUTDOWN_NOW';
        return 'UNFENCED';
      case 'CONTROLLED_SHUTDOWN':
        if (this.leadsAnyPartition(broker.id)) return 'CONTROLLED_SHUTDOWN';
        if (session.controlledShutdownOffset !== null && session.controlledShutdownOffset <= this.lowestActiveOffset())
          return 'SHUTDOWN_NOW';
        return 'CONTROLLED_SHUTDOWN';
      case 'SHUTDOWN_NOW':
        return 'SHUTDOWN_NOW';
    }
  }

  /** The lowest metadata offset an active (unfenced, not shutting down) broker reported. */
  private lowestActiveOffset(): bigint {
    let lowest = PRODUCER_ID_MAX;
    for (const broker of this.brokers.values()) {
      if (!this.isActive(broker.id)) continue;
      const offset = this.sessions.get(broker.id)!.metadataOffset;
      if (offset < lowest) lowest = offset;
    }
    return lowest;
  }

  private isActive(brokerId: number): boolean {
    const broker = this.brokers.get(brokerId);
    return broker !== undefined && !broker.fenced && !broker.inControlledShutdown;
  }

  private usableBrokers(): UsableBroker[] {
    return [...this.brokers.values()].filter((b) => !b.inControlledShutdown).map((b) => ({ id: b.id, rack: b.rack, fenced: b.fenced }));
  }

  private leadsAnyPartition(brokerId: number): boolean {
    for (const topic of this.topics.values()) if (topic.partitions.some((p) => p.leader === brokerId)) return true;
    return false;
  }

  private partitionsWithBrokerInIsr(brokerId: number): [TopicState, number][] {
    const found: [TopicState, number][] = [];
    for (const topic of this.topics.values()) topic.partitions.forEach((p, i) => p.isr.includes(brokerId) && found.push([topic, i]));
    return found;
  }

  private partitionsWithNoLeader(): [TopicState, number][] {
    const found: [TopicState, number][] = [];
    for (const topic of this.topics.values()) topic.partitions.forEach((p, i) => p.leader === NO_LEADER && found.push([topic, i]));
    return found;
  }

  private fenceRecords(broker: BrokerRegistration): MetadataRecord[] {
    return [
      ...this.leaderAndIsrUpdates(broker.id, -1, this.partitionsWithBrokerInIsr(broker.id)),
      this.registrationChange(broker, { fenced: FENCE }),
    ];
  }

  private unfenceRecords(broker: BrokerRegistration): MetadataRecord[] {
    return [
      this.registrationChange(broker, { fenced: UNFENCE }),
      ...this.leaderAndIsrUpdates(-1, broker.id, this.partitionsWithNoLeader()),
    ];
  }

  private controlledShutdownRecords(broker: BrokerRegistration): MetadataRecord[] {
    return [
      this.registrationChange(broker, { inControlledShutdown: 1 }),
      ...this.leaderAndIsrUpdates(broker.id, -1, this.partitionsWithBrokerInIsr(broker.id)),
    ];
  }

  private registrationChange(broker: BrokerRegistration, change: { fenced?: number; inControlledShutdown?: number }): MetadataRecord {
    return {
      type: 'BrokerRegistrationChangeRecord',
      version: BROKER_REGISTRATION_CHANGE_RECORD_VERSION,
      data: {
        brokerId: broker.id,
        brokerEpoch: broker.epoch,
        fenced: change.fenced ?? 0,
        inControlledShutdown: change.inControlledShutdown ?? 0,
        logDirs: [],
        cordonedLogDirs: null,
      },
    };
  }

  /**
   * RCM.generateLeaderAndIsrUpdates: `brokerToRemove` leaves the ISR and may not lead;
   * `brokerToAdd` may lead although the registration still shows it fenced.
   */
  private leaderAndIsrUpdates(brokerToRemove: number, brokerToAdd: number, partitions: [TopicState, number][]): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    const bumpOnShrink = (this.featureLevels.get(METADATA_VERSION) ?? 0) < METADATA_VERSION_3_6_IV0;
    for (const [topic, partitionId] of partitions) {
      const partition = topic.partitions[partitionId]!;
      const change = buildPartitionChange({
        topicId: topic.id,
        partitionId,
        partition,
        targetIsr: brokerToRemove === -1 ? null : partition.isr.filter((id) => id !== brokerToRemove),
        isAcceptableLeader: (id) => id !== brokerToRemove && (id === brokerToAdd || this.isActive(id)),
        election: this.uncleanLeaderElectionEnabled(topic.name) ? 'UNCLEAN' : 'ONLINE',
        bumpLeaderEpochOnIsrShrink: bumpOnShrink,
      });
      if (change !== null) records.push({ type: 'PartitionChangeRecord', version: PARTITION_CHANGE_RECORD_VERSION, data: change });
    }
    return records;
  }

  /** The topic's override, else the cluster-wide dynamic default, else the controller's static config. */
  private uncleanLeaderElectionEnabled(topicName: string): boolean {
    const name = 'unclean.leader.election.enable';
    const value =
      this.configs.get(configKey(RESOURCE_TOPIC, topicName))?.entries.get(name) ??
      this.configs.get(configKey(RESOURCE_BROKER, ''))?.entries.get(name) ??
      String(this.config.uncleanLeaderElectionEnable);
    return value.trim().toLowerCase() === 'true';
  }

  // ---------------------------------------------------------------- replay

  private commit(records: MetadataRecord[]): MetadataRecord[] {
    for (const record of records) this.replay(record);
    return records;
  }

  /** Applies one committed (or just generated) record. Throws AssertionError on a record that contradicts the state. */
  replay(record: MetadataRecord): void {
    switch (record.type) {
      case 'RegisterBrokerRecord': {
        const d = record.data;
        this.brokers.set(d.brokerId, {
          id: d.brokerId,
          incarnationId: d.incarnationId,
          epoch: d.brokerEpoch,
          endPoints: d.endPoints.map((e) => ({ ...e })),
          features: d.features.map((f) => ({ name: f.name, minVersion: f.minSupportedVersion, maxVersion: f.maxSupportedVersion })),
          rack: d.rack,
          fenced: d.fenced,
          inControlledShutdown: d.inControlledShutdown,
        });
        if (this.active && !this.sessions.has(d.brokerId)) {
          this.sessions.set(d.brokerId, { lastContactMs: 0, metadataOffset: -1n, controlledShutdownOffset: null });
        }
        if (this.active && d.fenced) this.sessions.get(d.brokerId)!.controlledShutdownOffset = null;
        break;
      }
      case 'UnregisterBrokerRecord': {
        const broker = this.brokers.get(record.data.brokerId);
        assert(
          broker !== undefined && broker.epoch === record.data.brokerEpoch,
          `UnregisterBrokerRecord for unknown broker ${record.data.brokerId}`,
        );
        this.brokers.delete(broker.id);
        this.sessions.delete(broker.id);
        break;
      }
      case 'BrokerRegistrationChangeRecord': {
        const d = record.data;
        const broker = this.brokers.get(d.brokerId);
        assert(
          broker !== undefined && broker.epoch === d.brokerEpoch,
          `BrokerRegistrationChangeRecord for unknown broker ${d.brokerId} epoch ${d.brokerEpoch}`,
        );
        if (d.fenced === FENCE) broker.fenced = true;
        else if (d.fenced === UNFENCE) broker.fenced = false;
        if (d.inControlledShutdown === 1) broker.inControlledShutdown = true;
        break;
      }
      case 'FenceBrokerRecord':
      case 'UnfenceBrokerRecord': {
        const broker = this.brokers.get(record.data.id);
        assert(broker !== undefined && broker.epoch === record.data.epoch, `${record.type} for unknown broker ${record.data.id}`);
        broker.fenced = record.type === 'FenceBrokerRecord';
        break;
      }
      case 'TopicRecord': {
        const { name, topicId } = record.data;
        assert(!this.topics.has(topicId) && !this.topicIdsByName.has(name), `TopicRecord for existing topic ${name}`);
        this.topics.set(topicId, { id: topicId, name, partitions: [] });
        this.topicIdsByName.set(name, topicId);
        const unified = unifyCollisionChars(name);
        const names = this.topicsByUnifiedName.get(unified) ?? new Set<string>();
        names.add(name);
        this.topicsByUnifiedName.set(unified, names);
        break;
      }
      case 'PartitionRecord': {
        const topic = this.topics.get(record.data.topicId);
        assert(topic !== undefined, `PartitionRecord for unknown topic ${record.data.topicId}`);
        const { partitionId } = record.data;
        assert(partitionId <= topic.partitions.length, `PartitionRecord ${partitionId} leaves a gap in ${topic.name}`);
        if (partitionId === topic.partitions.length) this.partitionCount++;
        topic.partitions[partitionId] = partitionFromRecord(record.data);
        break;
      }
      case 'PartitionChangeRecord': {
        const topic = this.topics.get(record.data.topicId);
        const partition = topic?.partitions[record.data.partitionId];
        assert(
          topic !== undefined && partition !== undefined,
          `PartitionChangeRecord for unknown partition ${record.data.topicId}:${record.data.partitionId}`,
        );
        topic.partitions[record.data.partitionId] = mergePartitionChange(partition, record.data);
        break;
      }
      case 'RemoveTopicRecord': {
        const topic = this.topics.get(record.data.topicId);
        assert(topic !== undefined, `RemoveTopicRecord for unknown topic ${record.data.topicId}`);
        this.topics.delete(topic.id);
        this.topicIdsByName.delete(topic.name);
        const unified = this.topicsByUnifiedName.get(unifyCollisionChars(topic.name))!;
        unified.delete(topic.name);
        if (unified.size === 0) this.topicsByUnifiedName.delete(unifyCollisionChars(topic.name));
        this.partitionCount -= topic.partitions.length;
        // Kafka removes the topic's configs with it (ConfigurationControlManager.deleteTopicConfigs).
        this.configs.delete(configKey(RESOURCE_TOPIC, topic.name));
        break;
      }
      case 'ConfigRecord': {
        const { resourceType, resourceName, name, value } = record.data;
        const key = configKey(resourceType, resourceName);
        const resource = this.configs.get(key) ?? { resourceType, resourceName, entries: new Map<string, string>() };
        if (value === null) resource.entries.delete(name);
        else resource.entries.set(name, value);
        if (resource.entries.size === 0) this.configs.delete(key);
        else this.configs.set(key, resource);
        break;
      }
      case 'FeatureLevelRecord':
        if (record.data.featureLevel === 0 && record.data.name !== METADATA_VERSION) this.featureLevels.delete(record.data.name);
        else this.featureLevels.set(record.data.name, record.data.featureLevel);
        break;
      case 'ProducerIdsRecord':
        assert(
          record.data.nextProducerId > this.nextProducerId,
          `ProducerIdsRecord moves the next producer id back to ${record.data.nextProducerId}`,
        );
        this.nextProducerId = record.data.nextProducerId;
        break;
      case 'NoOpRecord':
      case 'RegisterControllerRecord':
      case 'ClearElrRecord':
        // No controller state: controllers are the Raft voters; Fjord has no ELR.
        break;
    }
  }

  // ---------------------------------------------------------------- snapshot, queries

  /** Records that rebuild this state from nothing (the body of a Raft snapshot). */
  snapshot(): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    const features = [...this.featureLevels].sort(([a], [b]) =>
      a === METADATA_VERSION ? -1 : b === METADATA_VERSION ? 1 : a.localeCompare(b),
    );
    for (const [name, featureLevel] of features) records.push({ type: 'FeatureLevelRecord', version: 0, data: { name, featureLevel } });
    for (const broker of [...this.brokers.values()].sort((a, b) => a.id - b.id)) {
      records.push({
        type: 'RegisterBrokerRecord',
        version: REGISTER_BROKER_RECORD_VERSION,
        data: {
          brokerId: broker.id,
          isMigratingZkBroker: false,
          incarnationId: broker.incarnationId,
          brokerEpoch: broker.epoch,
          endPoints: broker.endPoints.map((e) => ({ ...e })),
          features: broker.features.map((f) => ({ name: f.name, minSupportedVersion: f.minVersion, maxSupportedVersion: f.maxVersion })),
          rack: broker.rack,
          fenced: broker.fenced,
          inControlledShutdown: broker.inControlledShutdown,
          logDirs: [],
          cordonedLogDirs: null,
        },
      });
    }
    for (const topic of this.topics.values()) {
      records.push({ type: 'TopicRecord', version: 0, data: { name: topic.name, topicId: topic.id } });
      topic.partitions.forEach((partition, i) => records.push(this.partitionRecord(topic.id, i, partition)));
    }
    for (const resource of this.configs.values()) {
      for (const [name, value] of resource.entries) {
        records.push({
          type: 'ConfigRecord',
          version: 0,
          data: { resourceType: resource.resourceType, resourceName: resource.resourceName, name, value },
        });
      }
    }
    if (this.nextProducerId > 0n) {
      // ProducerIdsImage keeps only the next id; Kafka writes it with broker -1, epoch -1.
      records.push({
        type: 'ProducerIdsRecord',
        version: 0,
        data: { brokerId: -1, brokerEpoch: -1n, nextProducerId: this.nextProducerId },
      });
    }
    return records;
  }

  /** The replayed state as canonical text: equal texts mean equal states. */
  describeState(): string {
    const lines: string[] = [];
    for (const [name, level] of [...this.featureLevels].sort(([a], [b]) => a.localeCompare(b))) lines.push(`feature ${name}=${level}`);
    for (const b of [...this.brokers.values()].sort((x, y) => x.id - y.id)) {
      const endPoints = b.endPoints.map((e) => `${e.name}://${e.host}:${e.port}`).join(',');
      const features = b.features.map((f) => `${f.name}:${f.minVersion}-${f.maxVersion}`).join(',');
      lines.push(
        `broker ${b.id} epoch=${b.epoch} incarnation=${b.incarnationId} rack=${b.rack ?? '-'} fenced=${b.fenced} shutdown=${b.inControlledShutdown} endpoints=[${endPoints}] features=[${features}]`,
      );
    }
    for (const t of [...this.topics.values()].sort((x, y) => x.name.localeCompare(y.name))) {
      lines.push(`topic ${t.name} id=${t.id}`);
      t.partitions.forEach((p, i) => lines.push(`  ${i} ${describePartition(p)}`));
    }
    for (const r of [...this.configs.values()].sort((x, y) =>
      configKey(x.resourceType, x.resourceName).localeCompare(configKey(y.resourceType, y.resourceName)),
    )) {
      const entries = [...r.entries].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
      lines.push(
        `config ${r.resourceType === RESOURCE_TOPIC ? 'topic' : r.resourceType === RESOURCE_BROKER ? 'broker' : r.resourceType}:${JSON.stringify(r.resourceName)} ${entries.join(' ')}`,
      );
    }
    lines.push(`next-producer-id ${this.nextProducerId}`);
    return lines.join('\n');
  }

  broker(id: number): Readonly<BrokerRegistration> | undefined {
    return this.brokers.get(id);
  }

  topic(name: string): Readonly<TopicState> | undefined {
    const id = this.topicIdsByName.get(name);
    return id === undefined ? undefined : this.topics.get(id);
  }

  /** All topics, in creation (log) order. */
  allTopics(): readonly Readonly<TopicState>[] {
    return [...this.topics.values()];
  }

  featureLevel(name: string): number {
    return this.featureLevels.get(name) ?? 0;
  }
}

export function describePartition(p: PartitionState): string {
  const extra = p.leaderRecoveryState === RECOVERED ? '' : ' recovering';
  return `replicas=[${p.replicas.join(',')}] isr=[${p.isr.join(',')}] leader=${p.leader} leaderEpoch=${p.leaderEpoch} partitionEpoch=${p.partitionEpoch}${extra}`;
}

/** One resource's answer to (Incremental)AlterConfigs; its records are kept unless it failed or only validated. */
function resourceResult(
  resource: { resourceType: number; resourceName: string },
  outcome: { records: MetadataRecord[] } | { errorCode: number; errorMessage: string | null },
  validateOnly: boolean,
  records: MetadataRecord[],
): { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string } {
  if ('errorCode' in outcome) {
    return {
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage,
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
    };
  }
  if (!validateOnly) records.push(...outcome.records);
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName };
}
