/**
 * A data-driven runner for the controller (the format of group/script-runner.ts): blocks of
 *
 *     <command> <args...>
 *     ----
 *     <expected output lines>
 *
 * Time starts at 0 and moves only with `advance`; the metadata log starts empty at offset 0 and
 * every record a command generates is appended (encoded and decoded, as Raft would carry it) and
 * printed as `@<offset> <Record> ...`. Topic ids are a counter (printed as `#n`). Args are
 * key=value; defaults are shown:
 *
 *   config seed=1 session=9000 partitions=1 rf=1 unclean=false cluster=fjord-cluster
 *          features=metadata.version:7-7,kraft.version:0-0,group.version:0-0 max-partitions-per-request=10000
 *          bootstrap=metadata.version:7[,group.version:1] (default: highest supported)
 *          max-partitions=100000 max-brokers=1000    (re)creates the controller; only first
 *   activate                                     becomes active (bootstrap records on an empty log)
 *   register <id> incarnation=<id> cluster= rack= features=metadata.version:7-7 prev=-1
 *   heartbeat <id> epoch=<registered> offset=<log end - 1> fence shutdown   (flags without =)
 *   unregister <id>
 *   create-topic <name>[,<name>...] partitions=-1 rf=-1 assign=1;2,2;3 configs=k=v;k2=v2 validate
 *   delete-topics names=a,b ids=#1,#2
 *   create-partitions <topic> count=N assign=1;2,2;3 validate
 *   incremental-alter type=topic|broker name= ops=set:k=v,delete:k,append:k=v,subtract:k=v validate
 *   alter-configs type=topic|broker name= configs=k=v;k2=v2 validate
 *   allocate-producer-ids <broker> epoch=<registered>
 *   update-features <feature>=<level>[,...] type=upgrade|safe|unsafe validate
 *   advance <ms>                                 moves time and runs tick
 *   state                                        the controller's replayed state
 *   restart                                      a new controller replays the whole log, then activates
 *   restart-from-snapshot                        a new controller replays snapshot(), then activates
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../metadata/metadata-record.js';
import { DEFAULT_CONTROLLER_CONFIG, DEFAULT_CONTROLLER_LIMITS, type ControllerConfig, type FeatureRange } from './controller-config.js';
import { OP_APPEND, OP_DELETE, OP_SET, OP_SUBTRACT, RESOURCE_BROKER, RESOURCE_TOPIC } from './config-control.js';
import { SAFE_DOWNGRADE, UNSAFE_DOWNGRADE, UPGRADE } from './feature-control.js';
import type { PlacementRandom } from './replica-placer.js';
import { QuorumController, type ControllerRandom } from './quorum-controller.js';

const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));
const errorName = (code: number | undefined) => ERROR_NAMES.get(code ?? 0) ?? String(code);
const ZERO_UUID = '0'.repeat(32);
const uuidOf = (n: number) => n.toString(16).padStart(32, '0');
const shortId = (uuid: string) => (uuid === ZERO_UUID ? '-' : `#${BigInt(`0x${uuid}`)}`);
const parseId = (text: string) => (text.startsWith('#') ? uuidOf(Number(text.slice(1))) : text);

const message = (text: string | null | undefined) => (text === null || text === undefined ? '' : ` "${text}"`);
const list = (items: readonly number[] | null) => (items === null ? 'null' : `[${items.join(',')}]`);

export { parseScript, formatScript, scriptComments } from '../group/script-runner.js';
import { parseScriptCommand } from '../group/script-runner.js';

function parseFeatures(text: string): FeatureRange[] {
  return text
    .split(',')
    .filter((f) => f !== '')
    .map((f) => {
      const match = /^([^:]+):(\d+)-(\d+)$/.exec(f);
      if (!match) throw new Error(`bad feature range ${f} (name:min-max)`);
      return { name: match[1]!, minVersion: Number(match[2]), maxVersion: Number(match[3]) };
    });
}

function parseAssignments(text: string): number[][] {
  return text
    .split(',')
    .filter((a) => a !== '')
    .map((a) => a.split(';').map(Number));
}

export class ScriptRunner {
  private nowMs = 0;
  private config: ControllerConfig = { ...DEFAULT_CONTROLLER_CONFIG };
  private seed = 1;
  private uuidCounter = 0;
  private controller: QuorumController;
  /** The metadata log: every record appended so far, as decoded from its bytes. */
  private readonly log: MetadataRecord[] = [];
  private readonly topicNames = new Map<string, string>();

  /** `randomFor(seed)` gives the placement randomness (the test passes a seeded PRNG). */
  constructor(private readonly randomFor: (seed: number) => PlacementRandom) {
    this.controller = this.newController();
  }

  private newController(): QuorumController {
    const placement = this.randomFor(this.seed);
    const random: ControllerRandom = {
      nextInt: (bound) => placement.nextInt(bound),
      nextUuid: () => uuidOf(++this.uuidCounter),
    };
    return new QuorumController(this.config, random);
  }

  private get nextOffset(): bigint {
    return BigInt(this.log.length);
  }

  run(command: string): string {
    const { name, positional, args, str, num } = parseScriptCommand(command);
    const flag = (key: string) => positional.includes(key);
    const brokerArg = () => {
      const id = Number(positional[0]);
      if (!Number.isInteger(id)) throw new Error(`${name}: first argument must be a broker id`);
      return id;
    };
    const epochOf = (id: number) => (args.has('epoch') ? BigInt(str('epoch', '-1')) : (this.controller.broker(id)?.epoch ?? -1n));
    const now = this.nowMs;
    const offset = this.nextOffset;
    switch (name) {
      case 'config': {
        this.seed = num('seed', 1);
        this.config = {
          ...DEFAULT_CONTROLLER_CONFIG,
          clusterId: str('cluster', DEFAULT_CONTROLLER_CONFIG.clusterId),
          brokerSessionTimeoutMs: num('session', 9000),
          defaultNumPartitions: num('partitions', 1),
          defaultReplicationFactor: num('rf', 1),
          uncleanLeaderElectionEnable: str('unclean', 'false') === 'true',
          supportedFeatures: args.has('features') ? parseFeatures(str('features', '')) : DEFAULT_CONTROLLER_CONFIG.supportedFeatures,
          bootstrapFeatureLevels: args.has('bootstrap')
            ? str('bootstrap', '')
                .split(',')
                .map((f) => ({ name: f.split(':')[0]!, level: Number(f.split(':')[1]) }))
            : null,
          limits: {
            ...DEFAULT_CONTROLLER_LIMITS,
            maxPartitionsPerRequest: num('max-partitions-per-request', DEFAULT_CONTROLLER_LIMITS.maxPartitionsPerRequest),
            maxPartitionsPerCluster: num('max-partitions', DEFAULT_CONTROLLER_LIMITS.maxPartitionsPerCluster),
            maxBrokers: num('max-brokers', DEFAULT_CONTROLLER_LIMITS.maxBrokers),
          },
        };
        this.controller = this.newController();
        return '';
      }
      case 'activate':
        return this.format(this.controller.activate(now));
      case 'register': {
        const id = brokerArg();
        const result = this.controller.handle(
          'BrokerRegistration',
          {
            brokerId: id,
            clusterId: str('cluster', this.config.clusterId),
            incarnationId: uuidOf(num('incarnation', id)),
            listeners: [{ name: 'PLAINTEXT', host: `broker-${id}`, port: 9092, securityProtocol: 0 }],
            features: parseFeatures(str('features', 'metadata.version:7-7')).map((f) => ({
              name: f.name,
              minSupportedVersion: f.minVersion,
              maxSupportedVersion: f.maxVersion,
            })),
            rack: args.has('rack') ? str('rack', '') : null,
            isMigratingZkBroker: false,
            logDirs: [],
            previousBrokerEpoch: BigInt(str('prev', '-1')),
          },
          now,
          offset,
        );
        const r = result.response;
        return this.format(result.records, `BrokerRegistration error=${errorName(r.errorCode)} epoch=${r.brokerEpoch}`);
      }
      case 'heartbeat': {
        const id = brokerArg();
        const result = this.controller.handle(
          'BrokerHeartbeat',
          {
            brokerId: id,
            brokerEpoch: epochOf(id),
            currentMetadataOffset: BigInt(str('offset', String(this.log.length - 1))),
            wantFence: flag('fence'),
            wantShutDown: flag('shutdown'),
            offlineLogDirs: [],
            cordonedLogDirs: null,
          },
          now,
          offset,
        );
        const r = result.response;
        const body =
          r.errorCode === ErrorCode.NONE
            ? `caughtUp=${r.isCaughtUp} fenced=${r.isFenced} shouldShutDown=${r.shouldShutDown}`
            : `error=${errorName(r.errorCode)}`;
        return this.format(result.records, `BrokerHeartbeat ${body}`);
      }
      case 'unregister': {
        const result = this.controller.handle('UnregisterBroker', { brokerId: brokerArg() }, now, offset);
        return this.format(
          result.records,
          `UnregisterBroker error=${errorName(result.response.errorCode)}${message(result.response.errorMessage)}`,
        );
      }
      case 'create-topic': {
        const configs = str('configs', '')
          .split(';')
          .filter((c) => c !== '')
          .map((c) => ({ name: c.slice(0, c.indexOf('=')), value: c.slice(c.indexOf('=') + 1) }));
        const assignments = parseAssignments(str('assign', '')).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }));
        const topics = (positional[0] ?? '').split(',').map((topicName) => ({
          name: topicName,
          numPartitions: num('partitions', -1),
          replicationFactor: num('rf', -1),
          assignments,
          configs,
        }));
        const result = this.controller.handle('CreateTopics', { topics, timeoutMs: 30000, validateOnly: flag('validate') }, now, offset);
        const lines = (result.response.topics ?? []).map((t) =>
          t.errorCode === ErrorCode.NONE
            ? `CreateTopics ${t.name} id=${shortId(t.topicId ?? ZERO_UUID)} partitions=${t.numPartitions} rf=${t.replicationFactor}`
            : `CreateTopics ${t.name} error=${errorName(t.errorCode)}${message(t.errorMessage)}`,
        );
        return this.format(result.records, lines.join('\n'));
      }
      case 'delete-topics': {
        const names = str('names', '')
          .split(',')
          .filter((n) => n !== '');
        const ids = str('ids', '')
          .split(',')
          .filter((n) => n !== '')
          .map((id) => ({ name: null, topicId: parseId(id) }));
        const result = this.controller.handle('DeleteTopics', { topicNames: names, topics: ids, timeoutMs: 30000 }, now, offset);
        const lines = (result.response.responses ?? []).map(
          (t) =>
            `DeleteTopics ${t.name ?? '-'} id=${shortId(t.topicId ?? ZERO_UUID)} error=${errorName(t.errorCode)}${message(t.errorMessage)}`,
        );
        return this.format(result.records, lines.join('\n'));
      }
      case 'create-partitions': {
        const assignments = args.has('assign') ? parseAssignments(str('assign', '')).map((brokerIds) => ({ brokerIds })) : null;
        const result = this.controller.handle(
          'CreatePartitions',
          {
            topics: [{ name: positional[0] ?? '', count: num('count', 1), assignments }],
            timeoutMs: 30000,
            validateOnly: flag('validate'),
          },
          now,
          offset,
        );
        const lines = (result.response.results ?? []).map(
          (t) => `CreatePartitions ${t.name} error=${errorName(t.errorCode)}${message(t.errorMessage)}`,
        );
        return this.format(result.records, lines.join('\n'));
      }
      case 'incremental-alter': {
        const opIds: Record<string, number> = { set: OP_SET, delete: OP_DELETE, append: OP_APPEND, subtract: OP_SUBTRACT };
        const configs = str('ops', '')
          .split(',')
          .filter((o) => o !== '')
          .map((o) => {
            const [op, rest_] = [o.slice(0, o.indexOf(':')), o.slice(o.indexOf(':') + 1)];
            const eq = rest_.indexOf('=');
            return {
              name: eq < 0 ? rest_ : rest_.slice(0, eq),
              configOperation: opIds[op] ?? Number(op),
              value: eq < 0 ? null : rest_.slice(eq + 1).replaceAll(';', ','),
            };
          });
        const result = this.controller.handle(
          'IncrementalAlterConfigs',
          {
            resources: [{ resourceType: this.resourceType(str('type', 'topic')), resourceName: str('name', ''), configs }],
            validateOnly: flag('validate'),
          },
          now,
          offset,
        );
        const lines = (result.response.responses ?? []).map(
          (r) => `IncrementalAlterConfigs error=${errorName(r.errorCode)}${message(r.errorMessage)}`,
        );
        return this.format(result.records, lines.join('\n'));
      }
      case 'alter-configs': {
        const configs = str('configs', '')
          .split(';')
          .filter((c) => c !== '')
          .map((c) => ({ name: c.slice(0, c.indexOf('=')), value: c.slice(c.indexOf('=') + 1) }));
        const result = this.controller.handle(
          'AlterConfigs',
          {
            resources: [{ resourceType: this.resourceType(str('type', 'topic')), resourceName: str('name', ''), configs }],
            validateOnly: flag('validate'),
          },
          now,
          offset,
        );
        const lines = (result.response.responses ?? []).map(
          (r) => `AlterConfigs error=${errorName(r.errorCode)}${message(r.errorMessage)}`,
        );
        return this.format(result.records, lines.join('\n'));
      }
      case 'allocate-producer-ids': {
        const id = brokerArg();
        const result = this.controller.handle('AllocateProducerIds', { brokerId: id, brokerEpoch: epochOf(id) }, now, offset);
        const r = result.response;
        const body =
          r.errorCode === ErrorCode.NONE ? `start=${r.producerIdStart} len=${r.producerIdLen}` : `error=${errorName(r.errorCode)}`;
        return this.format(result.records, `AllocateProducerIds ${body}`);
      }
      case 'update-features': {
        const types: Record<string, number> = { upgrade: UPGRADE, safe: SAFE_DOWNGRADE, unsafe: UNSAFE_DOWNGRADE };
        const featureUpdates = (positional[0] ?? '')
          .split(',')
          .filter((u) => u !== '')
          .map((u) => {
            const [feature, level] = u.split(':');
            return {
              feature: feature!,
              maxVersionLevel: Number(level),
              allowDowngrade: false,
              upgradeType: types[str('type', 'upgrade')]!,
            };
          });
        const result = this.controller.handle(
          'UpdateFeatures',
          { timeoutMs: 30000, featureUpdates, validateOnly: flag('validate') },
          now,
          offset,
        );
        const r = result.response;
        return this.format(result.records, `UpdateFeatures error=${errorName(r.errorCode)}${message(r.errorMessage)}`);
      }
      case 'advance': {
        this.nowMs += Number(positional[0]);
        return this.format(this.controller.tick(this.nowMs), `time=${this.nowMs}`);
      }
      case 'state':
        return this.controller
          .describeState()
          .split('\n')
          .map((line) =>
            line
              .replace(/ id=([0-9a-f]{32})/, (_, id: string) => ` id=${shortId(id)}`)
              .replace(/incarnation=([0-9a-f]{32})/, (_, id: string) => `incarnation=${shortId(id)}`),
          )
          .join('\n');
      case 'restart':
      case 'restart-from-snapshot': {
        const records = name === 'restart' ? this.log : this.controller.snapshot();
        const before = this.controller.describeState();
        this.controller = this.newController();
        for (const record of records) this.controller.replay(decodeMetadataRecord(encodeMetadataRecord(record)));
        const same = this.controller.describeState() === before;
        const bootstrap = this.controller.activate(this.nowMs);
        return this.format(bootstrap, `replayed ${records.length} records, state ${same ? 'identical' : 'DIFFERENT'}`);
      }
      default:
        throw new Error(`unknown command ${name}`);
    }
  }

  private resourceType(text: string): number {
    if (text === 'topic') return RESOURCE_TOPIC;
    if (text === 'broker') return RESOURCE_BROKER;
    return Number(text);
  }

  /** Appends the records to the log (through their bytes) and prints them after the header. */
  private format(records: readonly MetadataRecord[], header?: string): string {
    const lines = header === undefined || header === '' ? [] : [header];
    for (const record of records) {
      const offset = this.log.length;
      const decoded = decodeMetadataRecord(encodeMetadataRecord(record));
      this.log.push(decoded);
      lines.push(`@${offset} ${this.formatRecord(decoded)}`);
    }
    return lines.join('\n');
  }

  private formatRecord(record: MetadataRecord): string {
    switch (record.type) {
      case 'RegisterBrokerRecord': {
        const d = record.data;
        return `RegisterBroker id=${d.brokerId} epoch=${d.brokerEpoch} inc=${BigInt(`0x${d.incarnationId}`)} rack=${d.rack ?? '-'} fenced=${d.fenced} shutdown=${d.inControlledShutdown}`;
      }
      case 'BrokerRegistrationChangeRecord': {
        const d = record.data;
        const parts = [`id=${d.brokerId}`, `epoch=${d.brokerEpoch}`];
        if (d.fenced !== 0) parts.push(d.fenced === 1 ? 'fence' : 'unfence');
        if (d.inControlledShutdown !== 0) parts.push('controlled-shutdown');
        return `BrokerRegistrationChange ${parts.join(' ')}`;
      }
      case 'UnregisterBrokerRecord':
        return `UnregisterBroker id=${record.data.brokerId} epoch=${record.data.brokerEpoch}`;
      case 'TopicRecord':
        this.topicNames.set(record.data.topicId, record.data.name);
        return `Topic ${record.data.name} id=${shortId(record.data.topicId)}`;
      case 'PartitionRecord': {
        const d = record.data;
        return `Partition ${this.topicName(d.topicId)}:${d.partitionId} replicas=${list(d.replicas)} isr=${list(d.isr)} leader=${d.leader} leaderEpoch=${d.leaderEpoch} partitionEpoch=${d.partitionEpoch}`;
      }
      case 'PartitionChangeRecord': {
        const d = record.data;
        const parts = [`${this.topicName(d.topicId)}:${d.partitionId}`];
        if (d.isr !== null) parts.push(`isr=${list(d.isr)}`);
        if (d.leader !== -2) parts.push(`leader=${d.leader}`);
        if (d.replicas !== null) parts.push(`replicas=${list(d.replicas)}`);
        if (d.leaderRecoveryState !== -1) parts.push(`recoveryState=${d.leaderRecoveryState}`);
        return `PartitionChange ${parts.join(' ')}`;
      }
      case 'RemoveTopicRecord':
        return `RemoveTopic ${this.topicName(record.data.topicId)} id=${shortId(record.data.topicId)}`;
      case 'ConfigRecord': {
        const d = record.data;
        const type = d.resourceType === RESOURCE_TOPIC ? 'topic' : d.resourceType === RESOURCE_BROKER ? 'broker' : String(d.resourceType);
        return `Config ${type}:${JSON.stringify(d.resourceName)} ${d.name}=${d.value ?? 'null'}`;
      }
      case 'FeatureLevelRecord':
        return `FeatureLevel ${record.data.name}=${record.data.featureLevel}`;
      case 'ProducerIdsRecord':
        return `ProducerIds broker=${record.data.brokerId} epoch=${record.data.brokerEpoch} next=${record.data.nextProducerId}`;
      default:
        return record.type;
    }
  }

  private topicName(topicId: string): string {
    return this.topicNames.get(topicId) ?? shortId(topicId);
  }
}
