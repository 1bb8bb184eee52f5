/** The service: configuration, keys, ledger, HTTP, and a clean shutdown (main.ts starts it). */
import type { Logger } from 'pino';
import { developmentKeys, KeyConfigError, KeyRing, parseKeySpec, type KeyEntry } from './auth/keys.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './http/plugins/logger.js';
import { startBootServer } from './http/boot.js';
import type { EarlyReads } from './early-reads.js';
import { openLedger } from './service.js';
import { inTurns } from './in-turns.js';
import { settleMemory } from './settle-memory.js';
import { checkDataDir, StartupError, type DataDir } from './store/data-dir.js';
import { isStoreFault } from './store/faults.js';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './store/lock.js';

type DevelopmentKey = { name: string; role: KeyEntry['role']; key: string };

/** About 10 ms of work a turn after the listen, on these machines. */
const BOOK_ENTRIES_A_TURN = 4096;
const KEY_NAMES_A_TURN = 8192;

/** The keys in force: from API_KEYS and API_KEYS_FILE; in development without either, fresh ones (printed later, once). */
function keyRing(config: Config, logger: Logger): { ring: KeyRing; fresh: DevelopmentKey[] } {
  let keys: KeyEntry[] | DevelopmentKey[] = config.API_KEYS ? parseKeySpec(config.API_KEYS) : [];
  let fresh: DevelopmentKey[] = [];
  if (keys.length === 0 && !config.API_KEYS_FILE && config.NODE_ENV !== 'production') keys = fresh = developmentKeys();
  const ring = new KeyRing({
    keys,
    ...(config.API_KEYS_FILE ? { file: config.API_KEYS_FILE } : {}),
    onReload: (count) => logger.info({ keys: count, file: config.API_KEYS_FILE }, 'API keys file read'),
    onReloadError: (error) =>
      logger.error({ err: error.message }, 'API keys file unreadable: the previous keys stay in force'),
  });
  if (ring.size === 0) throw new KeyConfigError(['no API keys: API_KEYS and API_KEYS_FILE define none']);
  return { ring, fresh };
}

function printDevelopmentKeys(fresh: DevelopmentKey[]): void {
  if (fresh.length === 0) return;
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

/**
 * A last resort, never the path of a known fault: an error nothing handled is logged, then the
 * process exits non-zero, so a supervisor restarts it rather than letting it limp on.
 */
function installLastResort(logger: Logger): void {
  const die = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error }, `${kind}: exiting`);
    logger.flush();
    process.exit(70);
  };
  process.on('unhandledRejection', die('unhandled rejection'));
  process.on('uncaughtException', die('uncaught exception'));
}

async function main(early: EarlyReads | undefined) {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  installLastResort(logger);
  // Everything a person must fix is found before anything is created, the ledger opened or a key printed.
  const { ring: auth, fresh } = keyRing(config, logger);
  let starting = 'opening the store';
  const boot = await startBootServer({ port: config.PORT, host: config.HOST }, () => starting, logger);
  let dataDir: DataDir | undefined;
  let lock: DataDirLock | undefined;
  try {
    if (!config.EVENTSTORE_CONNECTION_STRING) {
      dataDir = checkDataDir(config.DATA_DIR);
      if (dataDir.writable) lock = lockDataDir(config.DATA_DIR);
    }
  } catch (error) {
    await boot.close();
    throw error;
  }
  printDevelopmentKeys(fresh);

  // The log's background check of a saved tree (a second thread reading the whole store) starts once
  // the service listens and has done its work after the listen (below): until then its thread would
  // compete with the start for the two cores (at 1M, the first answer came 0.1-0.15 s later).
  let settled!: () => void;
  const opening = openLedger(config, logger, {
    ...(early ? { early } : {}),
    ...(dataDir ? { dataDir } : {}),
    checkAfter: new Promise<void>((resolve) => (settled = resolve)),
    onConnectAttempt: (attempt, fault, retryInMs) => {
      starting = `the store does not answer (attempt ${attempt}: ${fault.message}); trying again in ${retryInMs} ms`;
      logger.warn({ attempt, retryInMs, err: fault.message }, 'the store does not answer: trying again');
    },
  });
  // The HTTP app's modules load while the ledger reads its checkpoints and saved tree (off this
  // thread): at a restart of a large store the two take about as long, and neither needs the other.
  const [opened, loaded] = await Promise.allSettled([opening, import('./http/app.js')]);
  if (opened.status === 'rejected') throw opened.reason;
  const ledger = opened.value;
  if (loaded.status === 'rejected') {
    await ledger.close().catch(() => undefined);
    throw loaded.reason;
  }
  const { appOptionsFrom, buildApp } = loaded.value;
  const app = await buildApp(ledger, appOptionsFrom(config, logger, auth));
  // A long catch-up's garbage is let go before the first answer (src/settle-memory.ts).
  settleMemory(ledger.foldedAtStart, 'before-listen');
  await boot.close();
  await app.listen({ port: config.PORT, host: config.HOST });
  // What only writes need, and the start's garbage, wait until the service listens, and are done a
  // part a turn so that a request that comes in meanwhile waits for a part, not all (src/in-turns.ts):
  // the writer's book restored from its checkpoint (0.15-0.2 s at 1M events), the time indexes' key
  // ids by name (0.05 s at 1M, about 1 s at 10M), and one full collection of what a restored
  // checkpoint or a catch-up left (0.05-0.1 s at 1M).
  void inTurns(
    [
      () => ledger.writer.prepareForWrites(BOOK_ENTRIES_A_TURN),
      () => ledger.projector.prepareForWrites(KEY_NAMES_A_TURN),
      () => void settleMemory(ledger.foldedAtStart, 'after-listen'),
    ],
    // A step that throws is a defect (verified bytes that do not build a book, say) and a start that
    // failed, only later: the service exits as a failed start does.
    (error, step) => {
      logger.fatal({ err: error, step }, 'the start could not be finished after the listen: exiting');
      logger.flush();
      process.exit(1);
    },
  ).then(settled);
  logger.info(
    {
      engine: ledger.store.engine,
      position: ledger.projector.state.position,
      keys: auth.size,
      ...(ledger.readOnly ? { readOnly: ledger.readOnly } : {}),
    },
    ledger.readOnly ? 'MSS Ledger is serving READ-ONLY' : 'MSS Ledger is ready',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now, without a clean stop');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests (send the signal again to exit at once)');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long: exiting');
      logger.flush();
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    try {
      // Stop taking requests and answer those in flight (their appends included),
      // then let the writer finish anything queued and close the store.
      await app.close();
      await ledger.close();
      lock?.release();
      logger.info('stopped cleanly');
      logger.flush();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      logger.flush();
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Runs the service until it is stopped; a start that fails exits with one line saying why. */
export function serve(early?: EarlyReads): void {
  main(early).catch(exitWith);
}

function exitWith(error: unknown): void {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof KeyConfigError) {
    console.error(`invalid configuration:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(2);
  }
  if (error instanceof StartupError || error instanceof DataDirLockedError) {
    console.error(`cannot start: ${error.message}`);
    process.exit(2);
  }
  if (isStoreFault(error)) {
    console.error(`cannot start: ${error.message} (gave up after STORE_CONNECT_TIMEOUT_MS)`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
}
