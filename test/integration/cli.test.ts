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

test('fjord broker: a broker-only or controller-only node is refused with a clear reason (combined nodes only, for now)', () => {
  const quorum = [
    '--override',
    'controller.quorum.voters=1@localhost:19093,2@localhost:29093,3@localhost:39093',
    '--override',
    'controller.listener.names=CONTROLLER',
  ];
  const brokerOnly = fjord(['broker', '--override', 'node.id=4', '--override', 'process.roles=broker', ...quorum]);
  assert.equal(brokerOnly.status, 2, brokerOnly.stderr);
  assert.match(brokerOnly.stderr, /process\.roles=broker is not supported by Fjord yet: nodes run with both roles/);
  const controllerOnly = fjord([
    'broker',
    '--override',
    'node.id=1',
    '--override',
    'process.roles=controller',
    '--override',
    'listeners=CONTROLLER://localhost:19093',
    ...quorum,
  ]);
  assert.equal(controllerOnly.status, 2, controllerOnly.stderr);
  assert.match(controllerOnly.stderr, /process\.roles=controller is not supported by Fjord yet/);
});

test('fjord: an unknown command prints usage and exits with status 2', () => {
  const result = fjord(['brokr']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown command 'brokr'/);
  assert.match(result.stderr, /fjord broker \[--config server\.properties\]/);
});
