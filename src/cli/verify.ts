/**
 * `npm run verify -- --export ledger.ndjson --checkpoint checkpoint.txt --key ledger.pub
 *      [--witness-key w.pub …] [--consistent-with old.txt …]
 *      [--as-of T] [--known-at K] [--projection inventory|personnel|donors]`
 *   An auditor's offline check: recomputes the tree from an export, checks it
 *   against a signed checkpoint (and witnesses' cosignatures), proves an
 *   older checkpoint is a prefix, and recomputes a projection from the export alone.
 * `npm run verify -- --new-signing-key NAME --key FILE`
 *   Makes the log's signing key (for SIGNING_KEY_FILE) and prints its verifier key.
 * `npm run verify -- --store [--accept-tail]`
 *   Recomputes the tree from the store (DATA_DIR or EVENTSTORE_CONNECTION_STRING)
 *   and compares it with the last signed checkpoint.
 * Exit codes (src/log/verify.ts EXIT): 0 verified, 1 usage, 2 checkpoint signature,
 * 3 cosignature, 4 export does not match, 5 not consistent, 6 unsigned tail, 7 store tampered.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config.js';
import { endOfInstant } from '../http/routes/projections.js';
import { loadSigner } from '../log/keys.js';
import { LedgerLog } from '../log/ledger-log.js';
import { generateSignerKey, openCheckpoint, parseSignerKey, parseVerifierKey, type Checkpoint } from '../log/note.js';
import { checkpointStorageFor } from '../log/open.js';
import {
  checkConsistent,
  checkCosignatures,
  checkExportAgainst,
  EXIT,
  exportMatches,
  exportStore,
  treeOfExport,
  VerificationError,
} from '../log/verify.js';
import { Projector } from '../read/projector.js';
import { openStore } from '../service.js';
import { dateFlag, parseFlags, UsageError } from './command.js';
import { render } from './replay.js';

const PROJECTIONS = ['inventory', 'personnel', 'donors'] as const;
type Say = (line: string) => void;

const readCheckpoint = (file: string, key: ReturnType<typeof parseVerifierKey>, label: string): Checkpoint => {
  try {
    return openCheckpoint(readFileSync(file, 'utf8'), key);
  } catch (error) {
    throw new VerificationError(
      EXIT.badCheckpoint,
      `${label} ${file}: ${error instanceof Error ? error.message : error}`,
    );
  }
};

const parseTime = (value: string | undefined, flag: string) => {
  if (value === undefined) return undefined;
  const time = endOfInstant(value);
  if (Number.isNaN(time)) throw new VerificationError(EXIT.usage, `${flag} must be an ISO 8601 date or instant`);
  return time;
};

export interface OfflineOptions {
  export: string;
  checkpoint: string;
  key: string;
  witnessKeys?: string[];
  consistentWith?: string[];
  asOf?: string;
  knownAt?: string;
  projection?: string;
}

/** The offline check; returns the projection recomputed (when asked) for the caller to print. */
export async function verifyOffline(options: OfflineOptions, say: Say): Promise<unknown> {
  const key = parseVerifierKey(readFileSync(options.key, 'utf8'));
  const text = readFileSync(options.checkpoint, 'utf8');
  const checkpoint = readCheckpoint(options.checkpoint, key, 'checkpoint');
  say(
    `checkpoint: ${checkpoint.origin}, ${checkpoint.treeSize} events, root ${checkpoint.rootHash.toString('base64')}: signature valid`,
  );
  const witnesses = (options.witnessKeys ?? []).map((file) => parseVerifierKey(readFileSync(file, 'utf8')));
  if (witnesses.length > 0) say(`cosigned by ${checkCosignatures(text, key, witnesses).join(', ')}`);
  const older = (options.consistentWith ?? []).map((file) => ({
    file,
    checkpoint: readCheckpoint(file, key, 'older checkpoint'),
  }));
  const projection = options.projection;
  if (projection !== undefined && !PROJECTIONS.includes(projection as never))
    throw new VerificationError(EXIT.usage, `--projection must be one of ${PROJECTIONS.join(', ')}`);
  const asOf = parseTime(options.asOf, '--as-of');
  const knownAt = parseTime(options.knownAt, '--known-at');

  const started = process.hrtime.bigint();
  let t = await treeOfExport(options.export, projection !== undefined);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const all = [checkpoint, ...older.map((o) => o.checkpoint)];
  // Read again, parsing every line, only to name what does not match.
  if (!t.detailed && (!exportMatches(t, all) || t.tree.size > checkpoint.treeSize))
    t = await treeOfExport(options.export, true);
  say(
    `export: ${t.tree.size} events hashed in ${seconds.toFixed(2)} s (${Math.round(t.tree.size / Math.max(seconds, 1e-6)).toLocaleString('en')} events/s)`,
  );
  checkExportAgainst(
    t,
    checkpoint,
    'the checkpoint',
    older.map((o) => o.checkpoint),
  );
  say(`the first ${checkpoint.treeSize} events of the export hash to the signed root`);
  for (const o of older) {
    checkConsistent(t, o.checkpoint, checkpoint);
    say(`${o.file} (${o.checkpoint.treeSize} events) is a prefix of the checkpoint: the log only grew`);
  }
  const beyond = t.tree.size - checkpoint.treeSize;
  if (beyond > 0 && knownAt === undefined)
    throw new VerificationError(
      EXIT.unsignedTail,
      `${beyond} event(s) of the export, from position ${t.positions[checkpoint.treeSize]}, are not under the checkpoint: fetch the checkpoint after the export, or they were added without being signed`,
    );
  if (projection === undefined) return undefined;
  // Only what the checkpoint signed is folded; with --known-at, every event recorded by then must be in it.
  const events = t.events!.slice(0, checkpoint.treeSize);
  if (knownAt !== undefined) {
    const late = t.recordedAt.findIndex((r, i) => i >= checkpoint.treeSize && Date.parse(r) <= knownAt);
    if (late >= 0)
      throw new VerificationError(
        EXIT.exportMismatch,
        `event at position ${t.positions[late]} was recorded by ${options.knownAt} but is not under the checkpoint: give the checkpoint issued by then (GET /v1/log/checkpoint?knownAt=…)`,
      );
  }
  const projector = new Projector(exportStore(events));
  await projector.start();
  await projector.close();
  const { header, view } = render(projector, projection as (typeof PROJECTIONS)[number], asOf, knownAt);
  return {
    ...header,
    checkpoint: { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash.toString('base64') },
    [projection]: view,
  };
}

/** The store's check: recompute, compare with the last signed checkpoint, optionally sign an inspected tail. */
export async function verifyStore(options: { acceptTail: boolean }, say: Say): Promise<void> {
  const config = loadConfig();
  const store = await openStore(config);
  try {
    const log = await LedgerLog.open(store, {
      signer: loadSigner(config, say),
      storage: await checkpointStorageFor(store, config.EVENTSTORE_CONNECTION_STRING),
    });
    try {
      const status = log.status;
      say(`store: ${log.tree.size} events; checkpoints in ${log.where}`);
      if (status.state === 'tampered') throw new VerificationError(EXIT.tampered, `TAMPERED: ${log.problems()[0]}`);
      if (status.state === 'unsigned-tail') {
        say(log.problems()[0]!);
        if (!options.acceptTail) throw new VerificationError(EXIT.unsignedTail, 'unsigned tail: not accepted');
        const issued = (await log.acceptTail())!;
        say(`accepted: checkpoint of ${issued.treeSize} events signed at ${issued.issuedAt}`);
      } else say(`verified: the store hashes to the checkpoint of ${status.treeSize} events`);
      if (log.latest) say(log.latest.note.trimEnd());
    } finally {
      await log.close();
    }
  } finally {
    await store.close();
  }
}

const USAGE = `Usage:
  npm run verify -- --export FILE --checkpoint FILE --key FILE [--witness-key FILE …] [--consistent-with FILE …]
                    [--projection inventory|personnel|donors [--as-of DATE] [--known-at DATE]]
      An auditor's offline check: the export hashes to the signed checkpoint (and the witnesses'
      cosignatures hold), older checkpoints are prefixes of it, and a projection recomputed from the
      export alone (printed as JSON). DATE: an ISO 8601 date (the end of that day) or instant.
  npm run verify -- --store [--accept-tail]
      The operator's check: the store (DATA_DIR or EVENTSTORE_CONNECTION_STRING) hashes to its last
      signed checkpoint; --accept-tail signs events found beyond it, once inspected.
  npm run verify -- --new-signing-key NAME --key FILE
      Makes the log's signing key (for SIGNING_KEY_FILE) in FILE and prints its verifier key.

Every argument is checked before anything is read. Exit codes: 0 verified, 1 usage or unreadable input,
2 checkpoint signature, 3 cosignature, 4 export does not match, 5 not consistent, 6 unsigned tail,
7 store tampered. See docs/verification.md.
`;

export type VerifyRequest =
  | { mode: 'offline'; options: OfflineOptions }
  | { mode: 'store'; acceptTail: boolean }
  | { mode: 'new-signing-key'; name: string; key: string };

/** Every argument checked, before any file is read. Undefined for --help. */
export function parseVerifyArgs(args: string[]): VerifyRequest | undefined {
  const values = parseFlags(args, {
    export: { type: 'string' },
    checkpoint: { type: 'string' },
    key: { type: 'string' },
    'witness-key': { type: 'string', multiple: true },
    'consistent-with': { type: 'string', multiple: true },
    'as-of': { type: 'string' },
    'known-at': { type: 'string' },
    projection: { type: 'string' },
    store: { type: 'boolean' },
    'new-signing-key': { type: 'string' },
    'accept-tail': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return undefined;
  const given = new Set(Object.keys(values));
  const only = (allowed: string[], mode: string) => {
    const stray = [...given].filter((flag) => !allowed.includes(flag));
    if (stray.length > 0) throw new UsageError(`${mode} takes no --${stray.join(', --')}`);
  };
  if (values['new-signing-key'] !== undefined) {
    only(['new-signing-key', 'key'], '--new-signing-key');
    if (!values.key) throw new UsageError('--new-signing-key NAME needs --key FILE: where to write the signing key');
    return { mode: 'new-signing-key', name: values['new-signing-key'], key: values.key };
  }
  if (values.store) {
    only(['store', 'accept-tail'], '--store');
    return { mode: 'store', acceptTail: values['accept-tail'] ?? false };
  }
  if (values['accept-tail']) throw new UsageError('--accept-tail is for --store only');
  const missing = (['export', 'checkpoint', 'key'] as const).filter((flag) => !values[flag]);
  if (missing.length > 0)
    throw new UsageError(`give --export, --checkpoint and --key (or --store); missing: --${missing.join(', --')}`);
  if (values.projection !== undefined && !(PROJECTIONS as readonly string[]).includes(values.projection))
    throw new UsageError(`--projection ${JSON.stringify(values.projection)}: must be one of ${PROJECTIONS.join(', ')}`);
  if (values.projection === undefined && values['as-of'] !== undefined)
    throw new UsageError('--as-of says when to recompute a --projection: give one');
  dateFlag(values['as-of'], '--as-of');
  dateFlag(values['known-at'], '--known-at');
  return {
    mode: 'offline',
    options: {
      export: values.export!,
      checkpoint: values.checkpoint!,
      key: values.key!,
      witnessKeys: values['witness-key'] ?? [],
      consistentWith: values['consistent-with'] ?? [],
      ...(values['as-of'] ? { asOf: values['as-of'] } : {}),
      ...(values['known-at'] ? { knownAt: values['known-at'] } : {}),
      ...(values.projection ? { projection: values.projection } : {}),
    },
  };
}

async function main() {
  const request = parseVerifyArgs(process.argv.slice(2));
  if (!request) {
    process.stdout.write(USAGE);
    return;
  }
  const say: Say = (line) => process.stderr.write(`${line}\n`);
  // The operator: a signing key for the log (SIGNING_KEY_FILE); its name is the checkpoints' origin.
  if (request.mode === 'new-signing-key') {
    writeFileSync(request.key, `${generateSignerKey(request.name)}\n`, { mode: 0o600 });
    process.stdout.write(`${parseSignerKey(readFileSync(request.key, 'utf8')).verifierKey}\n`);
    return;
  }
  if (request.mode === 'store') return verifyStore({ acceptTail: request.acceptTail }, say);
  const result = await verifyOffline(request.options, say);
  if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  say('OK');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((error: unknown) => {
    const usage = error instanceof UsageError;
    console.error(`${error instanceof Error ? error.message : error}${usage ? ' (--help for usage)' : ''}`);
    process.exit(error instanceof VerificationError ? error.code : EXIT.usage);
  });
