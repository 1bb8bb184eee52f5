/**
 * The log's signing key: SIGNING_KEY_FILE in production; in development a
 * key made on first start and kept in DATA_DIR (0600), its public key printed
 * once. Both hold the Go note tooling's `PRIVATE+KEY+<name>+…` form.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSignerKey, parseSignerKey, parseVerifierKey, type Signer, type Verifier } from './note.js';

/** The log's name (the checkpoint's origin line) for a development key. */
export const DEV_ORIGIN = 'mss-ledger.dev/log';

export interface SigningConfig {
  NODE_ENV: string;
  DATA_DIR: string;
  SIGNING_KEY_FILE?: string | undefined;
}

export const devKeyFile = (dataDir: string) => path.join(dataDir, 'log-signing.key');

export function loadSigner(config: SigningConfig, announce: (message: string) => void = () => {}): Signer {
  if (config.SIGNING_KEY_FILE) return parseSignerKey(readFileSync(config.SIGNING_KEY_FILE, 'utf8'));
  if (config.NODE_ENV === 'production')
    throw new Error('SIGNING_KEY_FILE: production needs the log signing key (no development key in production)');
  const file = devKeyFile(config.DATA_DIR);
  if (existsSync(file)) return parseSignerKey(readFileSync(file, 'utf8'));
  mkdirSync(config.DATA_DIR, { recursive: true });
  writeFileSync(file, `${generateSignerKey(DEV_ORIGIN)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  const signer = parseSignerKey(readFileSync(file, 'utf8'));
  announce(
    `A development signing key for the log was made in ${file}. Its public key (GET /v1/log/key):\n  ${signer.verifierKey}\n`,
  );
  return signer;
}

/** WITNESS_KEYS: witnesses' verifier keys (type 0x04), comma-separated. */
export const parseWitnessKeys = (spec: string | undefined): Verifier[] =>
  (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseVerifierKey);
