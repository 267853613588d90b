import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodeAssert from 'node:assert';
import type { BrokerContext } from '../broker-context.js';
import { createLogger } from '../io/logger.js';
import { AssertionError } from '../io/assert.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ErrorCode } from '../protocol/error-codes.js';
import * as codec from '../protocol/generated/index.js';
import type { DispatchOutcome } from '../server/connection.js';
import { RequestDispatcher } from './dispatcher.js';
import { errorResponseApiKeys, errorResponseBuilder } from './error-responses.js';
import { CloseConnection, registeredHandlers } from './registry.js';
import './index.js';

/**
 * What the dispatcher does with an error no handler expected: UNKNOWN_SERVER_ERROR in a
 * well-formed response of the request's API (Kafka's getErrorResponse), the stack in the log;
 * an assertion failure stops the broker (fail-stop) instead.
 */

const TOPIC_ID = '0123456789abcdef0123456789abcdef';

/** One request per API with an entry in every list the error response mirrors. */
function sampleRequest(apiKey: number, v: number): Record<string, unknown> {
  const group = 'g';
  const partitionsOf = (field: string) => [{ [field]: 0 }];
  switch (apiKey) {
    case 0:
      return { acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }] };
    case 1:
      return {
        maxBytes: 1 << 20,
        topics: [
          v >= 13 ? { topicId: TOPIC_ID, partitions: partitionsOf('partition') } : { topic: 't', partitions: partitionsOf('partition') },
        ],
      };
    case 2:
      return { topics: [{ name: 't', partitions: partitionsOf('partitionIndex') }] };
    case 3:
      return { topics: [{ name: 't' }] };
    case 8:
      return { groupId: group, topics: [{ name: 't', partitions: partitionsOf('partitionIndex') }] };
    case 9:
      return v >= 8
        ? { groups: [{ groupId: group, topics: [{ name: 't', partitionIndexes: [0] }] }] }
        : { groupId: group, topics: [{ name: 't', partitionIndexes: [0] }] };
    case 10:
      return v >= 4 ? { keyType: 0, coordinatorKeys: [group] } : { key: group };
    case 11:
      return { groupId: group, sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [] };
    case 12:
    case 14:
      return { groupId: group, memberId: 'm' };
    case 13:
      // LeaveGroup v3+ names its members in a batch; memberId is v0-2 only.
      return v >= 3 ? { groupId: group, members: [{ memberId: 'm' }] } : { groupId: group, memberId: 'm' };
    case 15:
      return { groups: [group] };
    case 18:
      return { clientSoftwareName: 'test', clientSoftwareVersion: '1' };
    case 19:
      return { topics: [{ name: 't', numPartitions: 1, replicationFactor: 1 }] };
    case 20:
      return v >= 6 ? { topics: [{ name: 't' }] } : { topicNames: ['t'] };
    case 21:
      return { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 0n }] }] };
    case 23:
      return { topics: [{ topic: 't', partitions: partitionsOf('partition') }] };
    case 30:
      return { creations: [{ resourceType: 2, resourceName: 't', principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] };
    case 31:
      return { filters: [{ resourceTypeFilter: 1, operation: 1, permissionType: 1 }] };
    case 32:
    case 33:
    case 44:
      return { resources: [{ resourceType: 2, resourceName: 't' }] };
    case 35:
      return { topics: null };
    case 37:
      return { topics: [{ name: 't', count: 2 }] };
    case 42:
      return { groupsNames: [group] };
    case 47:
      return { groupId: group, topics: [{ name: 't', partitions: partitionsOf('partitionIndex') }] };
    case 75:
      return { topics: [{ name: 't' }] };
    default:
      return {};
  }
}

/** `OffsetForLeaderEpoch` -> `offset-for-leader-epoch`, the generated file's stem. */
function generated(name: string, kind: 'Request' | 'Response', op: 'encode' | 'decode') {
  const fn = (codec as unknown as Record<string, unknown>)[`${op}${name}${kind}`];
  assert.equal(typeof fn, 'function', `${op}${name}${kind} is generated`);
  return fn as (rw: Writer | Reader, v: number, m?: unknown) => unknown;
}

/** Every `errorCode` in a decoded response, with its path. */
function errorCodes(value: unknown, path = '$'): Array<{ path: string; code: number }> {
  if (Array.isArray(value)) return value.flatMap((item, i) => errorCodes(item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === 'errorCode' ? [{ path: `${path}.${key}`, code: item as number }] : errorCodes(item, `${path}.${key}`),
  );
}

/** APIs whose response has no error code in these versions (Kafka sends an empty answer). */
const WITHOUT_ERROR_CODE: Record<number, number> = { 35: 3 };

describe('error responses', () => {
  it('exist for every registered API', () => {
    const keys = errorResponseApiKeys();
    for (const handler of registeredHandlers())
      assert.ok(keys.includes(handler.apiKey), `${handler.name} (${handler.apiKey}) has an error response`);
  });

  it('are well-formed at every version and carry the error wherever the response has an error code', () => {
    for (const handler of registeredHandlers()) {
      for (let v = handler.minVersion; v <= handler.maxVersion; v++) {
        const what = `${handler.name} v${v}`;
        const writer = new Writer();
        generated(handler.name, 'Request', 'encode')(writer, v, sampleRequest(handler.apiKey, v));
        const request = handler.decodeRequest(new Reader(writer.toBuffer()), v);
        // Decoders fill in defaults for fields a version lacks: a field that reads the same with
        // two different codes is not in this version.
        const [withUnknown, withOther] = [ErrorCode.UNKNOWN_SERVER_ERROR, ErrorCode.INVALID_REQUEST].map((errorCode) => {
          const response = errorResponseBuilder(handler.apiKey)!(request, v, errorCode);
          assert.ok(!(response instanceof CloseConnection), what);
          const out = new Writer();
          handler.encodeResponse(out, v, response);
          const reader = new Reader(out.toBuffer());
          const decoded = generated(handler.name, 'Response', 'decode')(reader, v);
          assert.equal(reader.remaining, 0, `${what}: the whole response decodes`);
          return errorCodes(decoded);
        });
        const present = withUnknown!.filter((entry, i) => entry.code !== withOther![i]!.code);
        for (const { path, code } of present) assert.equal(code, ErrorCode.UNKNOWN_SERVER_ERROR, `${what} ${path}`);
        if (v >= (WITHOUT_ERROR_CODE[handler.apiKey] ?? -1)) assert.ok(present.length > 0, `${what}: the error shows somewhere`);
      }
    }
  });

  it('close the connection for a Produce with acks=0, which has no response', () => {
    const response = errorResponseBuilder(0)!({ acks: 0, topicData: [] }, 9, ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.ok(response instanceof CloseConnection);
  });
});

interface Harness {
  dispatcher: RequestDispatcher;
  logs: string[];
  failStops: Array<{ what: string; error: Error }>;
}

/** A dispatcher whose broker state throws `error` on the first look-up a Produce makes. */
function harness(error: () => Error): Harness {
  const logs: string[] = [];
  const failStops: Harness['failStops'] = [];
  const context = {
    logger: createLogger('debug', (line) => logs.push(line)),
    topics: {
      partition() {
        throw error();
      },
    },
    failStop: (what: string, cause: Error) => failStops.push({ what, error: cause }),
  } as unknown as BrokerContext;
  return { dispatcher: new RequestDispatcher(context), logs, failStops };
}

const PRODUCE_VERSION = 9;
const CORRELATION_ID = 77;

function produceFrame(acks: number): Buffer {
  const writer = new Writer();
  codec.encodeRequestHeader(writer, codec.requestHeaderVersion(0, PRODUCE_VERSION), {
    requestApiKey: 0,
    requestApiVersion: PRODUCE_VERSION,
    correlationId: CORRELATION_ID,
    clientId: 'dispatcher-test',
  });
  codec.encodeProduceRequest(writer, PRODUCE_VERSION, {
    acks,
    timeoutMs: 1000,
    topicData: [{ name: 'orders', partitionData: [{ index: 3, records: null }] }],
  });
  return writer.toBuffer();
}

async function dispatch(h: Harness, frame: Buffer): Promise<DispatchOutcome> {
  return h.dispatcher.dispatch(frame, { id: 1, remoteAddress: '127.0.0.1', remotePort: 1 });
}

describe('a handler that throws', () => {
  it('gets UNKNOWN_SERVER_ERROR in a Produce response, and the stack is logged', async () => {
    const h = harness(() => new TypeError('simulated handler bug'));
    const outcome = await dispatch(h, produceFrame(-1));
    assert.equal(outcome.kind, 'response', JSON.stringify(outcome));
    assert.ok(outcome.kind === 'response');
    const reader = new Reader(Buffer.concat(outcome.chunks));
    const header = codec.decodeResponseHeader(reader, codec.responseHeaderVersion(0, PRODUCE_VERSION));
    assert.equal(header.correlationId, CORRELATION_ID);
    const response = codec.decodeProduceResponse(reader, PRODUCE_VERSION);
    assert.equal(response.responses[0]!.name, 'orders');
    const partition = response.responses[0]!.partitionResponses[0]!;
    assert.equal(partition.index, 3);
    assert.equal(partition.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.equal(partition.baseOffset, -1n);
    assert.equal(partition.errorMessage, null, 'no internals leak to the client (as Kafka)');
    assert.equal(h.failStops.length, 0);
    const logged = h.logs.join('');
    assert.match(logged, /ERROR Produce v9 request failed; answering UNKNOWN_SERVER_ERROR/);
    assert.match(logged, /simulated handler bug/);
    assert.match(logged, /at Object\.partition|at .*dispatcher\.test/, 'the stack is logged');
  });

  it('with acks=0 closes the connection (no response to carry the error)', async () => {
    const h = harness(() => new TypeError('simulated handler bug'));
    const outcome = await dispatch(h, produceFrame(0));
    assert.equal(outcome.kind, 'close');
    assert.equal(h.failStops.length, 0);
  });

  for (const [name, make] of [
    ['an AssertionError (io/assert.ts)', () => new AssertionError('segment offsets out of order')],
    ['a node:assert failure', () => captureNodeAssertion()],
  ] as const) {
    it(`stops the broker on ${name}: fail-stop, no answer`, async () => {
      const h = harness(make);
      const outcome = await dispatch(h, produceFrame(-1));
      assert.equal(h.failStops.length, 1, 'failStop called once');
      assert.match(h.failStops[0]!.what, /Produce v9/);
      assert.equal(outcome.kind, 'close');
    });
  }
});

function captureNodeAssertion(): Error {
  try {
    nodeAssert.ok(false, 'pool invariant');
  } catch (error) {
    return error as Error;
  }
  throw new Error('node:assert did not throw');
}
