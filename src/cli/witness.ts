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
import { parseArgs } from 'node:util';
import { COSIGNATURE_TYPE, generateSignerKey, parseSignerKey } from '../log/note.js';
import { witnessOnce, WitnessRefusal, type Transport } from '../log/witness.js';

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

async function main() {
  const { values } = parseArgs({
    options: {
      'new-key': { type: 'string' },
      ledger: { type: 'string' },
      state: { type: 'string' },
      key: { type: 'string' },
      'api-key': { type: 'string' },
      every: { type: 'string' },
    },
  });
  if (!values.key) throw new Error('give --key FILE');
  if (values['new-key']) {
    writeFileSync(values.key, `${generateSignerKey(values['new-key'], COSIGNATURE_TYPE)}\n`, { mode: 0o600 });
    const signer = parseSignerKey(readFileSync(values.key, 'utf8'));
    process.stdout.write(`${signer.verifierKey}\n`);
    return;
  }
  if (!values.ledger || !values.state) throw new Error('give --ledger URL --state FILE --key FILE');
  const signer = parseSignerKey(readFileSync(values.key, 'utf8'));
  const http = fetchTransport(values.ledger, values['api-key'] ?? process.env.LEDGER_API_KEY);
  const round = async () => {
    const { treeSize } = await witnessOnce(http, { stateFile: values.state!, signer });
    process.stderr.write(`co-signed ${values.ledger} at ${treeSize} events\n`);
  };
  await round();
  if (values.every) {
    const ms = Math.max(1, Number(values.every)) * 1000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await round();
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof WitnessRefusal ? EXIT_REFUSED : 1);
  });
