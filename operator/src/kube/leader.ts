import { ApiError, type KubeClient } from './client.js';
import { sleep } from './informer.js';
import { errorMessage, type Logger } from './log.js';
import { Resources, type KubeObject } from './types.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-go's algorithm):
 * - a candidate takes the Lease when it is free or when its holder has not renewed it for
 *   leaseDurationMs, measured on the candidate's own clock from when it last saw the Lease change
 *   (no clock-skew assumptions);
 * - every write carries the resourceVersion read, so two candidates can never both win (409);
 * - the leader renews every retryPeriodMs and steps down (onStoppedLeading) when it could not
 *   renew for renewDeadlineMs; on a clean stop it releases the Lease so a standby takes over at once.
 */

export interface LeaseObject extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

export class LeaderElector {
  private readonly abort = new AbortController();
  private leading = false;
  private observed: { record: string; at: number } | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  private get leaseDurationMs(): number {
    return this.options.leaseDurationMs ?? 15_000;
  }

  /** Runs until stop(): onStartedLeading when the Lease is won, onStoppedLeading when it is lost. */
  run(onStartedLeading: () => void, onStoppedLeading: () => void): void {
    this.loop = (async () => {
      const retry = this.options.retryPeriodMs ?? 2_000;
      const renewDeadline = this.options.renewDeadlineMs ?? 10_000;
      let lastRenew = 0;
      while (!this.abort.signal.aborted) {
        let ok = false;
        try {
          ok = await this.tryAcquireOrRenew();
        } catch (error) {
          this.log.warn('Lease update failed', { lease: this.options.name, error: errorMessage(error) });
        }
        if (this.abort.signal.aborted) break;
        const now = Date.now();
        if (ok) {
          lastRenew = now;
          if (!this.leading) {
            this.leading = true;
            this.log.info('Acquired leadership', { lease: this.options.name, identity: this.options.identity });
            onStartedLeading();
          }
        } else if (this.leading && now - lastRenew > renewDeadline) {
          this.leading = false;
          this.log.warn('Lost leadership', { lease: this.options.name, identity: this.options.identity });
          onStoppedLeading();
        }
        await sleep(retry, this.abort.signal);
      }
    })();
  }

  /** Stops campaigning; releases the Lease if held. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.get<LeaseObject>(Resources.lease, this.options.namespace, this.options.name);
      if (lease.spec?.holderIdentity === this.options.identity) {
        lease.spec = { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(Date.now()) };
        await this.client.replace(Resources.lease, lease);
      }
    } catch (error) {
      this.log.warn('Could not release the Lease', { error: errorMessage(error) });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = Date.now();
    const durationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    const lease = await this.client.getOrNull<LeaseObject>(Resources.lease, namespace, name);
    if (!lease) {
      try {
        await this.client.create(Resources.lease, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        } as LeaseObject);
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.conflict) return false;
        throw error;
      }
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${spec.leaseDurationSeconds ?? ''}`;
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== identity;
    const expired = this.observed.at + (spec.leaseDurationSeconds ?? durationSeconds) * 1000 <= now;
    if (heldByOther && !expired) return false;
    const takingOver = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
      acquireTime: takingOver ? microTime(now) : (spec.acquireTime ?? microTime(now)),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder !== '' ? 1 : 0),
    };
    try {
      await this.client.replace(Resources.lease, lease); // carries resourceVersion: optimistic concurrency
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.conflict) return false;
      throw error;
    }
  }
}
