import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Broker } from '../broker.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import { systemScheduler } from '../io/scheduler.js';
import { TransportError } from '../io/transport.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../protocol/generated/index.js';
import { PooledTransport } from './pooled-transport.js';

const API_VERSIONS = {
  apiKey: 18,
  apiVersion: 3,
  encode: (w: Parameters<typeof encodeApiVersionsRequest>[0], v: number) =>
    encodeApiVersionsRequest(w, v, { clientSoftwareName: 'fjord-transport-test', clientSoftwareVersion: '0' }),
  decode: decodeApiVersionsResponse,
};

function transport(inflightRequestsPerEndpointMax = 8): PooledTransport {
  return new PooledTransport({
    clientId: 'transport-test',
    scheduler: systemScheduler,
    connectTimeoutMs: 5_000,
    inflightRequestsPerEndpointMax,
  });
}

async function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port };
}

describe('PooledTransport', () => {
  let dataDir: string;
  let broker: Broker;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fjord-transport-'));
    broker = new Broker(
      loadBrokerConfig(
        null,
        new Map([
          ['listeners', 'PLAINTEXT://127.0.0.1:0'],
          ['log.dirs', dataDir],
        ]),
      ),
      createLogger('warn'),
    );
    await broker.start();
  });

  after(async () => {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sends typed requests over one connection per endpoint', async () => {
    const t = transport();
    try {
      const endpoint = { host: '127.0.0.1', port: broker.boundPorts[0]! };
      const [a, b] = await Promise.all([t.send(endpoint, API_VERSIONS, 10_000), t.send(endpoint, API_VERSIONS, 10_000)]);
      assert.equal(a.errorCode, 0);
      assert.equal(b.errorCode, 0);
      assert.ok(a.apiKeys.some((k) => k.apiKey === 18));
    } finally {
      t.close();
    }
  });

  it('names the endpoint when nobody listens, and connects once somebody does', async () => {
    const t = transport();
    const { server, port } = await listen(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      await assert.rejects(t.send({ host: '127.0.0.1', port }, API_VERSIONS, 10_000), (err: unknown) => {
        return err instanceof TransportError && err.reason === 'connect' && err.message.includes(`127.0.0.1:${port}`);
      });
      const ok = await t.send({ host: '127.0.0.1', port: broker.boundPorts[0]! }, API_VERSIONS, 10_000);
      assert.equal(ok.errorCode, 0);
    } finally {
      t.close();
    }
  });

  it('times a silent peer out, closes that connection and reconnects for the next request', async () => {
    const sockets: Socket[] = [];
    const { server, port } = await listen((socket) => sockets.push(socket));
    const t = transport();
    try {
      await assert.rejects(
        t.send({ host: '127.0.0.1', port }, API_VERSIONS, 200),
        (err: unknown) => err instanceof TransportError && err.reason === 'timeout',
      );
      await assert.rejects(
        t.send({ host: '127.0.0.1', port }, API_VERSIONS, 200),
        (err: unknown) => err instanceof TransportError && err.reason === 'timeout',
      );
      assert.equal(sockets.length, 2, 'a timed-out connection is replaced, not reused');
    } finally {
      t.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses requests past its in-flight bound instead of queueing without limit', async () => {
    const sockets: Socket[] = [];
    const { server, port } = await listen((socket) => sockets.push(socket));
    const t = transport(1);
    try {
      const first = t.send({ host: '127.0.0.1', port }, API_VERSIONS, 500);
      await assert.rejects(
        t.send({ host: '127.0.0.1', port }, API_VERSIONS, 500),
        (err: unknown) => err instanceof TransportError && err.reason === 'queue-full',
      );
      await assert.rejects(first, (err: unknown) => err instanceof TransportError && err.reason === 'timeout');
    } finally {
      t.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a peer that hangs up mid-request as disconnected', async () => {
    const { server, port } = await listen((socket) => socket.once('data', () => socket.destroy()));
    const t = transport();
    try {
      await assert.rejects(
        t.send({ host: '127.0.0.1', port }, API_VERSIONS, 10_000),
        (err: unknown) => err instanceof TransportError && err.reason === 'disconnected',
      );
    } finally {
      t.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
