import { createCollector } from './collector.js';
import { helpText, loadConfig } from './config.js';
import { CollectorError } from './errors.js';
import { defaultPlugins } from './plugins.js';
import { runKeysCommand } from './deletion/keys-command.js';
import { runDeadLettersCommand } from './writer/dead-letters-command.js';
import type { Subcommand } from './subcommand.js';

/** The commands besides serving, by the name that starts them. */
const SUBCOMMANDS = new Map<string, Subcommand>([
  ['keys', runKeysCommand],
  ['dead-letters', runDeadLettersCommand],
]);

/** How long closing connections may take after the drain's own deadline, on SIGTERM. */
const SHUTDOWN_CLOSE_GRACE_MS = 10_000;

/** `reprise-collector [flags]`: validate the configuration, start, print where everything is, stop cleanly on SIGINT/SIGTERM. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const subcommand = argv[0] === undefined ? undefined : SUBCOMMANDS.get(argv[0]);
  if (subcommand) {
    process.exitCode = await subcommand(argv.slice(1), env);
    return;
  }
  let loaded;
  try {
    loaded = loadConfig({ env, argv });
  } catch (error) {
    if (error instanceof CollectorError && error.code === 'bad_config') {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (loaded.help) {
    console.log(helpText());
    return;
  }
  const { config } = loaded;
  const collector = await createCollector(config, { plugins: defaultPlugins(config) });
  const { url } = await collector.start();
  const where =
    config.store === 's3'
      ? `s3://${config.s3Bucket}/${config.s3Prefix}${config.s3Endpoint ? ` at ${config.s3Endpoint}` : ''}`
      : config.objectsDir;
  const lines = [
    `[@reprise/collector] listening on ${url}  (POST ${url}/v1/ingest, ${url}/healthz, ${url}/readyz, ${url}/metrics)`,
    `  ingest log : ${collector.log.description}`,
    `  objects    : ${where}`,
    `  data keys  : ${config.keysS3Bucket ? `s3://${config.keysS3Bucket}/${config.keysS3Prefix}` : config.keysDir}`,
    `  keyring    : ${config.keyring}`,
    `  metrics    : ${
      config.metricsPort !== undefined
        ? `http://${config.metricsHost}:${config.metricsPort}/metrics (no token)`
        : config.metricsToken
          ? `${url}/metrics with the bearer REPRISE_METRICS_TOKEN`
          : 'off (set REPRISE_METRICS_TOKEN or REPRISE_METRICS_PORT)'
    }`,
  ];
  if (config.devProject) {
    lines.push(
      '  project    : "dev" (ingest key "dev"), origins http://127.0.0.1:* and http://localhost:* (set REPRISE_PROJECTS for real projects)',
    );
  } else {
    lines.push(`  projects   : ${config.projectList.map((project) => project.id).join(', ')}`);
  }
  console.log(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      collector.logger.warn({ signal }, 'second signal: exiting without draining (the log keeps everything)');
      process.exit(1);
    }
    stopping = true;
    collector.logger.info({ signal }, 'shutting down: draining the log into the store');
    // The drain is bounded by REPRISE_SHUTDOWN_TIMEOUT_MS; closing connections after it (NATS,
    // the database, S3) is not, and a node that never exits holds its port and its orchestrator.
    // Everything acknowledged is in the log already, so exiting loses nothing.
    setTimeout(() => {
      collector.logger.error(
        { signal, afterMs: config.shutdownTimeoutMs + SHUTDOWN_CLOSE_GRACE_MS },
        'shutdown: closing connections did not finish in time; exiting (unstored batches stay in the log)',
      );
      process.exit(1);
    }, config.shutdownTimeoutMs + SHUTDOWN_CLOSE_GRACE_MS).unref();
    collector.stop().then(
      () => process.exit(0),
      (error) => {
        collector.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
