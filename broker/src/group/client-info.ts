import type { RequestInfo } from '../handlers/registry.js';
import type { ClientInfo } from './group-coordinator.js';

/** Client id and host as Kafka records them for a member (`InetAddress.toString()` = "/1.2.3.4"). */
export function clientInfoOf(info: RequestInfo): ClientInfo {
  const host = info.clientHost.startsWith('::ffff:') ? info.clientHost.slice('::ffff:'.length) : info.clientHost;
  return { clientId: info.clientId ?? '', clientHost: `/${host}`, apiVersion: info.apiVersion };
}
