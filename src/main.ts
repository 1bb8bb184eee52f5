/** The service's entry point: configuration, keys, ledger, HTTP, and a clean shutdown. */
import v8 from 'node:v8';
import type { Logger } from 'pino';
import { developmentKeys, KeyConfigError, KeyRing, parseKeySpec, type KeyEntry } from './auth/keys.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { appOptionsFrom, buildApp } from './http/app.js';
import { createLogger } from './http/plugins/logger.js';
import { openLedger } from './service.js';

/** The keys in force: from API_KEYS and API_KEYS_FILE; in development without either, fresh ones printed once. */
function keyRing(config: Config, logger: Logger): KeyRing {
  let keys: KeyEntry[] | { name: string; role: KeyEntry['role']; key: string }[] = config.API_KEYS
    ? parseKeySpec(config.API_KEYS)
    : [];
  if (keys.length === 0 && !config.API_KEYS_FILE && config.NODE_ENV !== 'production') {
    const fresh = developmentKeys();
    keys = fresh;
    // Straight to stderr, once: not into the structured log that may be shipped elsewhere.
    process.stderr.write(
      [
        '',
        'No API keys configured (API_KEYS / API_KEYS_FILE): development keys for this run only:',
        ...fresh.map((k) => `  ${k.role.padEnd(8)}  ${k.key}   (principal ${k.name})`),
        'Send one as: Authorization: Bearer <key>. They are not stored anywhere and change at every start.',
        '',
      ].join('\n'),
    );
  }
  const ring = new KeyRing({
    keys,
    ...(config.API_KEYS_FILE ? { file: config.API_KEYS_FILE } : {}),
    onReload: (count) => logger.info({ keys: count, file: config.API_KEYS_FILE }, 'API keys file read'),
    onReloadError: (error) =>
      logger.error({ err: error.message }, 'API keys file unreadable: the previous keys stay in force'),
  });
  if (ring.size === 0) throw new KeyConfigError(['no API keys: API_KEYS and API_KEYS_FILE define none']);
  return ring;
}

/**
 * One full collection that also compacts the heap: catching up (or restoring a checkpoint, whose
 * file is read whole) leaves hundreds of MB of garbage, and the pages it fragmented, that an idle
 * service would otherwise keep resident until V8's memory reducer gets to them many seconds later.
 * The start scripts pass --expose-gc; without it this is skipped.
 */
function settleMemory(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  v8.setFlagsFromString('--compact-on-every-full-gc');
  gc();
  v8.setFlagsFromString('--no-compact-on-every-full-gc');
}

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const auth = keyRing(config, logger);
  const ledger = await openLedger(config, logger);
  settleMemory();
  const app = await buildApp(ledger, appOptionsFrom(config, logger, auth));
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info(
    { engine: ledger.store.engine, position: ledger.projector.state.position, keys: auth.size },
    'MSS Ledger is ready',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long: exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    try {
      // Stop taking requests and answer those in flight (their appends included),
      // then let the writer finish anything queued and close the store.
      await app.close();
      await ledger.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof KeyConfigError) {
    console.error(`invalid configuration:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
