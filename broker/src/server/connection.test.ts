import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Connection, type DispatchOutcome, type Dispatcher } from './connection.js';
import { waitFor } from '../../../test/harness/wait.js';

/**
 * The connection's contract, over a real loopback socket: frames are split correctly whatever the
 * chunking, responses leave in request order even when requests finish out of order, a 'none'
 * outcome sends nothing, and an oversized frame closes the connection.
 */
interface Harness {
  server: Server;
  port: number;
  closeReasons: string[];
  setDispatcher(dispatcher: Dispatcher): void;
}

const limits = { requestSizeBytesMax: 1024, inflightRequestsMax: 4, writeBufferBytesMax: 1 << 20, idleMsMax: 0 };
let harness: Harness;

before(async () => {
  let dispatcher: Dispatcher = { dispatch: () => ({ kind: 'none' }) };
  const closeReasons: string[] = [];
  const server = createServer((socket) => {
    new Connection(socket, 1, { dispatch: (frame, info) => dispatcher.dispatch(frame, info) }, limits, (_c, reason) =>
      closeReasons.push(reason),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  harness = { server, port: address.port, closeReasons, setDispatcher: (d) => (dispatcher = d) };
});

after(() => harness.server.close());

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

function openClient(): Promise<{ socket: Socket; frames: string[]; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(harness.port, '127.0.0.1', () => resolve({ socket, frames, closed }));
    const frames: string[] = [];
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        frames.push(buffered.subarray(4, 4 + size).toString());
        buffered = buffered.subarray(4 + size);
      }
    });
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
  });
}

test('responses leave in request order although requests complete out of order; none sends nothing', async () => {
  // Request "slow-N" completes after N*10 ms; "silent" produces no response (acks=0 produce).
  harness.setDispatcher({
    dispatch(frameBytes): DispatchOutcome | Promise<DispatchOutcome> {
      const text = frameBytes.toString();
      if (text === 'silent') return { kind: 'none' };
      const delayMs = Number(text.split('-')[1] ?? 0) * 10;
      return new Promise((resolve) => setTimeout(() => resolve({ kind: 'response', chunks: [Buffer.from(`re:${text}`)] }), delayMs));
    },
  });
  const client = await openClient();
  const requests = ['slow-5', 'slow-1', 'silent', 'slow-3', 'slow-0', 'slow-2'];
  // Split the frames into odd-sized chunks so the parser must reassemble across chunk boundaries.
  const bytes = Buffer.concat(requests.map(frame));
  for (let index = 0; index < bytes.length; index += 3) client.socket.write(bytes.subarray(index, index + 3));
  await waitFor('5 responses', () => client.frames.length === 5, { diagnostics: () => client.frames.join(' ') });
  assert.deepEqual(client.frames, ['re:slow-5', 're:slow-1', 're:slow-3', 're:slow-0', 're:slow-2']);
  client.socket.destroy();
});

test('at most inflightRequestsMax requests are processed at once; the rest wait in the socket', async () => {
  let inflight = 0;
  let maxSeen = 0;
  harness.setDispatcher({
    dispatch(frameBytes) {
      inflight++;
      maxSeen = Math.max(maxSeen, inflight);
      return new Promise((resolve) =>
        setTimeout(() => {
          inflight--;
          resolve({ kind: 'response', chunks: [frameBytes] });
        }, 5),
      );
    },
  });
  const client = await openClient();
  const requests = Array.from({ length: 20 }, (_, index) => `r${index}`);
  client.socket.write(Buffer.concat(requests.map(frame)));
  await waitFor(`${requests.length} responses`, () => client.frames.length === requests.length, {
    diagnostics: () => client.frames.join(' '),
  });
  assert.deepEqual(client.frames, requests);
  assert.equal(maxSeen, limits.inflightRequestsMax);
  client.socket.destroy();
});

test('a frame larger than requestSizeBytesMax, or a negative size, closes the connection', async () => {
  harness.setDispatcher({ dispatch: () => ({ kind: 'response', chunks: [Buffer.from('unexpected')] }) });
  for (const size of [limits.requestSizeBytesMax + 1, -5]) {
    const before = harness.closeReasons.length;
    const client = await openClient();
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size);
    client.socket.write(prefix);
    await client.closed;
    assert.deepEqual(client.frames, []);
    await waitFor('the close to be reported', () => harness.closeReasons.length > before);
    assert.match(harness.closeReasons.at(-1)!, /frame size -?\d+ is outside 0\.\.1024/);
  }
});

test('a dispatcher that asks to close ends the connection after earlier responses are written', async () => {
  harness.setDispatcher({
    dispatch(frameBytes) {
      const text = frameBytes.toString();
      return text === 'bad' ? { kind: 'close', reason: 'malformed' } : { kind: 'response', chunks: [frameBytes] };
    },
  });
  const client = await openClient();
  client.socket.write(Buffer.concat([frame('good'), frame('bad'), frame('never')]));
  await client.closed;
  assert.deepEqual(client.frames, ['good']);
});

test('a response release runs after its bytes are written, and for responses a closed connection drops', async () => {
  const released: string[] = [];
  let finishSlow: (() => void) | undefined;
  harness.setDispatcher({
    dispatch(frameBytes): DispatchOutcome | Promise<DispatchOutcome> {
      const text = frameBytes.toString();
      const outcome: DispatchOutcome = {
        kind: 'response',
        chunks: [Buffer.from('a'), Buffer.from(text)],
        release: () => released.push(text),
      };
      if (text === 'slow') return new Promise((resolve) => (finishSlow = () => resolve(outcome)));
      return outcome;
    },
  });
  const client = await openClient();
  client.socket.write(frame('fast'));
  await waitFor('the response to fast, and its release', () => client.frames.length === 1 && released.length === 1);
  assert.deepEqual(released, ['fast']);

  // 'queued' is finished but waits behind 'slow' when the client goes away; 'slow' finishes
  // after the close. Both are released without being written.
  client.socket.write(Buffer.concat([frame('slow'), frame('queued')]));
  await waitFor('slow to be dispatched', () => finishSlow !== undefined);
  client.socket.destroy();
  await waitFor('queued to be released', () => released.includes('queued'));
  finishSlow!();
  await waitFor('slow to be released', () => released.includes('slow'));
  assert.deepEqual(released.sort(), ['fast', 'queued', 'slow']);
});
