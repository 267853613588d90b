/**
 * The network port between cluster nodes: send one Kafka request to another node's endpoint and
 * get its typed response. Raft (Vote, BeginQuorumEpoch, Fetch of the metadata partition ...) and
 * the broker-to-controller channel (BrokerRegistration, BrokerHeartbeat, forwarded admin requests)
 * talk through it, so a simulator can put its own network underneath. `PooledTransport`
 * (broker/src/client/pooled-transport.ts) is the adapter onto TCP.
 */
import type { RequestSpec } from '../client/kafka-connection.js';

export interface Endpoint {
  host: string;
  port: number;
}

export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly endpoint: Endpoint,
    readonly reason: 'connect' | 'disconnected' | 'timeout' | 'queue-full' | 'closed',
    message: string,
  ) {
    super(message);
  }
}

export interface Transport {
  /** Resolves with the response, or rejects with a TransportError (the caller retries as its
   * protocol says: Raft backs off by controller.quorum.retry.backoff.ms). */
  send<Response>(endpoint: Endpoint, spec: RequestSpec<Response>, timeoutMs: number): Promise<Response>;
  close(): void;
}
