import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionLimits, type Dispatcher } from './connection.js';
import type { Logger } from '../io/logger.js';

/** The Kafka listener: accepts sockets up to `connectionsMax` and owns their Connection objects. */
export class TcpServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly limits: ConnectionLimits & { connectionsMax: number },
    private readonly logger: Logger,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: host === '' ? undefined : host, port }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') throw new Error('unexpected listener address');
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets written responses flush, then destroys what is left. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.end();
    setTimeout(() => {
      for (const connection of this.connections) connection.close('broker shutting down');
    }, 200).unref();
    await closed;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.limits.connectionsMax) {
      this.logger.warn('connection refused: max.connections reached', { remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, this.nextConnectionId++, this.dispatcher, this.limits, (closed, reason) => {
      this.connections.delete(closed);
      if (reason !== 'closed by peer') {
        this.logger.info('connection closed', { connection: closed.info.id, remote: closed.info.remoteAddress, reason });
      }
    });
    this.connections.add(connection);
  }
}
