import { readFileSync } from 'node:fs';
import { loadBrokerConfig, type BrokerConfig } from './config/broker-config.js';
import { ConfigError } from './config/config-types.js';
import { unsupportedRolesReason } from './config/quorum-config.js';
import { createLogger } from './io/logger.js';
import { Broker, formatDataDirectory, SHUTDOWN_MS_PER_PARTITION } from './broker.js';

const USAGE = `Usage:
  fjord broker [--config server.properties] [--override key=value ...]
      Starts a broker. Properties use Kafka's names (listeners, log.dirs, num.partitions, ...).
  fjord format [--config server.properties] [--override key=value ...] [--cluster-id ID] [--ignore-formatted]
      Writes meta.properties (cluster id, node id) into the data directory, as kafka-storage.sh
      format does. Without --cluster-id: the cluster.id property, else a new random id.
  fjord operator [--kubeconfig FILE] [--namespace NS] [--leader-elect true|false]
      Runs the Kubernetes operator against the current kubeconfig (see operator/README.md).
  fjord help`;

/** Entry point of `fjord` (bin/fjord.js). Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'broker') return runBroker(rest);
  if (command === 'format') return runFormat(rest);
  if (command === 'operator') return (await import('../../operator/src/main.js')).runOperatorCli(rest);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  fail(`unknown command '${command}'\n${USAGE}`);
}

/** `--config`/`--override` (and a bare config path); other arguments go to `extra`, which returns false for unknown ones. */
function parseConfigArgs(
  args: string[],
  extra: (arg: string, next: () => string | undefined) => boolean = () => false,
): { configPath: string | null; overrides: Map<string, string> } {
  let configPath: string | null = null;
  const overrides = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--config' || arg === '-c') configPath = args[++index] ?? fail('--config needs a file');
    else if (arg === '--override') {
      const pair = args[++index] ?? fail('--override needs key=value');
      const eq = pair.indexOf('=');
      if (eq <= 0) fail(`--override '${pair}' is not key=value`);
      overrides.set(pair.slice(0, eq), pair.slice(eq + 1));
    } else if (extra(arg, () => args[++index])) continue;
    else if (configPath === null && !arg.startsWith('-')) configPath = arg;
    else fail(`unknown argument '${arg}'\n${USAGE}`);
  }
  return { configPath, overrides };
}

function loadConfig(configPath: string | null, overrides: Map<string, string>): BrokerConfig {
  let fileText: string | null = null;
  if (configPath !== null) {
    try {
      fileText = readFileSync(configPath, 'utf8');
    } catch (error) {
      fail(`cannot read config file ${configPath}: ${(error as Error).message}`);
    }
  }
  try {
    return loadBrokerConfig(fileText, overrides);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

/** `fjord format`: kafka-storage.sh format for Fjord's one data directory. Exit 1 if already formatted. */
async function runFormat(args: string[]): Promise<void> {
  let clusterId: string | null = null;
  let ignoreFormatted = false;
  const { configPath, overrides } = parseConfigArgs(args, (arg, next) => {
    if (arg === '--cluster-id' || arg === '-t') clusterId = next() ?? fail('--cluster-id needs an id');
    else if (arg.startsWith('--cluster-id=')) clusterId = arg.slice('--cluster-id='.length);
    else if (arg === '--ignore-formatted' || arg === '-g') ignoreFormatted = true;
    else return false;
    return true;
  });
  const config = loadConfig(configPath, overrides);
  const result = await formatDataDirectory(config, clusterId, ignoreFormatted).catch((error: Error) => {
    process.stderr.write(`fjord: ${error.message}\n`);
    process.exit(1);
  });
  process.stdout.write(`${result}\n`);
}

function runBroker(args: string[]): Promise<void> {
  const { configPath, overrides } = parseConfigArgs(args);
  const config = loadConfig(configPath, overrides);
  const unsupported = unsupportedRolesReason(config.quorum);
  if (unsupported !== null) fail(unsupported);
  const logger = createLogger();
  for (const warning of config.warnings) logger.warn(warning);
  const broker = new Broker(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`received ${signal}, shutting down`);
    const budgetMs = broker.shutdownBudgetMs();
    const forced = setTimeout(() => {
      logger.error(
        `shutdown timed out after ${budgetMs} ms (fjord.shutdown.timeout.ms=${config.shutdownTimeoutMs} plus ${SHUTDOWN_MS_PER_PARTITION} ms per partition); exiting`,
        broker.shutdownProgress(),
      );
      process.exit(1);
    }, budgetMs);
    forced.unref();
    broker.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  return broker.start().catch((error: Error) => {
    logger.error('broker failed to start', { error: error.message });
    process.exit(1);
  });
}

function fail(message: string): never {
  process.stderr.write(`fjord: ${message}\n`);
  process.exit(2);
}
