/**
 * What every operator command shares: arguments checked before anything is
 * read, the ledger found through DATA_DIR without creating anything, and the
 * same exit codes — 0 done, 2 a mistake in the arguments or configuration
 * (one line says which), 1 a failure while working.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DateOrInstant } from '../../events/envelope.js';
import { ConfigError, loadConfig } from '../config.js';
import { endOfInstant } from '../http/routes/projections.js';

/** A mistake of the caller's: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** parseArgs, strict: an unknown flag or a stray word is a UsageError naming it. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
}

/** A date flag as the API takes it: an ISO 8601 date (the end of that day) or instant, in ms. */
export function dateFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!DateOrInstant.safeParse(value).success)
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not an ISO 8601 date (2025-02-10) or instant`);
  return endOfInstant(value);
}

/** Where the ledger is: the embedded store's file, or an EventStoreDB connection. */
export type LedgerLocation =
  { kind: 'sqlite'; file: string; dataDir: string } | { kind: 'eventstoredb'; dataDir: string };

/**
 * The ledger the configuration names. Only DATA_DIR and EVENTSTORE_CONNECTION_STRING are read:
 * a command does not need the service's keys. A DATA_DIR without a ledger file is refused, and
 * nothing is created there.
 */
export function findLedger(env: NodeJS.ProcessEnv = process.env): LedgerLocation {
  let config;
  try {
    config = loadConfig({
      DATA_DIR: env.DATA_DIR,
      EVENTSTORE_CONNECTION_STRING: env.EVENTSTORE_CONNECTION_STRING,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`invalid configuration: ${error.problems.join('; ')}`);
    throw error;
  }
  const dataDir = path.resolve(config.DATA_DIR);
  if (config.EVENTSTORE_CONNECTION_STRING) return { kind: 'eventstoredb', dataDir };
  const dir = statSync(dataDir, { throwIfNoEntry: false });
  if (!dir)
    throw new UsageError(`DATA_DIR ${dataDir} does not exist: set DATA_DIR to the directory holding ledger.sqlite`);
  if (!dir.isDirectory())
    throw new UsageError(`DATA_DIR ${dataDir} is not a directory: set DATA_DIR to the directory holding ledger.sqlite`);
  const file = path.join(dataDir, 'ledger.sqlite');
  const ledger = statSync(file, { throwIfNoEntry: false });
  if (!ledger?.isFile())
    throw new UsageError(
      `DATA_DIR ${dataDir} holds no ledger (no ledger.sqlite): is DATA_DIR set to the right directory?`,
    );
  return { kind: 'sqlite', file, dataDir };
}

/** Runs a command's main: exit 0 when it resolves, 2 on a UsageError, 1 on any other failure. */
export function runCommand(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    // stderr is synchronous for files and pipes: the line is out before the exit.
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message} (--help for usage)\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
