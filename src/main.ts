/** The service's entry point: configuration, ledger, HTTP, and a clean shutdown. */
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './http/app.js';
import { openLedger } from './service.js';

async function main() {
  const config = loadConfig();
  const logger = pino({ level: config.LOG_LEVEL, redact: ['req.headers.authorization'] });
  const ledger = await openLedger(config, logger);
  const app = await buildApp(ledger, { logger });
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ engine: ledger.store.engine, position: ledger.projector.state.position }, 'MSS Ledger is ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    // Stop taking requests and finish those in flight, then let the writer finish its appends and close the store.
    await app.close();
    await ledger.close();
    logger.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
