import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../harness/tools.js';

/**
 * The `fjord` command line: bad configuration is reported with the property's name and a
 * non-zero exit, before anything is opened or listened on.
 */
const fjord = (args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot(), 'bin', 'fjord.js'), ...args], { encoding: 'utf8', timeout: 30_000 });

test('fjord broker: a bad property value names the property and exits with status 2', () => {
  const result = fjord(['broker', '--override', 'num.partitions=0']);
  assert.equal(result.status, 2);
  assert.equal(result.stderr.trim(), 'fjord: Invalid value for num.partitions: 0 is below the minimum 1');
});

test('fjord broker: a malformed listener names listeners', () => {
  const result = fjord(['broker', '--override', 'listeners=localhost:9092']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /Invalid value for listeners: 'localhost:9092' is not of the form NAME:\/\/host:port/);
});

test('fjord broker: a missing config file is a clear error', () => {
  const result = fjord(['broker', '--config', '/nonexistent/server.properties']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /cannot read config file \/nonexistent\/server\.properties/);
});

test('fjord: an unknown command prints usage and exits with status 2', () => {
  const result = fjord(['brokr']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown command 'brokr'/);
  assert.match(result.stderr, /fjord broker \[--config server\.properties\]/);
});
