import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { META_PROPERTIES_FILE, ensureMetaProperties, parseMetaProperties } from './meta-properties.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-meta-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

test("reads Kafka's meta.properties (kafka-storage.sh format output)", () => {
  const text =
    '#\n#Thu Jan 01 00:00:00 UTC 2026\nnode.id=3\ndirectory.id=J8mAsXWXRqSgkC0hTnW7Zw\nversion=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qk\n';
  assert.deepEqual(parseMetaProperties(text, '/d/meta.properties'), {
    clusterId: 'MkU3OEVBNTcwNTJENDM2Qk',
    nodeId: 3,
    directoryId: 'J8mAsXWXRqSgkC0hTnW7Zw',
  });
});

test('a damaged meta.properties names the file and the problem', () => {
  assert.throws(
    () => parseMetaProperties('version=1\nnode.id=1\n', '/d/meta.properties'),
    /\/d\/meta\.properties: meta\.properties has no cluster\.id/,
  );
  assert.throws(() => parseMetaProperties('version=1\ncluster.id=x\nnode.id=one\n', '/d/m'), /no valid node\.id \("one"\)/);
  assert.throws(() => parseMetaProperties('version=0\nbroker.id=1\ncluster.id=x\n', '/d/m'), /unsupported meta\.properties version "0"/);
});

test('an empty directory is formatted on first start; a directory with broker data but no meta.properties is refused', async () => {
  const empty = tempDir();
  mkdirSync(join(empty, 'lost+found'));
  const created = await ensureMetaProperties(empty, { nodeId: 4, clusterId: null });
  assert.equal(created.nodeId, 4);
  assert.match(readFileSync(join(empty, META_PROPERTIES_FILE), 'utf8'), new RegExp(`cluster\\.id=${created.clusterId}\\nnode\\.id=4\\n`));
  assert.deepEqual(await ensureMetaProperties(empty, { nodeId: 4, clusterId: created.clusterId }), created);
  await assert.rejects(
    ensureMetaProperties(empty, { nodeId: 5, clusterId: null }),
    /belongs to node\.id 4, but this broker has node\.id 5/,
  );

  const withData = tempDir();
  mkdirSync(join(withData, 'orders-0'));
  writeFileSync(join(withData, 'orders-0', '00000000000000000000.log'), '');
  await assert.rejects(
    ensureMetaProperties(withData, { nodeId: 1, clusterId: null }),
    /meta\.properties: missing, but the data directory holds broker data \(orders-0\/\).*fjord format/,
  );
});
