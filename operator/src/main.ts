import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Cluster, Topic } from './api/types.generated.js';
import { ClusterController } from './controllers/cluster-controller.js';
import type { ControllerContext, ControllerSettings } from './controllers/context.js';
import { TopicController } from './controllers/topic-controller.js';
import { KubeClient } from './kube/client.js';
import { EventRecorder } from './kube/events.js';
import { Informer } from './kube/informer.js';
import { LeaderElector } from './kube/leader.js';
import { createLogger, type LogLevel, type Logger } from './kube/log.js';
import { Resources, type KubeObject } from './kube/types.js';
import { CLUSTER_BROKERS_MAX, MANAGED_BY, bootstrapAddress, type ClusterInput } from './model/cluster.js';

/**
 * The operator process: leader election, then informers -> work queues -> controllers.
 * Informers and controllers run only while this instance holds the Lease, so two replicas never
 * both act. `fjord operator` (runOperatorCli) runs it against the current kubeconfig.
 */

export interface OperatorOptions {
  /** Kubeconfig file; default chain when omitted (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
  /** Watch one namespace; all namespaces when omitted. */
  namespace?: string;
  identity?: string;
  /** false: no leader election (single replica, tests). */
  leaderElection?: false | { namespace: string; name?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  settings?: Partial<ControllerSettings>;
  logger?: Logger;
  logLevel?: LogLevel | 'silent';
}

export class Operator {
  readonly identity: string;
  private readonly log: Logger;
  private readonly settings: ControllerSettings;
  private elector: LeaderElector | null = null;
  private running: { informers: Array<Informer<KubeObject>>; queues: Array<ClusterController['queue']> } | null = null;
  private transition: Promise<void> = Promise.resolve();
  /** Resolves/rejects the CLI when leadership is lost. */
  onLostLeadership: (() => void) | null = null;

  private constructor(
    private readonly client: KubeClient,
    private readonly options: OperatorOptions,
  ) {
    this.identity = options.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
    this.log = (options.logger ?? createLogger(options.logLevel ?? 'info')).child({ operator: this.identity });
    this.settings = {
      clusterResyncMs: 60_000,
      topicResyncMs: 60_000,
      adminTimeoutMs: 10_000,
      clusterBrokersMax: CLUSTER_BROKERS_MAX,
      resolveBootstrap: (cluster: Cluster) => bootstrapAddress(cluster as ClusterInput),
      ...options.settings,
    };
  }

  static async create(options: OperatorOptions = {}): Promise<Operator> {
    return new Operator(await KubeClient.fromKubeConfig(options.kubeconfig), options);
  }

  get isLeading(): boolean {
    return this.running !== null;
  }

  start(): void {
    const election = this.options.leaderElection;
    if (election === false || election === undefined) {
      this.transition = this.transition.then(() => this.startControllers());
      return;
    }
    this.elector = new LeaderElector(this.client, { name: 'fjord-operator', ...election, identity: this.identity }, this.log);
    this.elector.run(
      () => {
        this.transition = this.transition.then(() => this.startControllers());
      },
      () => {
        this.transition = this.transition.then(() => this.stopControllers());
        this.onLostLeadership?.();
      },
    );
  }

  /** Resolves once the controllers run (after winning the election, if any). */
  async waitUntilLeading(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isLeading) {
      if (Date.now() > deadline) throw new Error(`${this.identity} did not become leader in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.elector) {
      await this.transition;
      await this.stopControllers();
      await this.elector.stop();
    } else {
      await this.transition;
      await this.stopControllers();
    }
    this.client.close();
  }

  private async startControllers(): Promise<void> {
    if (this.running) return;
    const ns = this.options.namespace;
    const log = this.log;
    const ctxPartial = {
      client: this.client,
      log,
      events: new EventRecorder(this.client, 'fjord-operator', log),
      settings: this.settings,
    } as Partial<ControllerContext>;
    const ctx = ctxPartial as ControllerContext;
    const clusterController = new ClusterController(ctx);
    const topicController = new TopicController(ctx);
    const childSelector = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
    ctx.clusters = new Informer<Cluster>(
      this.client,
      Resources.cluster,
      (c) => {
        clusterController.onClusterChange(c);
        topicController.onClusterChange(c);
      },
      log,
      { namespace: ns },
    );
    ctx.topics = new Informer<Topic>(this.client, Resources.topic, (t) => topicController.onTopicChange(t), log, { namespace: ns });
    ctx.statefulSets = new Informer<KubeObject>(this.client, Resources.statefulSet, (s) => clusterController.onChildChange(s), log, {
      namespace: ns,
      labelSelector: childSelector,
    });
    ctx.pods = new Informer<KubeObject>(this.client, Resources.pod, (p) => clusterController.onChildChange(p), log, {
      namespace: ns,
      labelSelector: childSelector,
    });
    const informers = [ctx.clusters, ctx.topics, ctx.statefulSets, ctx.pods] as Array<Informer<KubeObject>>;
    for (const informer of informers) informer.start();
    await Promise.all(informers.map((i) => i.waitForSync()));
    // Start reconciling only with complete caches (decisions read the caches).
    clusterController.queue.start();
    topicController.queue.start();
    this.running = { informers, queues: [clusterController.queue, topicController.queue] };
    log.info('Controllers started', { namespace: ns ?? '(all)' });
  }

  private async stopControllers(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = null;
    await Promise.all(running.queues.map((q) => q.stop()));
    await Promise.all(running.informers.map((i) => i.stop()));
    this.log.info('Controllers stopped');
  }
}

const USAGE = `Usage: fjord operator [--kubeconfig FILE] [--namespace NS] [--leader-elect true|false]
                      [--lease-namespace NS] [--log-level debug|info|warn|error]
  Runs the Fjord operator against the current kubeconfig context (or in-cluster config).`;

/** `fjord operator ...` */
export async function runOperatorCli(argv: string[]): Promise<void> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE + '\n');
      return;
    }
    const eq = arg.indexOf('=');
    if (!arg.startsWith('--')) throw new Error(`unknown argument '${arg}'\n${USAGE}`);
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else flags.set(arg.slice(2), argv[++i] ?? '');
  }
  for (const key of flags.keys()) {
    if (!['kubeconfig', 'namespace', 'leader-elect', 'lease-namespace', 'log-level'].includes(key))
      throw new Error(`unknown flag --${key}\n${USAGE}`);
  }
  const leaderElect = (flags.get('leader-elect') ?? 'true') !== 'false';
  const operator = await Operator.create({
    kubeconfig: flags.get('kubeconfig'),
    namespace: flags.get('namespace'),
    logLevel: (flags.get('log-level') as LogLevel | undefined) ?? 'info',
    leaderElection: leaderElect ? { namespace: flags.get('lease-namespace') ?? flags.get('namespace') ?? 'default' } : false,
  });
  await new Promise<void>((resolve, reject) => {
    operator.onLostLeadership = () => reject(new Error('lost leadership'));
    const shutdown = () => {
      operator.stop().then(resolve, reject);
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
    operator.start();
  });
}
