/**
 * `npm run witness -- --new-key NAME --key FILE`
 *   makes a witness key (cosignature/v1, type 0x04) and prints its verifier key for WITNESS_KEYS.
 * `npm run witness -- --ledger URL --state FILE --key FILE [--api-key KEY] [--every SECONDS]`
 *   checks the log's latest checkpoint against the last one co-signed, co-signs it and posts
 *   the cosignature back. Exit 0: co-signed; 8: refused (evidence kept); 1: anything else.
 *   The API key (or LEDGER_API_KEY) is a viewer key: checkpoints and proofs are readable by viewers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { COSIGNATURE_TYPE, generateSignerKey, parseSignerKey } from '../log/note.js';
import { witnessOnce, WitnessRefusal, type Transport } from '../log/witness.js';
import { parseFlags, UsageError } from './command.js';

export const EXIT_REFUSED = 8;

export function fetchTransport(base: string, apiKey: string | undefined): Transport {
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const url = (path: string) => new URL(path, base).href;
  return {
    async get(path) {
      const answer = await fetch(url(path), { headers });
      return { status: answer.status, body: await answer.text() };
    },
    async post(path, body) {
      const answer = await fetch(url(path), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: answer.status, body: await answer.text() };
    },
  };
}

const USAGE = `Usage:
  npm run witness -- --new-key NAME --key FILE
      Makes a witness key (cosignature/v1) in FILE and prints its verifier key, for the ledger's WITNESS_KEYS.
  npm run witness -- --ledger URL --state FILE --key FILE [--api-key KEY] [--every SECONDS]
      Checks the ledger's latest checkpoint against the last one this witness co-signed (kept in --state),
      co-signs it and posts the cosignature back; with --every, again every SECONDS. The API key (or
      LEDGER_API_KEY) is a viewer key.

Every argument is checked before anything is read. Exit codes: 0 co-signed, 8 refused (the log did not
only grow: both checkpoints are kept as evidence), 2 bad arguments, 1 anything else.
`;

export type WitnessRequest =
  | { mode: 'new-key'; name: string; key: string }
  | {
      mode: 'witness';
      ledger: string;
      state: string;
      key: string;
      apiKey: string | undefined;
      every: number | undefined;
    };

/** Every argument checked, before any file is read or the ledger asked. Undefined for --help. */
export function parseWitnessArgs(args: string[]): WitnessRequest | undefined {
  const values = parseFlags(args, {
    'new-key': { type: 'string' },
    ledger: { type: 'string' },
    state: { type: 'string' },
    key: { type: 'string' },
    'api-key': { type: 'string' },
    every: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return undefined;
  if (!values.key) throw new UsageError('give --key FILE: the witness key to sign with (or to write, with --new-key)');
  if (values['new-key'] !== undefined) {
    const stray = (['ledger', 'state', 'api-key', 'every'] as const).filter((flag) => values[flag] !== undefined);
    if (stray.length > 0) throw new UsageError(`--new-key takes no --${stray.join(', --')}`);
    return { mode: 'new-key', name: values['new-key'], key: values.key };
  }
  if (!values.ledger || !values.state) throw new UsageError('give --ledger URL --state FILE --key FILE');
  if (!URL.canParse(values.ledger) || !/^https?:$/.test(new URL(values.ledger).protocol))
    throw new UsageError(
      `--ledger ${JSON.stringify(values.ledger)}: must be an http(s) URL, e.g. http://127.0.0.1:3000`,
    );
  let every: number | undefined;
  if (values.every !== undefined) {
    every = Number(values.every);
    if (!Number.isFinite(every) || every < 1)
      throw new UsageError(`--every ${JSON.stringify(values.every)}: must be a number of seconds, at least 1`);
  }
  return {
    mode: 'witness',
    ledger: values.ledger,
    state: values.state,
    key: values.key,
    apiKey: values['api-key'] ?? process.env.LEDGER_API_KEY,
    every,
  };
}

async function main() {
  const request = parseWitnessArgs(process.argv.slice(2));
  if (!request) {
    process.stdout.write(USAGE);
    return;
  }
  if (request.mode === 'new-key') {
    writeFileSync(request.key, `${generateSignerKey(request.name, COSIGNATURE_TYPE)}\n`, { mode: 0o600 });
    const signer = parseSignerKey(readFileSync(request.key, 'utf8'));
    process.stdout.write(`${signer.verifierKey}\n`);
    return;
  }
  const signer = parseSignerKey(readFileSync(request.key, 'utf8'));
  const http = fetchTransport(request.ledger, request.apiKey);
  const round = async () => {
    const { treeSize } = await witnessOnce(http, { stateFile: request.state, signer });
    process.stderr.write(`co-signed ${request.ledger} at ${treeSize} events\n`);
  };
  await round();
  if (request.every !== undefined) {
    const ms = request.every * 1000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await round();
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message} (--help for usage)\n`);
      process.exit(2);
    }
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof WitnessRefusal ? EXIT_REFUSED : 1);
  });
