import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, type KubeClient, type WatchEvent } from './client.js';
import { Informer, type ChangeType } from './informer.js';
import { createLogger } from './log.js';
import { Resources, type KubeObject } from './types.js';
import { waitFor } from '../../../test/harness/wait.js';

const obj = (name: string, rv: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
});

/**
 * A scripted API: each list returns the next snapshot; each watch runs the next script
 * (events, then end cleanly or fail).
 */
function fakeClient(lists: KubeObject[][], watches: Array<{ events: Array<WatchEvent<KubeObject>>; fail?: Error }>) {
  const calls: string[] = [];
  const client = {
    list: async () => {
      calls.push('list');
      const items = lists.shift() ?? [];
      return { metadata: { resourceVersion: String(100 + calls.length) }, items };
    },
    watch: async (
      _t: unknown,
      _ns: unknown,
      query: { resourceVersion: string },
      onEvent: (e: WatchEvent<KubeObject>) => void,
      signal: AbortSignal,
    ) => {
      calls.push(`watch@${query.resourceVersion}`);
      const script = watches.shift();
      if (!script) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return;
      }
      for (const event of script.events) onEvent(event);
      if (script.fail) throw script.fail;
    },
  };
  return { client: client as unknown as KubeClient, calls };
}

describe('Informer', () => {
  it('relists after watch errors and 410 Gone, reporting changes missed meanwhile', async () => {
    const { client, calls } = fakeClient(
      [[obj('a', '1'), obj('b', '1')], [obj('a', '3')], [obj('a', '3'), obj('c', '5')]],
      [
        { events: [{ type: 'MODIFIED', object: obj('a', '2') }], fail: new Error('connection reset') },
        { events: [{ type: 'ERROR', object: { code: 410, message: 'too old resource version' } as unknown as KubeObject }] },
      ],
    );
    const changes: string[] = [];
    const informer = new Informer(
      client,
      Resources.configMap,
      (o: KubeObject, change: ChangeType) => changes.push(`${change}:${o.metadata.name}@${o.metadata.resourceVersion}`),
      createLogger('silent'),
      { backoffMinMs: 10 },
    );
    informer.start();
    await informer.waitForSync();
    const expected = ['added:a@1', 'added:b@1', 'modified:a@2', 'modified:a@3', 'deleted:b@1', 'added:c@5'];
    await waitFor('the third list and the changes it reveals', () => calls.filter((c) => c === 'list').length >= 3 && changes.length >= 6, {
      diagnostics: () => `calls ${calls.join(',')}; changes ${changes.join(',')}`,
    });
    await informer.stop();
    assert.deepEqual(changes, expected);
    assert.deepEqual(calls.slice(0, 5), ['list', 'watch@101', 'list', 'watch@103', 'list']);
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['a', 'c'],
    );
  });

  it('exposes ApiError status for 410', () => {
    assert.equal(new ApiError(410, 'Expired', 'gone', null).status, 410);
  });
});
