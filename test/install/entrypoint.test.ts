// The container entrypoint without a container engine: the Dockerfile's ENTRYPOINT
// (`/opt/fjord/bin/fjord.js`, node through its shebang line) over the files its runtime stage COPYs, laid out at /opt/fjord
// (install-harness.ts runLikeKubelet), and the broker StatefulSet the operator builds
// (operator/src/model/cluster.ts) passes its args and env. Here the broker runs
// with exactly those args, the env the kubelet would give pod <cluster>-0 (downward API values,
// $(VAR) expansion), as uid/gid 1000 (the pod's securityContext and the image's USER), the
// server.properties of the operator's ConfigMap at /etc/fjord, an empty data volume at
// /var/lib/fjord/data, in its own network namespace so it binds 9092 and 8080 as in the pod.
// (`fjord operator` with the Deployment's args and in-cluster env: apiserver.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONFIG_DIR,
  DATA_DIR,
  HTTP_PORT,
  KAFKA_PORT,
  desiredConfigMap,
  desiredStatefulSet,
  kafkaClusterId,
  type ClusterInput,
} from '../../operator/src/model/cluster.js';
import { repoRoot } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';
import { dockerfileRuntime, expandKubeVars, runLikeKubelet, type PodProcess } from './install-harness.js';

const cluster = {
  apiVersion: 'fjord.dev/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'demo', namespace: 'streaming', uid: '0b0f4a3c-6f5e-4d1a-9c2b-7e8f9a0b1c2d' },
  spec: { replicas: 1, storage: { type: 'persistent-claim', size: '1Gi' } },
} as unknown as ClusterInput;

interface PodSpec {
  securityContext: { runAsUser: number; runAsGroup: number; fsGroup: number };
  containers: Array<{
    args: string[];
    command?: string[];
    env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
    volumeMounts: Array<{ name: string; mountPath: string }>;
  }>;
}

/** Prints the cluster part of a Kafka Metadata response (run inside the pod's network namespace). */
const METADATA_PROBE = `
import { AdminClient } from ${JSON.stringify(new URL('../../broker/src/client/admin-client.js', import.meta.url).href)};
const admin = await AdminClient.connect(process.argv[1], { clientId: 'fjord-install-probe', timeoutMs: 10000 });
try {
  const { cluster } = await admin.metadata([]);
  process.stdout.write(JSON.stringify({ clusterId: cluster.clusterId, brokers: cluster.brokers }) + '\\n');
} finally {
  admin.close();
}`;

/** What the kubelet resolves for pod demo-<ordinal>: fieldRef values from the pod's metadata. */
function kubeletEnv(spec: PodSpec, ordinal: number): Record<string, string> {
  const podName = `${cluster.metadata.name}-${ordinal}`;
  const fields: Record<string, string> = {
    'metadata.name': podName,
    'metadata.namespace': cluster.metadata.namespace,
    "metadata.labels['apps.kubernetes.io/pod-index']": String(ordinal),
  };
  const env: Record<string, string> = { HOSTNAME: podName, HOME: '/home/node', NODE_ENV: 'production' };
  for (const e of spec.containers[0]!.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) {
      const v = fields[e.valueFrom.fieldRef.fieldPath];
      if (v === undefined) throw new Error(`no test value for fieldRef ${e.valueFrom.fieldRef.fieldPath}`);
      env[e.name] = v;
    } else throw new Error(`env ${e.name}: unsupported source`);
  }
  return env;
}

describe('the image: Dockerfile agrees with the pods that run it', () => {
  it('ENTRYPOINT runs bin/fjord.js from WORKDIR; USER, data dir and ports match the StatefulSet', () => {
    const d = dockerfileRuntime();
    assert.deepEqual(d.entrypoint, [`${d.workdir}/bin/fjord.js`], 'the entrypoint is the copied bin/fjord.js');
    // It runs through its shebang line (node with Fjord's V8 flags), so it must be executable.
    const bin = join(repoRoot(), 'bin', 'fjord.js');
    assert.match(readFileSync(bin, 'utf8').split('\n', 1)[0]!, /^#!\/usr\/bin\/env -S node /);
    assert.ok((statSync(bin).mode & 0o111) === 0o111, 'bin/fjord.js is executable');
    const sts = desiredStatefulSet(cluster) as unknown as { spec: { template: { spec: PodSpec } } };
    const pod = sts.spec.template.spec;
    assert.equal(pod.containers[0]!.command, undefined, 'the StatefulSet relies on the image ENTRYPOINT');
    assert.equal(d.user, `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
    assert.ok(pod.containers[0]!.volumeMounts.some((m) => m.name === 'data' && m.mountPath === DATA_DIR));
    assert.ok(d.text.includes(`chown 1000:1000 ${DATA_DIR}`), 'the image prepares the data dir for uid 1000');
    assert.deepEqual(d.copies.map((c) => c.dest).sort(), [
      '/opt/fjord/bin',
      '/opt/fjord/dist/broker/src',
      '/opt/fjord/dist/operator/src',
      '/opt/fjord/node_modules',
      '/opt/fjord/package.json',
    ]);
    assert.deepEqual(d.expose.sort(), [HTTP_PORT, KAFKA_PORT].sort());
    assert.ok(d.cmd.includes(`log.dirs=${DATA_DIR}`), 'standalone CMD keeps data on the volume');
  });
});

describe('fjord broker, started as the StatefulSet starts pod demo-0', () => {
  let pod: PodProcess;
  const sts = desiredStatefulSet(cluster) as unknown as { spec: { template: { spec: PodSpec } } };
  const container = sts.spec.template.spec.containers[0]!;
  const env = kubeletEnv(sts.spec.template.spec, 0);
  const args = container.args.map((a) => expandKubeVars(a, env));

  before(() => {
    pod = runLikeKubelet({
      args,
      env,
      uid: sts.spec.template.spec.securityContext.runAsUser,
      gid: sts.spec.template.spec.securityContext.runAsGroup,
      files: { [`${CONFIG_DIR}/server.properties`]: desiredConfigMap(cluster).data['server.properties']! },
      dataDirs: [DATA_DIR],
      ownNetwork: true,
    });
  });
  after(async () => {
    await pod?.stop();
  });

  it('expands to the args a kubelet would pass', () => {
    assert.deepEqual(args, [
      'broker',
      '--config',
      '/etc/fjord/server.properties',
      '--override',
      'node.id=0',
      '--override',
      'advertised.listeners=PLAINTEXT://demo-0.demo-brokers.streaming.svc:9092',
    ]);
  });

  it('becomes ready on the probe port, advertises its pod DNS name as node 0, keeps data on the volume, stops cleanly on SIGTERM', async () => {
    const readiness = await waitFor(
      'the readiness probe to pass (or the broker to exit)',
      () => {
        if (pod.child.exitCode !== null) return 'exited';
        return pod.inNetwork(['curl', '-fsS', '--max-time', '2', `http://127.0.0.1:${HTTP_PORT}/readyz`]).code === 0 ? 'ready' : undefined;
      },
      { intervalMs: 250, diagnostics: () => pod.output() },
    );
    assert.equal(readiness, 'ready', `broker exited before it was ready (exit ${pod.child.exitCode}):\n${pod.output()}`);
    const live = pod.inNetwork(['curl', '-fsS', '--max-time', '2', `http://127.0.0.1:${HTTP_PORT}/healthz`]);
    assert.equal(live.code, 0, `liveness probe: ${live.stderr}`);
    // A Kafka Metadata request on the pod's Kafka port, from inside its network namespace.
    const metadata = pod.inNetwork([process.execPath, '--input-type=module', '-e', METADATA_PROBE, `127.0.0.1:${KAFKA_PORT}`]);
    assert.equal(metadata.code, 0, `metadata probe failed: ${metadata.stderr}\n${pod.output()}`);
    const cluster0 = JSON.parse(metadata.stdout) as { clusterId: string; brokers: Array<{ nodeId: number; host: string; port: number }> };
    assert.deepEqual(cluster0.brokers, [{ nodeId: 0, host: 'demo-0.demo-brokers.streaming.svc', port: KAFKA_PORT }]);
    assert.equal(cluster0.clusterId, kafkaClusterId(cluster), 'cluster.id from the ConfigMap');
    // The broker (uid 1000) wrote its identity on the data volume.
    const meta = readFileSync(join(pod.hostPath(DATA_DIR), 'meta.properties'), 'utf8');
    assert.equal(statSync(join(pod.hostPath(DATA_DIR), 'meta.properties')).uid, 1000, 'written as the pod user');
    assert.match(meta, /^node\.id=0$/m);
    assert.match(meta, new RegExp(`^cluster\\.id=${kafkaClusterId(cluster)}$`, 'm'));
    const code = await pod.stop(20_000);
    assert.equal(code, 0, `exit status after SIGTERM:\n${pod.output()}`);
  });
});
