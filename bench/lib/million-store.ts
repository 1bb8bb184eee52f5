/**
 * The synthetic store of the `million` scenario: built once (seedSynthetic through the writer, in
 * a child process) into bench/.cache/million/, then reused. Each run works on a copy, so the cached
 * file is never modified and a first start without a checkpoint can be measured every time.
 * Delete bench/.cache/million/ to build it again (e.g. after the store's layout or the synthetic
 * generator changed).
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { runScript } from './child.js';
import type { BenchContext } from './types.js';

export interface StoreFacts {
  recorded: number;
  /** Seconds the build took (when it was built: now or on an earlier run). */
  seconds: number;
  bytes: number;
  events: number;
  head: number;
  firstRecordedAt: string;
  lastRecordedAt: string;
  firstOccurredAt: string;
  lastOccurredAt: string;
}

/**
 * The cached store's format: 2 added the log's signing key beside it; 3, rows whose JSON is in RFC
 * 8785 form, as the store has written every row since (a store of format 2 would be measured on
 * rows the service no longer writes).
 */
const FORMAT = 3;

export interface CacheMeta extends StoreFacts {
  format: typeof FORMAT;
  count: number;
  seed: number;
  builtAt: string;
}

export interface CachedStore {
  dir: string;
  file: string;
  meta: CacheMeta;
  /** True when this run built it (meta.seconds is then this run's build time). */
  builtNow: boolean;
}

const META = 'meta.json';

function readMeta(dir: string, count: number, seed: number): CacheMeta | undefined {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, META), 'utf8')) as CacheMeta;
    const file = path.join(dir, 'ledger.sqlite');
    if (meta.format !== FORMAT || meta.count !== count || meta.seed !== seed) return undefined;
    // A file that changed since it was built (a service started on it, say) is not the one measured.
    if (!existsSync(file) || statSync(file).size !== meta.bytes) return undefined;
    if (existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0) return undefined;
    return meta;
  } catch {
    return undefined;
  }
}

/** The cached store of `count` synthetic events, built now if it is missing or does not match. */
export async function cachedStore(ctx: BenchContext, count: number, seed: number, name: string): Promise<CachedStore> {
  const dir = path.join(ctx.repoRoot, 'bench', '.cache', name);
  const file = path.join(dir, 'ledger.sqlite');
  const meta = readMeta(dir, count, seed);
  if (meta) return { dir, file, meta, builtNow: false };

  // Build beside it and rename: an interrupted build never passes for a finished one.
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  ctx.log(`${name}: building a store of ${count.toLocaleString('en')} synthetic events (seed ${seed}) in ${dir}`);
  const facts = await runScript<StoreFacts>(ctx, {
    name: `build-${name}`,
    script: 'bench/children/build-store.ts',
    args: [building, String(count), String(seed)],
    timeoutMs: 3_600_000,
  });
  const built: CacheMeta = { format: FORMAT, count, seed, builtAt: new Date().toISOString(), ...facts };
  writeFileSync(path.join(building, META), `${JSON.stringify(built, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return { dir, file, meta: built, builtNow: true };
}

/** A copy of the cached store in a fresh directory of this run (ledger.sqlite and its log key: no projections' checkpoint, no saved tree). */
export function copyStore(store: CachedStore, into: string): string {
  mkdirSync(into, { recursive: true });
  copyFileSync(store.file, path.join(into, 'ledger.sqlite'));
  // The key that signed its checkpoints (from format 2 on): the service checks the store against them.
  const key = path.join(store.dir, 'log-signing.key');
  if (existsSync(key)) copyFileSync(key, path.join(into, 'log-signing.key'));
  return into;
}
