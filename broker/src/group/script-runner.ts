import { ErrorCode } from '../protocol/error-codes.js';
import { DEFAULT_COORDINATOR_CONFIG, GroupCoordinator, type CoordinatorConfig, type Output, type Reply } from './group-coordinator.js';
import { decodeOffsetsRecord, encodeOffsetsRecord, type OffsetsRecord } from './offsets-records.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from '../protocol/generated/consumer-protocol-subscription.js';

/**
 * A tiny data-driven runner for the group coordinator (etcd raft's `testdata/*.txt` style).
 * A script is a list of blocks:
 *
 *     <command> <args...>
 *     ----
 *     <expected output lines>
 *     <blank line>
 *
 * Lines starting with `#` are comments. Time starts at 0 and only moves with `advance`.
 * Member ids are `<client id>-u<n>` (a counter stands in for UUIDs). Byte fields are written and
 * printed as text. Commands (args are key=value; missing keys take the defaults shown):
 *
 *   config initial-delay=0 min-session=6000 max-session=1800000 max-size=N retention=ms check=ms
 *                                      (re)creates the coordinator; allowed only first
 *   join <req> group=g member= client=c v=5 session=10000 rebalance=30000 type=consumer
 *        protocols=range:meta[,rr:meta2] instance=
 *   sync <req> group=g member=m gen=1 assign=m1:a1,m2:a2 instance= v=3
 *   heartbeat <req> group=g member=m gen=1 instance=
 *   leave <req> group=g members=m1[,m2 or :instance]
 *   commit <req> group=g member= gen=-1 offsets=topic:partition=offset[@epoch][,...] metadata= v=8 retention=-1
 *   fetch group=g [topics=topic:0;1,...]        (no topics = all)
 *   offset-delete <req> group=g topics=topic:0;1
 *   delete-groups <req> groups=g1,g2
 *   list [states=Stable,Empty]
 *   describe group=g [v=5]
 *   state group=g                                summary: state, generation, leader, members
 *   advance <ms>                                 moves time and fires due timers
 *   timers                                       how many timers are scheduled, and the next deadline
 *   restart                                      replays every record written so far into a new coordinator
 *
 * Output: each reply as `<req> <Api> <fields>`; replies sent only after the append are prefixed
 * `after-append`; records as `record ...`.
 */

const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));
const errorName = (code: number | undefined) => ERROR_NAMES.get(code ?? 0) ?? String(code);

export interface ScriptBlock {
  command: string;
  expected: string;
  /** 0-based line of the command, for messages. */
  line: number;
}

export function parseScript(text: string): ScriptBlock[] {
  const lines = text.split('\n');
  const blocks: ScriptBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    const command = line.trim();
    i++;
    if (lines[i]?.trim() !== '----') throw new Error(`line ${i + 1}: expected ---- after "${command}"`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    blocks.push({ command, expected: expected.join('\n'), line: start });
  }
  return blocks;
}

export function formatScript(blocks: { command: string; actual: string }[], comments: Map<number, string[]>): string {
  const out: string[] = [];
  blocks.forEach((block, index) => {
    for (const comment of comments.get(index) ?? []) out.push(comment);
    out.push(block.command, '----');
    if (block.actual !== '') out.push(block.actual);
    out.push('');
  });
  return out.join('\n');
}

/** Comment lines that precede each block (kept when rewriting). */
export function scriptComments(text: string): Map<number, string[]> {
  const comments = new Map<number, string[]>();
  const lines = text.split('\n');
  let pending: string[] = [];
  let blockIndex = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#')) pending.push(line);
    else if (line.trim() !== '' && lines[i + 1]?.trim() === '----') {
      comments.set(blockIndex++, pending);
      pending = [];
      i++;
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== '') i++;
    }
  }
  return comments;
}

/** One script command: `name pos1 pos2 key=value ...` with typed accessors for its arguments. */
export interface ScriptCommand {
  name: string | undefined;
  positional: string[];
  args: Map<string, string>;
  str(key: string, fallback: string): string;
  num(key: string, fallback: number): number;
}

export function parseScriptCommand(command: string): ScriptCommand {
  const [name, ...rest] = command.split(/\s+/);
  const args = new Map(
    rest.filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] as [string, string]),
  );
  return {
    name,
    positional: rest.filter((a) => !a.includes('=')),
    args,
    str: (key, fallback) => args.get(key) ?? fallback,
    num: (key, fallback) => Number(args.get(key) ?? fallback),
  };
}

export class ScriptRunner {
  private nowMs = 0;
  private uuid = 0;
  private config: CoordinatorConfig = { ...DEFAULT_COORDINATOR_CONFIG };
  private coordinator = this.newCoordinator();
  /** Everything "appended" so far, encoded and decoded again like the real shell does. */
  private readonly log: OffsetsRecord[] = [];

  private newCoordinator(): GroupCoordinator {
    return new GroupCoordinator(this.config, () => `u${++this.uuid}`);
  }

  /** Runs one command; afterwards every scheduled timer must belong to a live group or member. */
  run(command: string): string {
    const output = this.runCommand(command);
    this.coordinator.checkTimers();
    return output;
  }

  private runCommand(command: string): string {
    const { name, positional, args, str, num } = parseScriptCommand(command);
    const nullable = (key: string) => ((args.get(key) ?? '') === '' ? null : args.get(key)!);
    const req = () => {
      const id = Number((positional[0] ?? '').replace(/^r/, ''));
      if (!Number.isInteger(id) || id <= 0) throw new Error(`${name}: first argument must be a request id like r1`);
      return id;
    };
    const group = str('group', 'g');
    switch (name) {
      case 'config': {
        this.config = {
          ...DEFAULT_COORDINATOR_CONFIG,
          initialRebalanceDelayMs: num('initial-delay', 0),
          minSessionTimeoutMs: num('min-session', 6000),
          maxSessionTimeoutMs: num('max-session', 1_800_000),
          maxGroupSize: num('max-size', 2147483647),
          offsetsRetentionMs: num('retention', DEFAULT_COORDINATOR_CONFIG.offsetsRetentionMs),
          offsetsRetentionCheckIntervalMs: num('check', DEFAULT_COORDINATOR_CONFIG.offsetsRetentionCheckIntervalMs),
        };
        this.coordinator = this.newCoordinator();
        return '';
      }
      case 'join': {
        const protocols = str('protocols', 'range:sub')
          .split(',')
          .filter((p) => p !== '')
          .map((p) => {
            const [protocolName, metadata] = p.split(':');
            return { name: protocolName!, metadata: bytesOf(metadata ?? '') };
          });
        const client = { clientId: str('client', 'c'), clientHost: '/127.0.0.1', apiVersion: num('v', 5) };
        return this.format(
          this.coordinator.joinGroup(
            req(),
            {
              groupId: group,
              memberId: str('member', ''),
              sessionTimeoutMs: num('session', 10000),
              rebalanceTimeoutMs: num('rebalance', 30000),
              groupInstanceId: nullable('instance'),
              protocolType: str('type', 'consumer'),
              protocols,
            },
            client,
            this.nowMs,
          ),
        );
      }
      case 'sync': {
        const assignments = str('assign', '')
          .split(',')
          .filter((a) => a !== '')
          .map((a) => ({ memberId: a.slice(0, a.lastIndexOf(':')), assignment: Buffer.from(a.slice(a.lastIndexOf(':') + 1)) }));
        return this.format(
          this.coordinator.syncGroup(
            req(),
            {
              groupId: group,
              generationId: num('gen', 1),
              memberId: str('member', ''),
              groupInstanceId: nullable('instance'),
              protocolType: nullable('ptype'),
              protocolName: nullable('pname'),
              assignments,
            },
            this.nowMs,
          ),
        );
      }
      case 'heartbeat':
        return this.format(
          this.coordinator.heartbeat(
            req(),
            { groupId: group, generationId: num('gen', 1), memberId: str('member', ''), groupInstanceId: nullable('instance') },
            this.nowMs,
          ),
        );
      case 'leave': {
        const members = str('members', '')
          .split(',')
          .map((m) =>
            m.startsWith(':') ? { memberId: '', groupInstanceId: m.slice(1) } : { memberId: m, groupInstanceId: nullable('instance') },
          );
        return this.format(this.coordinator.leaveGroup(req(), { groupId: group, members }, this.nowMs));
      }
      case 'commit': {
        const topics = new Map<
          string,
          { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[]
        >();
        for (const entry of str('offsets', '')
          .split(',')
          .filter((e) => e !== '')) {
          const match = /^([^:]+):(\d+)=(-?\d+)(?:@(-?\d+))?$/.exec(entry);
          if (!match) throw new Error(`bad offset ${entry}`);
          const list = topics.get(match[1]!) ?? [];
          list.push({
            partitionIndex: Number(match[2]),
            committedOffset: BigInt(match[3]!),
            committedLeaderEpoch: Number(match[4] ?? -1),
            committedMetadata: args.has('metadata') ? str('metadata', '') : null,
          });
          topics.set(match[1]!, list);
        }
        return this.format(
          this.coordinator.commitOffsets(
            req(),
            {
              groupId: group,
              generationId: num('gen', -1),
              memberId: str('member', ''),
              groupInstanceId: nullable('instance'),
              retentionTimeMs: num('retention', -1),
              topics: [...topics].map(([topicName, partitions]) => ({ name: topicName, partitions })),
            },
            num('v', 8),
            this.nowMs,
          ),
        );
      }
      case 'fetch': {
        const topics = args.has('topics')
          ? parseTopicPartitions(str('topics', '')).map((t) => ({ name: t.name, partitionIndexes: t.partitions }))
          : null;
        return this.coordinator
          .fetchOffsets(group, topics)
          .flatMap((t) =>
            t.partitions.map(
              (p) =>
                `${t.name}:${p.partitionIndex} offset=${p.committedOffset} epoch=${p.committedLeaderEpoch} metadata=${JSON.stringify(p.metadata)} error=${errorName(p.errorCode)}`,
            ),
          )
          .join('\n');
      }
      case 'offset-delete':
        return this.format(this.coordinator.deleteOffsets(req(), group, parseTopicPartitions(str('topics', '')), this.nowMs));
      case 'delete-groups':
        return this.format(this.coordinator.deleteGroups(req(), str('groups', group).split(','), this.nowMs));
      case 'list': {
        const states = args.has('states') ? str('states', '').split(',') : [];
        return this.coordinator
          .listGroups(states, [])
          .map((g) => `${g.groupId} type=${JSON.stringify(g.protocolType)} state=${g.groupState}`)
          .join('\n');
      }
      case 'describe': {
        const d = this.coordinator.describeGroup(group, num('v', 5));
        const lines = [
          `${d.groupId} error=${errorName(d.errorCode)} state=${d.groupState} type=${JSON.stringify(d.protocolType)} protocol=${JSON.stringify(d.protocolData)}`,
        ];
        for (const m of d.members ?? []) {
          lines.push(
            `  ${m.memberId} instance=${m.groupInstanceId ?? '-'} client=${m.clientId} host=${m.clientHost} metadata=${text(m.memberMetadata)} assignment=${text(m.memberAssignment)}`,
          );
        }
        return lines.join('\n');
      }
      case 'state': {
        const s = this.coordinator.groupSummary(group);
        if (s === null) return `${group} absent`;
        return `${group} state=${s.state} gen=${s.generationId} protocol=${s.protocolName ?? '-'} leader=${s.leaderId ?? '-'} members=[${s.members.join(',')}]`;
      }
      case 'timers': {
        const next = this.coordinator.nextDeadlineMs();
        return `scheduled=${this.coordinator.scheduledTimers()} next=${next ?? 'none'}`;
      }
      case 'advance': {
        this.nowMs += Number(positional[0]);
        return this.format(this.coordinator.tick(this.nowMs), `time=${this.nowMs}`);
      }
      case 'restart': {
        this.coordinator = this.newCoordinator();
        for (const record of this.log) this.coordinator.replay(record);
        this.coordinator.loaded(this.nowMs);
        return `replayed ${this.log.length} records`;
      }
      default:
        throw new Error(`unknown command ${name}`);
    }
  }

  private format(output: Output, header?: string): string {
    const lines: string[] = header === undefined ? [] : [header];
    for (const reply of output.replies) lines.push(formatReply(reply));
    for (const record of output.records) {
      // Round-trip through the on-disk encoding, as the shell does.
      const encoded = encodeOffsetsRecord(record);
      const decoded = decodeOffsetsRecord(encoded.key, encoded.value)!;
      this.log.push(decoded);
      lines.push(formatRecord(decoded));
    }
    for (const reply of output.deferred) lines.push(`after-append ${formatReply(reply)}`);
    return lines.join('\n');
  }
}

function parseTopicPartitions(text: string): { name: string; partitions: number[] }[] {
  return text
    .split(',')
    .filter((t) => t !== '')
    .map((t) => {
      const [topicName, partitions] = t.split(':');
      return {
        name: topicName!,
        partitions: (partitions ?? '')
          .split(';')
          .filter((p) => p !== '')
          .map(Number),
      };
    });
}

/** `@t1+t2` stands for a ConsumerProtocolSubscription v0 of topics t1, t2; anything else is text. */
function bytesOf(spec: string): Buffer {
  if (!spec.startsWith('@')) return Buffer.from(spec);
  const w = new Writer();
  w.writeInt16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics: spec.slice(1).split('+'), userData: null });
  return w.toBuffer();
}

function text(b: Buffer | undefined): string {
  const bytes = b ?? Buffer.alloc(0);
  if (bytes.length >= 2 && bytes.readInt16BE(0) === 0) {
    try {
      const r = new Reader(bytes);
      r.readInt16();
      return `@${decodeConsumerProtocolSubscription(r, 0).topics.join('+')}`;
    } catch {
      // not a subscription
    }
  }
  return JSON.stringify(bytes.toString());
}

function formatReply(reply: Reply): string {
  const head = `r${reply.requestId} ${reply.api}`;
  switch (reply.api) {
    case 'JoinGroup': {
      const b = reply.body;
      if (b.errorCode !== ErrorCode.NONE) return `${head} error=${errorName(b.errorCode)} member=${b.memberId || '""'}`;
      const members = (b.members ?? []).map((m) => `${m.memberId}${m.groupInstanceId ? `(${m.groupInstanceId})` : ''}:${text(m.metadata)}`);
      return `${head} gen=${b.generationId} protocol=${b.protocolName} leader=${b.leader} member=${b.memberId}${b.skipAssignment ? ' skip-assignment' : ''} members=[${members.join(' ')}]`;
    }
    case 'SyncGroup': {
      const b = reply.body;
      if (b.errorCode !== ErrorCode.NONE) return `${head} error=${errorName(b.errorCode)}`;
      return `${head} protocol=${b.protocolType}/${b.protocolName} assignment=${text(b.assignment)}`;
    }
    case 'Heartbeat':
      return `${head} error=${errorName(reply.body.errorCode)}`;
    case 'LeaveGroup': {
      const b = reply.body;
      const members = (b.members ?? []).map(
        (m) => `${m.memberId || '""'}${m.groupInstanceId ? `(${m.groupInstanceId})` : ''}=${errorName(m.errorCode)}`,
      );
      return `${head} error=${errorName(b.errorCode)} members=[${members.join(' ')}]`;
    }
    case 'OffsetCommit':
      return `${head} ${(reply.body.topics ?? []).flatMap((t) => (t.partitions ?? []).map((p) => `${t.name}:${p.partitionIndex}=${errorName(p.errorCode)}`)).join(' ')}`;
    case 'OffsetDelete': {
      const b = reply.body;
      const parts = (b.topics ?? []).flatMap((t) =>
        (t.partitions ?? []).map((p) => `${t.name}:${p.partitionIndex}=${errorName(p.errorCode)}`),
      );
      return `${head} error=${errorName(b.errorCode)} ${parts.join(' ')}`.trimEnd();
    }
    case 'DeleteGroups':
      return `${head} ${(reply.body.results ?? []).map((r) => `${r.groupId}=${errorName(r.errorCode)}`).join(' ')}`;
  }
}

function formatRecord(record: OffsetsRecord): string {
  if (record.kind === 'offset') {
    const where = `${record.groupId} ${record.topic}:${record.partition}`;
    if (record.value === null) return `record offset ${where} tombstone`;
    const v = record.value;
    return `record offset ${where} offset=${v.offset} epoch=${v.leaderEpoch} metadata=${JSON.stringify(v.metadata)} at=${v.commitTimestampMs}${v.expireTimestampMs === null ? '' : ` expires=${v.expireTimestampMs}`}`;
  }
  if (record.value === null) return `record group ${record.groupId} tombstone`;
  const v = record.value;
  const members = (v.members ?? []).map((m) => `${m.memberId}:${text(m.assignment)}`);
  return `record group ${record.groupId} type=${JSON.stringify(v.protocolType)} gen=${v.generation} protocol=${v.protocol ?? 'null'} leader=${v.leader ?? 'null'} state-at=${v.currentStateTimestamp} members=[${members.join(' ')}]`;
}
