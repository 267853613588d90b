import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_HEADER, REFERENCE_DIR, writeGenerated } from '../../scripts/gen-protocol.js';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'broker/src/protocol/generated/index.ts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

const root = repoRoot();
const committed = path.join(root, 'broker/src/protocol/generated');
/** Kafka's schemas: ../shared/kafka-protocol beside the repository (CI and development machines), or FJORD_KAFKA_SCHEMAS. */
const SCHEMAS_ENV = 'FJORD_KAFKA_SCHEMAS';
const schemas = path.resolve(process.env[SCHEMAS_ENV] ?? path.join(root, '../shared/kafka-protocol'));

test('every committed generated file carries the generated-code header', () => {
  const files = fs.readdirSync(committed).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 200);
  for (const f of files) assert.ok(fs.readFileSync(path.join(committed, f), 'utf8').startsWith(GENERATED_HEADER), f);
});

test('committed generated code matches a fresh run of the generator on the Kafka 4.4 schemas', () => {
  const reference = path.join(schemas, REFERENCE_DIR);
  assert.ok(
    fs.existsSync(reference),
    `Kafka's message schemas not found: no ${reference}. CI and development machines have them in ../shared/kafka-protocol ` +
      `beside the repository; set ${SCHEMAS_ENV}=<dir> to use another copy (the folder holding ${REFERENCE_DIR}/, as \`make gen SCHEMAS=<dir>\` takes).`,
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fjord-gen-'));
  try {
    writeGenerated(schemas, tmp);
    const fresh = fs.readdirSync(tmp).sort();
    const have = fs
      .readdirSync(committed)
      .filter((f) => f.endsWith('.ts'))
      .sort();
    assert.deepEqual(have, fresh, 'same file set (run the generator: make gen)');
    for (const f of fresh) {
      const a = fs.readFileSync(path.join(tmp, f), 'utf8');
      const b = fs.readFileSync(path.join(committed, f), 'utf8');
      assert.ok(a === b, `${f} differs from the generator output (run: make gen)`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
