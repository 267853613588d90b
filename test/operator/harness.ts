// The operator tests' control plane: a real etcd + kube-apiserver started by test/k8s/up.sh
// (binaries built by test/k8s/build.sh), plus small helpers: CRD install, waiting, kubectl, and a
// fake kubelet/StatefulSet controller (the test plays both: it creates pods from the StatefulSet
// template, marks them ready and writes the StatefulSet status).
//
// Missing binaries FAIL the tests loudly: nothing here skips.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../harness/tools.js';
import { letTimePass, waitFor } from '../harness/wait.js';
import { ApiError, KubeClient } from '../../operator/src/kube/client.js';
import { Resources, type KubeObject } from '../../operator/src/kube/types.js';
import { Operator, type OperatorOptions } from '../../operator/src/main.js';

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  binDir: string;
  client: KubeClient;
  kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export function k8sBinDir(): string {
  const r = spawnSync('bash', [join(repoRoot(), 'test', 'k8s', 'bin-dir.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`test/k8s/bin-dir.sh failed: ${r.stderr}`);
  return r.stdout.trim();
}

export async function startControlPlane(): Promise<ControlPlane> {
  const binDir = k8sBinDir();
  for (const binary of ['etcd', 'kube-apiserver', 'kubectl']) {
    if (!existsSync(join(binDir, binary))) {
      throw new Error(`control-plane binary ${join(binDir, binary)} is missing: run \`bash test/k8s/build.sh\` first (the Makefile does)`);
    }
  }
  const up = spawnSync('bash', [join(repoRoot(), 'test', 'k8s', 'up.sh')], {
    encoding: 'utf8',
    env: { ...process.env, HARNESS_OWNER_PID: String(process.pid) },
  });
  if (up.status !== 0) throw new Error(`test/k8s/up.sh failed (${up.status}):\n${up.stderr}`);
  const dir = up.stdout.trim().split('\n').pop()!;
  const kubeconfig = join(dir, 'kubeconfig');
  const client = await KubeClient.fromKubeConfig(kubeconfig);
  let stopped = false;
  return {
    dir,
    kubeconfig,
    binDir,
    client,
    kubectl: (args) =>
      new Promise((resolve) => {
        execFile(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.close();
      spawnSync('bash', [join(repoRoot(), 'test', 'k8s', 'down.sh'), dir], { encoding: 'utf8' });
    },
  };
}

export function crdDocuments(): KubeObject[] {
  const dir = join(repoRoot(), 'crds');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as KubeObject);
}

/** Applies crds/*.yaml and waits until each is Established. */
export async function installCrds(client: KubeClient): Promise<void> {
  for (const crd of crdDocuments()) {
    await client.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, {
      body: crd,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'fjord-tests', force: true },
    });
  }
  for (const crd of crdDocuments()) {
    await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
      const got = await client.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
        Resources.crd,
        undefined,
        crd.metadata.name,
      );
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    });
  }
}

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export async function getOrNull<T extends KubeObject>(
  client: KubeClient,
  type: Parameters<KubeClient['get']>[0],
  namespace: string,
  name: string,
): Promise<T | null> {
  try {
    return await client.get<T>(type, namespace, name);
  } catch (error) {
    if (error instanceof ApiError && error.notFound) return null;
    throw error;
  }
}

/** An operator for tests: fast resyncs, quiet logs unless FJORD_TEST_OPERATOR_LOGS=1. */
export async function startOperator(plane: ControlPlane, options: OperatorOptions = {}): Promise<Operator> {
  const operator = await Operator.create({
    kubeconfig: plane.kubeconfig,
    logLevel: process.env['FJORD_TEST_OPERATOR_LOGS'] === '1' ? 'debug' : 'silent',
    leaderElection: false,
    ...options,
    settings: { clusterResyncMs: 2_000, topicResyncMs: 1_000, adminTimeoutMs: 5_000, ...options.settings },
  });
  operator.start();
  await operator.waitUntilLeading();
  return operator;
}

// ---- the fake kubelet + StatefulSet controller -------------------------------------------------

interface PodObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: Array<{ type: string; status: string }> };
}
interface StatefulSetObject extends KubeObject {
  spec: {
    replicas: number;
    template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
    volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
  };
}

export interface FakeKubelet {
  /** Pod names in the order they were deleted (by anyone). */
  deletions: string[];
  /** Highest number of broker pods seen missing or not ready at the same time during a roll. */
  maxUnavailable: number;
  /** Pause: stop creating/readying pods (simulates a stuck roll) until resume(). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/**
 * Plays the StatefulSet controller and the kubelet for one StatefulSet: creates missing pods from
 * the current template (as OnDelete does), marks them Ready after `readyDelayMs`, and writes the
 * StatefulSet status (replicas, readyReplicas).
 */
export function startFakeKubelet(client: KubeClient, namespace: string, setName: string, readyDelayMs = 300): FakeKubelet {
  let running = true;
  let paused = false;
  const seen = new Set<string>();
  const createdAt = new Map<string, number>();
  const state: FakeKubelet = {
    deletions: [],
    maxUnavailable: 0,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
  const tick = async () => {
    // Pods first, then the StatefulSet: the operator updates the template before it deletes a pod,
    // so a template read after seeing the deletion is the new one (as the real controller's would be).
    const pods = (await client.list<PodObject>(Resources.pod, namespace, { labelSelector: `fjord.dev/cluster=${setName}` })).items;
    const set = await getOrNull<StatefulSetObject>(client, Resources.statefulSet, namespace, setName);
    if (!set) return;
    const present = new Map(pods.map((p) => [p.metadata.name, p]));
    for (const name of seen) {
      if (!present.has(name)) {
        seen.delete(name);
        state.deletions.push(name);
      }
    }
    for (const name of present.keys()) seen.add(name);
    let unavailable = 0;
    for (let ordinal = 0; ordinal < set.spec.replicas; ordinal++) {
      const name = `${setName}-${ordinal}`;
      const pod = present.get(name);
      const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (!ready) unavailable++;
      if (paused) continue;
      if (!pod) {
        await client.create(Resources.pod, podFromTemplate(set, ordinal));
        createdAt.set(name, Date.now());
        seen.add(name);
      } else if (!ready && Date.now() - (createdAt.get(name) ?? 0) >= readyDelayMs) {
        await client.mergePatch(
          Resources.pod,
          namespace,
          name,
          { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
          'status',
        );
      }
    }
    state.maxUnavailable = Math.max(state.maxUnavailable, unavailable);
    const refreshed = (await client.list<PodObject>(Resources.pod, namespace, { labelSelector: `fjord.dev/cluster=${setName}` })).items;
    const readyReplicas = refreshed.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    await client.mergePatch(
      Resources.statefulSet,
      namespace,
      setName,
      {
        status: {
          replicas: refreshed.length,
          readyReplicas,
          availableReplicas: readyReplicas,
          observedGeneration: set.metadata.generation,
        },
      },
      'status',
    );
  };
  const loop = (async () => {
    while (running) {
      try {
        await tick();
      } catch {
        // races with the operator (409/404) are expected; the next tick sees the new state
      }
      await letTimePass(100, 'paces the fake kubelet (a real one reacts to watch events)');
    }
  })();
  return state;
}

function podFromTemplate(set: StatefulSetObject, ordinal: number): KubeObject {
  const name = `${set.metadata.name}-${ordinal}`;
  const template = set.spec.template;
  const spec = structuredClone(template.spec) as { volumes?: unknown[]; hostname?: string; subdomain?: string };
  spec.volumes = [
    ...(spec.volumes ?? []),
    ...(set.spec.volumeClaimTemplates ?? []).map((t) => ({
      name: t.metadata.name,
      persistentVolumeClaim: { claimName: `${t.metadata.name}-${name}` },
    })),
  ];
  spec.hostname = name;
  spec.subdomain = (set.spec as unknown as { serviceName: string }).serviceName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...(template.metadata.labels ?? {}),
        'apps.kubernetes.io/pod-index': String(ordinal),
        'statefulset.kubernetes.io/pod-name': name,
      },
      annotations: { ...(template.metadata.annotations ?? {}) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: set.metadata.name,
          uid: set.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  } as KubeObject;
}
