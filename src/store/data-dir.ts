/**
 * What the data directory allows, checked before anything is opened or
 * printed: a start that cannot work says so in one line, and a store that can
 * be read but not written is served read-only rather than refused.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where the embedded store and its files live when DATA_DIR does not say. */
export const DEFAULT_DATA_DIR = './data';

/** A problem with the environment a person must fix: one line, exit 2. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export type DataDir =
  | { dir: string; ledgerFile: string; writable: true; hasLedger: boolean }
  | { dir: string; ledgerFile: string; writable: false; hasLedger: true; reason: string };

const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error);

/** Why this process may not write `target` (the error code: EACCES, EROFS…), or undefined if it may. */
export const writeProblem = (target: string): string | undefined => {
  try {
    accessSync(target, constants.W_OK);
    return undefined;
  } catch (error) {
    return codeOf(error);
  }
};

export function checkDataDir(dir: string): DataDir {
  const ledgerFile = path.join(dir, 'ledger.sqlite');
  let stat;
  try {
    stat = statSync(dir);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT')
      throw new StartupError(`DATA_DIR ${dir} cannot be read (${codeOf(error)}): check its permissions`);
  }
  if (!stat) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new StartupError(
        `DATA_DIR ${dir} does not exist and cannot be created (${codeOf(error)}): create it, or set DATA_DIR to a writable directory`,
      );
    }
    return { dir, ledgerFile, writable: true, hasLedger: false };
  }
  if (!stat.isDirectory())
    throw new StartupError(`DATA_DIR ${dir} is a file, not a directory: set DATA_DIR to a directory`);
  let hasLedger = false;
  try {
    hasLedger = statSync(ledgerFile).isFile();
  } catch {
    hasLedger = false;
  }
  const dirProblem = writeProblem(dir);
  const fileProblem = hasLedger ? writeProblem(ledgerFile) : undefined;
  if (!dirProblem && !fileProblem) return { dir, ledgerFile, writable: true, hasLedger };
  if (!hasLedger)
    throw new StartupError(
      `DATA_DIR ${dir} cannot be written (${dirProblem}) and holds no ledger to serve: make it writable, or set DATA_DIR to a writable directory`,
    );
  return {
    dir,
    ledgerFile,
    writable: false,
    hasLedger: true,
    reason: dirProblem
      ? `DATA_DIR ${dir} cannot be written (${dirProblem})`
      : `the store file ${ledgerFile} cannot be written (${fileProblem})`,
  };
}
