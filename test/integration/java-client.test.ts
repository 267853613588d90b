// The official Java client (kafka-clients, default producer settings: idempotent, acks=all)
// produces 100000 records with keys, values and headers, then reads them back and checks them
// exactly. The checking is done by test/java/ProduceConsumeCheck.java.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { runJava } from '../harness/tools.js';

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

test('Java client: 100000 records with headers, idempotent acks=all, read back exactly', { timeout: 300_000 }, async () => {
  const topic = 'java-produce-consume';
  const r = await runJava('ProduceConsumeCheck', [broker.bootstrap, '100000', topic], { timeoutMs: 280_000 });
  assert.equal(
    r.code,
    0,
    `ProduceConsumeCheck failed (code ${String(r.code)}, timedOut=${String(r.timedOut)}):\n${r.stdout}\n${r.stderr}\n--- broker logs (tail) ---\n${broker.logs().slice(-5000)}`,
  );
  assert.match(r.stdout, new RegExp(`^OK topic=${topic} records=100000 `, 'm'));
});
