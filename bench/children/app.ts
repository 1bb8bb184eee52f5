/**
 * Our service with authentication on or off, for the `auth` scenario. src/main.ts has no switch to
 * turn authentication off (a service without keys refuses to start in production and makes
 * development keys otherwise), but `buildApp` takes `auth: false` (benchmarks only). So this script
 * starts the service the way src/serve.ts does (loadConfig, the same logger, openLedger on DATA_DIR,
 * seeded when empty, the same buildApp options) and differs in one thing only: the key ring.
 *
 *   BENCH_AUTH=on    auth: a KeyRing of the API_KEYS entries (the bench's recorder key), as serve.ts
 *   BENCH_AUTH=off   auth: false: no hook on any route; events are recorded by `anonymous`
 *
 * Both arms of the scenario run this script, so they differ by the key ring alone. Env: the
 * service's own (DATA_DIR, PORT, HOST, LOG_LEVEL, SEED_ON_EMPTY, API_KEYS, RATE_LIMIT_PER_MINUTE …)
 * plus BENCH_AUTH, and BENCH_LOG=off to run without the verifiable log (src/log). SIGTERM stops it as serve.ts does (close the app, then the ledger).
 */
import { KeyRing, parseKeySpec } from '../../src/auth/keys.js';
import { loadConfig } from '../../src/config.js';
import { appOptionsFrom, buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/plugins/logger.js';
import type { Config } from '../../src/config.js';
import { checkpointFile, openLedger, openStore, seedMissionHistory, startLedger } from '../../src/service.js';

async function openLedgerWithoutLog(config: Config) {
  const store = await openStore(config);
  const ledger = await startLedger(store, { checkpointFile: checkpointFile(config) });
  if (config.SEED_ON_EMPTY && (await store.headPosition()) === 0) await seedMissionHistory(ledger);
  return ledger;
}

const mode = process.env.BENCH_AUTH;
if (mode !== 'on' && mode !== 'off') throw new Error(`BENCH_AUTH must be on or off, got ${mode}`);

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
let auth: KeyRing | false = false;
if (mode === 'on') {
  if (!config.API_KEYS) throw new Error('BENCH_AUTH=on needs API_KEYS');
  auth = new KeyRing({ keys: parseKeySpec(config.API_KEYS) });
}
// BENCH_LOG=off: the same ledger without the verifiable log (the `log` scenario's baseline).
const ledger = process.env.BENCH_LOG === 'off' ? await openLedgerWithoutLog(config) : await openLedger(config, logger);
const app = await buildApp(ledger, appOptionsFrom(config, logger, auth));
await app.listen({ port: config.PORT, host: config.HOST });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    void app
      .close()
      .then(() => ledger.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  });
