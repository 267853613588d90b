import { randomBytes } from 'node:crypto';
import type { KubeClient } from './client.js';
import { errorMessage, type Logger } from './log.js';
import { Resources, type KubeObject } from './types.js';

/**
 * Kubernetes Events for what the operator does (`kubectl describe` shows them). Best effort: a
 * failed Event write is logged, never fails a reconcile.
 */
export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log: Logger,
  ) {}

  record(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date().toISOString();
    const namespace = object.metadata.namespace ?? 'default';
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${object.metadata.name}.${randomBytes(6).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.client.create(Resources.event, event as KubeObject).catch((error) => {
      this.log.debug('Event not recorded', { reason, error: errorMessage(error) });
    });
  }
}
