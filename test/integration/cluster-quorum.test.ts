// The Raft metadata quorum among three real processes (issue 11 §2): Kafka 4.4's
// kafka-metadata-quorum.sh sees one leader, three voters, a high watermark and lags; kill -9 of
// the leader elects another; the restarted node rejoins as a follower and catches up; a Vote of
// another cluster is refused with INCONSISTENT_CLUSTER_ID. Runs against Fjord by default, and
// against Apache Kafka with FJORD_TEST_TARGET=kafka.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type ClusterHandle } from '../harness/cluster.js';
import { defaultTarget, freePort } from '../harness/broker.js';
import { runTool } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';
import { KafkaConnection } from '../../broker/src/client/kafka-connection.js';
import { decodeVoteResponse } from '../../broker/src/protocol/generated/vote-response.js';
import { encodeVoteRequest } from '../../broker/src/protocol/generated/vote-request.js';
import { ErrorCode } from '../../broker/src/protocol/error-codes.js';

const QUORUM_WAIT_MS = 90_000;

interface QuorumStatus {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  maxFollowerLag: number;
  voterIds: number[];
}

interface ReplicationRow {
  nodeId: number;
  logEndOffset: number;
  lag: number;
  status: string;
}

function field(text: string, name: string): string {
  const match = new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(text);
  if (match === null) throw new Error(`no ${name} in:\n${text}`);
  return match[1]!.trim();
}

async function describeStatus(bootstrapArgs: string[]): Promise<QuorumStatus> {
  const r = await runTool('kafka-metadata-quorum.sh', [...bootstrapArgs, 'describe', '--status'], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`describe --status failed (${String(r.code)}): ${r.stdout}${r.stderr}`);
  const voters = field(r.stdout, 'CurrentVoters');
  return {
    leaderId: Number(field(r.stdout, 'LeaderId')),
    leaderEpoch: Number(field(r.stdout, 'LeaderEpoch')),
    highWatermark: Number(field(r.stdout, 'HighWatermark')),
    maxFollowerLag: Number(field(r.stdout, 'MaxFollowerLag')),
    voterIds: [...voters.matchAll(/"id":\s*(\d+)/g)].map((m) => Number(m[1])).sort(),
  };
}

async function describeReplication(bootstrapArgs: string[]): Promise<ReplicationRow[]> {
  const r = await runTool('kafka-metadata-quorum.sh', [...bootstrapArgs, 'describe', '--replication'], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`describe --replication failed (${String(r.code)}): ${r.stdout}${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /NodeId\s+DirectoryId\s+LogEndOffset\s+Lag/);
  return lines.slice(1).map((line) => {
    const cols = line.trim().split(/\s+/);
    return { nodeId: Number(cols[0]), logEndOffset: Number(cols[2]), lag: Number(cols[3]), status: cols[cols.length - 1]! };
  });
}

describe(`metadata quorum of 3 ${defaultTarget()} processes`, () => {
  let cluster: ClusterHandle;
  const bootstrapServer = () => ['--bootstrap-server', cluster.bootstrap];
  const diagnostics = () => cluster.logs().slice(-20_000);

  // Fjord's /metrics per node (the CONTROLLER listener's request counts are checked below).
  const httpPorts = new Map<number, number>();
  before(async () => {
    if (defaultTarget() === 'fjord') for (const id of [1, 2, 3]) httpPorts.set(id, await freePort());
    cluster = await startCluster({
      target: defaultTarget(),
      nodes: 3,
      nodeConfig: (id): Record<string, string> =>
        httpPorts.has(id) ? { 'fjord.http.port': String(httpPorts.get(id)), 'fjord.http.host': '127.0.0.1' } : {},
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kafka-metadata-quorum.sh describe --status and --replication show one leader, three voters, lags', async () => {
    const status = await waitFor(
      'a leader with three voters',
      async () => {
        const s = await describeStatus(bootstrapServer());
        return s.leaderId >= 1 && s.voterIds.length === 3 ? s : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    assert.deepEqual(status.voterIds, [1, 2, 3]);
    assert.ok(status.leaderEpoch >= 1, `epoch ${status.leaderEpoch}`);
    assert.ok(status.highWatermark >= 1, `high watermark ${status.highWatermark} (the LeaderChangeMessage)`);
    const rows = await waitFor(
      'every voter caught up',
      async () => {
        const r = await describeReplication(bootstrapServer());
        return r.length === 3 && r.every((row) => row.lag === 0) ? r : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    assert.deepEqual(rows.map((r) => r.nodeId).sort(), [1, 2, 3]);
    assert.equal(rows.filter((r) => r.status === 'Leader').length, 1);
    assert.equal(rows.find((r) => r.status === 'Leader')!.nodeId, status.leaderId);
  });

  test("the leader's /metrics counts the followers' Fetch requests on its CONTROLLER listener", async (t) => {
    if (defaultTarget() !== 'fjord') return t.skip('Fjord metrics');
    const status = await waitFor(
      'a leader',
      async () => {
        const s = await describeStatus(bootstrapServer());
        return s.leaderId >= 1 ? s : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    await waitFor(
      `fjord_controller_requests_total{api="Fetch"} on leader ${status.leaderId}`,
      async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${httpPorts.get(status.leaderId)}/metrics`)).text();
        const m = /^fjord_controller_requests_total\{api="Fetch"\} (\d+)$/m.exec(metrics);
        return m !== null && Number(m[1]) > 0;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
  });

  test('--bootstrap-controller works too', async (t) => {
    const controllers = cluster.voters
      .split(',')
      .map((v) => v.split('@')[1]!)
      .join(',');
    const status = await waitFor(
      'describe --status through the controller listener',
      async () => {
        const s = await describeStatus(['--bootstrap-controller', controllers]);
        return s.leaderId >= 1 ? s : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    t.diagnostic(`leader ${status.leaderId}, epoch ${status.leaderEpoch}`);
    assert.deepEqual(status.voterIds, [1, 2, 3]);
  });

  test('kill -9 of the leader: a new leader is elected; the old one rejoins as a follower and catches up', async (t) => {
    const before = await waitFor(
      'a leader',
      async () => {
        const s = await describeStatus(bootstrapServer());
        return s.leaderId >= 1 ? s : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    const victim = cluster.nodes[before.leaderId - 1]!;
    const others = cluster.nodes
      .filter((n) => n !== victim)
      .map((n) => n.bootstrap)
      .join(',');
    const killedAt = Date.now();
    await victim.kill9();
    const elected = await waitFor(
      'a new leader among the other two',
      async () => {
        const s = await describeStatus(['--bootstrap-server', others]);
        return s.leaderId >= 1 && s.leaderId !== before.leaderId && s.leaderEpoch > before.leaderEpoch ? s : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    t.diagnostic(
      `new leader ${elected.leaderId} at epoch ${elected.leaderEpoch}, ${Date.now() - killedAt} ms after kill -9 (tool runs included)`,
    );

    await victim.restart();
    const rows = await waitFor(
      'the restarted node a caught-up follower',
      async () => {
        const r = await describeReplication(bootstrapServer());
        const row = r.find((x) => x.nodeId === before.leaderId);
        return row !== undefined && row.status === 'Follower' && row.lag === 0 ? r : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    assert.equal(rows.filter((r) => r.status === 'Leader').length, 1);
  });

  test('a Vote with another cluster id gets INCONSISTENT_CLUSTER_ID, and every node keeps running', async () => {
    const [host, port] = cluster.voters.split(',')[0]!.split('@')[1]!.split(':');
    const connection = await KafkaConnection.open(host!, Number(port), 'cluster-quorum-test');
    try {
      const response = await connection.send({
        apiKey: 52,
        apiVersion: 2,
        encode: (w, v) =>
          encodeVoteRequest(w, v, {
            clusterId: 'another-cluster-id-000',
            voterId: 1,
            topics: [
              {
                topicName: '__cluster_metadata',
                partitions: [{ partitionIndex: 0, replicaEpoch: 1_000, replicaId: 2, lastOffsetEpoch: 1_000, lastOffset: 1_000_000n }],
              },
            ],
          }),
        decode: decodeVoteResponse,
      });
      assert.equal(response.errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
    } finally {
      connection.close();
    }
    const status = await waitFor(
      'the quorum still answering',
      async () => {
        const s = await describeStatus(bootstrapServer());
        return s.leaderId >= 1 ? s : null;
      },
      { timeoutMs: QUORUM_WAIT_MS, diagnostics },
    );
    assert.deepEqual(status.voterIds, [1, 2, 3]);
  });
});
