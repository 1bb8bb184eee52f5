/**
 * API keys and roles.
 *
 * A key is a random secret sent as `Authorization: Bearer <key>`. Each key
 * names a principal (recorded as `recordedBy` on every event it posts) and
 * carries one role. The service keeps only the SHA-256 of each key.
 *
 * Why SHA-256 and not bcrypt/scrypt/argon2: those slow hashes protect
 * low-entropy secrets (passwords) from guessing after a leak of the hashes.
 * Keys made here (and required of operators' own keys, at least 32
 * characters) carry 256 bits of randomness, so no amount of guessing finds a
 * preimage; a slow hash would add milliseconds to every request and protect
 * nothing more. The presented key's digest is compared with every stored
 * digest using `timingSafeEqual`, without stopping at a match, so timing does
 * not tell how much of a digest matched or which entry did.
 *
 * Keys come from the environment (`API_KEYS=name:role:key,…`) and/or a JSON
 * file (`API_KEYS_FILE`). The file is checked for changes (mtime, size,
 * inode) at most once per `reloadIntervalMs` and re-read when it changed:
 * removing a key from it revokes the key without a restart. A file that no
 * longer parses keeps the previous keys and logs an error, so a typo cannot
 * lock every client out (nor silently let a revoked key back in: it was
 * already revoked by the last good version).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';

export const ROLES = ['recorder', 'auditor', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export interface Principal {
  name: string;
  role: Role;
}

/** Principal names become `recordedBy`: printable, no spaces, no secrets. */
export const PrincipalName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'must be letters, digits and . _ : @ -');

const MIN_KEY_LENGTH = 32;
const MAX_KEY_LENGTH = 512;
const ACCEPTED_KEYS_REMEMBERED = 1024;
const PlainKey = z
  .string()
  .min(MIN_KEY_LENGTH, `must be at least ${MIN_KEY_LENGTH} characters of random data`)
  .max(MAX_KEY_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const Sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex digits')
  .transform((h) => h.toLowerCase());

const FileEntry = z.union([
  z.object({ name: PrincipalName, role: Role, sha256: Sha256Hex }).strict(),
  z.object({ name: PrincipalName, role: Role, key: PlainKey }).strict(),
]);

export const KeysFile = z.union([
  z.object({ keys: z.array(FileEntry) }).strict(),
  z.array(FileEntry).transform((keys) => ({ keys })),
]);

export interface KeyEntry extends Principal {
  /** SHA-256 of the key. */
  hash: Buffer;
}

export const hashKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** A fresh key: 32 random bytes, base64url, with a recognisable prefix (for secret scanners). */
export const generateKey = (): string => `mssk_${randomBytes(32).toString('base64url')}`;

export class KeyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Parses `name:role:key,name:role:key`. */
export function parseKeySpec(spec: string): KeyEntry[] {
  const problems: string[] = [];
  const entries: KeyEntry[] = [];
  for (const [index, raw] of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .entries()) {
    const parts = raw.split(':');
    const [name, role, ...rest] = parts;
    const key = rest.join(':');
    const where = `API_KEYS entry ${index + 1}`;
    if (parts.length < 3) {
      problems.push(`${where}: must be name:role:key`);
      continue;
    }
    const n = PrincipalName.safeParse(name);
    const r = Role.safeParse(role);
    const k = PlainKey.safeParse(key);
    if (!n.success) problems.push(`${where}: name ${n.error.issues[0]?.message}`);
    if (!r.success) problems.push(`${where}: role must be one of ${ROLES.join(', ')}`);
    if (!k.success) problems.push(`${where}: key ${k.error.issues[0]?.message}`);
    if (n.success && r.success && k.success) entries.push({ name: n.data, role: r.data, hash: hashKey(k.data) });
  }
  if (problems.length > 0) throw new KeyConfigError(problems);
  return entries;
}

export function parseKeysFile(text: string, where = 'API_KEYS_FILE'): KeyEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KeyConfigError([`${where}: not valid JSON (${(error as Error).message})`]);
  }
  const parsed = KeysFile.safeParse(json);
  if (!parsed.success)
    throw new KeyConfigError(parsed.error.issues.map((i) => `${where}: ${i.path.join('.') || '(root)'}: ${i.message}`));
  return parsed.data.keys.map((e) => ({
    name: e.name,
    role: e.role,
    hash: 'sha256' in e ? Buffer.from(e.sha256, 'hex') : hashKey(e.key),
  }));
}

export interface KeyRingOptions {
  /** Keys given directly (the environment, or tests). */
  keys?: readonly (KeyEntry | { name: string; role: Role; key: string })[];
  /** A keys file, re-read when it changes. */
  file?: string;
  /** How often, at most, the file is checked for changes. Default 1000 ms; 0 checks on every request. */
  reloadIntervalMs?: number;
  /** Told when a changed file cannot be read; the previous keys stay in force. */
  onReloadError?: (error: Error) => void;
  onReload?: (count: number) => void;
  now?: () => number;
}

export class KeyRing {
  private readonly fixed: KeyEntry[];
  private fromFile: KeyEntry[] = [];
  private entries: KeyEntry[] = [];
  private readonly accepted = new Map<string, Principal>();
  private fileStamp = '';
  private nextCheck = 0;
  private readonly interval: number;
  private readonly now: () => number;

  constructor(private readonly options: KeyRingOptions = {}) {
    this.fixed = (options.keys ?? []).map((k) =>
      'hash' in k ? k : { name: PrincipalName.parse(k.name), role: k.role, hash: hashKey(k.key) },
    );
    this.interval = options.reloadIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    if (options.file) this.loadFile(true);
    this.entries = [...this.fixed, ...this.fromFile];
  }

  /** How many keys are in force. */
  get size(): number {
    this.maybeReload();
    return this.entries.length;
  }

  /** The principal a presented key belongs to, or undefined. */
  authenticate(key: string): Principal | undefined {
    this.maybeReload();
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) return undefined;
    // Keys that were accepted are remembered until the keys change: a dashboard
    // polling every few seconds need not pay for a SHA-256 each time. Only
    // accepted keys are kept, so unknown keys cannot fill the memory.
    const known = this.accepted.get(key);
    if (known) return known;
    const digest = hashKey(key);
    let found: KeyEntry | undefined;
    // No early exit: every entry is compared whatever matched.
    for (const entry of this.entries) if (timingSafeEqual(entry.hash, digest) && !found) found = entry;
    if (!found) return undefined;
    const principal = { name: found.name, role: found.role };
    if (this.accepted.size >= ACCEPTED_KEYS_REMEMBERED) this.accepted.clear();
    this.accepted.set(key, principal);
    return principal;
  }

  private maybeReload(): void {
    if (!this.options.file) return;
    const now = this.now();
    if (now < this.nextCheck) return;
    this.nextCheck = now + this.interval;
    try {
      this.loadFile(false);
      this.entries = [...this.fixed, ...this.fromFile];
      // A key removed from the file must stop working now, not when it falls out of the cache.
      this.accepted.clear();
    } catch (error) {
      this.options.onReloadError?.(error as Error);
    }
  }

  /** Reads the file if it changed since the last read. At start a failure is fatal; later it is reported. */
  private loadFile(initial: boolean): void {
    const file = this.options.file as string;
    let stamp: string;
    try {
      const s = statSync(file);
      stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (error) {
      throw new KeyConfigError([`API_KEYS_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`]);
    }
    if (!initial && stamp === this.fileStamp) return;
    const entries = parseKeysFile(readFileSync(file, 'utf8'), `API_KEYS_FILE ${file}`);
    this.fromFile = entries;
    this.fileStamp = stamp;
    this.options.onReload?.(entries.length);
  }
}

/** One fresh key per role, for a development start. */
export function developmentKeys(): { name: string; role: Role; key: string }[] {
  return ROLES.map((role) => ({ name: `dev-${role}`, role, key: generateKey() }));
}
