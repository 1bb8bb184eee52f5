/**
 * Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint)
 * and witness cosignatures (c2sp.org/tlog-cosignature), with Ed25519 from
 * node:crypto. Pure apart from key generation; no I/O.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/** signed-note: the signature type byte of Ed25519 note signatures. */
const ALG_ED25519 = 0x01;
/** tlog-cosignature: the signature type byte of an Ed25519 cosignature/v1. */
const ALG_COSIGNATURE_V1 = 0x04;
/** signed-note: every signature line starts with an em dash and a space. */
const SIG_PREFIX = '\u2014 ';

// DER prefixes that wrap a raw 32-byte Ed25519 seed / public key (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** signed-note: key ID = SHA-256(name || "\n" || type || public key)[:4]. */
export function keyId(name: string, type: number, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name)
    .update('\n')
    .update(Buffer.from([type]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** signed-note key names: non-empty, no spaces or plus signs, no newlines. */
export const validKeyName = (name: string) => /^[^\s+]+$/u.test(name);

export interface Signer {
  name: string;
  publicKey: Buffer;
  /** The note-verifier key: `<name>+<hex key ID>+<base64(type || public key)>`. */
  verifierKey: string;
  sign(message: Uint8Array): Buffer;
}

export interface Verifier {
  name: string;
  type: number;
  publicKey: Buffer;
  id: Buffer;
}

const publicFromRaw = (raw: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });

export function signerFromSeed(name: string, seed: Uint8Array, type = ALG_ED25519): Signer {
  if (!validKeyName(name)) throw new Error(`key name ${JSON.stringify(name)} has a space or a +`);
  if (seed.length !== 32) throw new Error('an Ed25519 seed has 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
  return {
    name,
    publicKey,
    verifierKey: encodeVerifierKey(name, type, publicKey),
    sign: (message) => sign(null, message, privateKey),
  };
}

export function encodeVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  return `${name}+${keyId(name, type, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

/** Parses `<name>+<hex id>+<base64(type || key)>`, checking that the ID matches the key. */
export function parseVerifierKey(text: string): Verifier {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new Error('a verifier key is <name>+<hex key id>+<base64 key>');
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const key = Buffer.from(trimmed.slice(second + 1), 'base64');
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new Error('a verifier key ID is 8 hex digits');
  if (key.length !== 33 || (key[0] !== ALG_ED25519 && key[0] !== ALG_COSIGNATURE_V1))
    throw new Error('only Ed25519 verifier keys (type 0x01, or 0x04 for cosignatures) are supported');
  const type = key[0]!;
  const publicKey = key.subarray(1);
  const id = keyId(name, type, publicKey);
  if (id.toString('hex') !== idHex.toLowerCase()) throw new Error(`verifier key ID ${idHex} does not match its key`);
  return { name, type, publicKey, id };
}

/** The Go note tooling's private key form: `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`. */
export function parseSignerKey(text: string): Signer {
  // The base64 key may itself hold a '+': split off the first four fields only.
  const fields = text.trim().split('+');
  const parts = [...fields.slice(0, 4), fields.slice(4).join('+')];
  if (fields.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY')
    throw new Error('a signing key is PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>');
  const key = Buffer.from(parts[4]!, 'base64');
  if (key.length !== 33 || (key[0] !== ALG_ED25519 && key[0] !== ALG_COSIGNATURE_V1))
    throw new Error('the signing key is not an Ed25519 key');
  const signer = signerFromSeed(parts[2]!, key.subarray(1), key[0]);
  if (keyId(signer.name, key[0]!, signer.publicKey).toString('hex') !== parts[3]!.toLowerCase())
    throw new Error('the signing key ID does not match its key');
  return signer;
}

export function generateSignerKey(name: string, type = ALG_ED25519): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const signer = signerFromSeed(name, seed, type);
  return `PRIVATE+KEY+${name}+${keyId(name, type, signer.publicKey).toString('hex')}+${Buffer.concat([Buffer.from([type]), seed]).toString('base64')}`;
}

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

/** tlog-checkpoint: the note body, origin, size and base64 root hash, each line ending in a newline. */
export function checkpointBody(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash.toString('base64')}\n`;
}

export function parseCheckpointBody(body: string): Checkpoint {
  const lines = body.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new Error('a checkpoint body is at least three lines');
  const [origin, size, root] = lines as [string, string, string];
  if (origin === '') throw new Error('a checkpoint names its origin on the first line');
  if (!/^(0|[1-9]\d{0,15})$/.test(size)) throw new Error('the second line of a checkpoint is its tree size');
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== root)
    throw new Error('the third line of a checkpoint is a base64 SHA-256 root hash');
  return { origin, treeSize: Number(size), rootHash };
}

export interface SignatureLine {
  name: string;
  id: Buffer;
  /** What follows the key ID: a signature, or for a cosignature a timestamp then a signature. */
  payload: Buffer;
  line: string;
}

export interface Note {
  body: string;
  signatures: SignatureLine[];
}

/** signed-note: the text, a blank line, then one `— <name> <base64(id || signature)>` line per signature. */
export function parseNote(text: string): Note {
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) throw new Error('a signed note is text, a blank line, then signature lines');
  const body = text.slice(0, split + 1);
  const signatures = text
    .slice(split + 2, -1)
    .split('\n')
    .map((line) => {
      if (!line.startsWith(SIG_PREFIX)) throw new Error(`not a signature line: ${JSON.stringify(line)}`);
      const [name, b64, extra] = line.slice(SIG_PREFIX.length).split(' ');
      const raw = Buffer.from(b64 ?? '', 'base64');
      if (!name || extra !== undefined || raw.length < 5)
        throw new Error(`bad signature line: ${JSON.stringify(line)}`);
      return { name, id: raw.subarray(0, 4), payload: raw.subarray(4), line };
    });
  return { body, signatures };
}

export const formatNote = (body: string, lines: readonly string[]) => `${body}\n${lines.join('\n')}\n`;

export function signatureLine(name: string, id: Uint8Array, payload: Uint8Array): string {
  return `${SIG_PREFIX}${name} ${Buffer.concat([id, payload]).toString('base64')}`;
}

/** Signs a checkpoint: the note's own Ed25519 signature over the body. */
export function signCheckpoint(signer: Signer, checkpoint: Checkpoint): string {
  if (checkpoint.origin !== signer.name) throw new Error('the origin line must match the key name');
  const body = checkpointBody(checkpoint);
  return formatNote(body, [signatureLine(signer.name, noteKeyId(signer), signer.sign(Buffer.from(body)))]);
}

/** A signer's note key ID, hashed once per signer: the service signs a checkpoint for every write group. */
const noteKeyIds = new WeakMap<Signer, Buffer>();
function noteKeyId(signer: Signer): Buffer {
  let id = noteKeyIds.get(signer);
  if (!id) noteKeyIds.set(signer, (id = keyId(signer.name, ALG_ED25519, signer.publicKey)));
  return id;
}

const matches = (line: SignatureLine, verifier: Verifier) => line.name === verifier.name && line.id.equals(verifier.id);

/** True when the note carries a valid signature by `verifier` (an Ed25519 note key). */
export function verifyNoteSignature(note: Note, verifier: Verifier): boolean {
  if (verifier.type !== ALG_ED25519) return false;
  return note.signatures.some(
    (line) =>
      matches(line, verifier) &&
      line.payload.length === 64 &&
      verify(null, Buffer.from(note.body), publicFromRaw(verifier.publicKey), line.payload),
  );
}

/** Parses and checks a signed checkpoint; throws saying what is wrong. */
export function openCheckpoint(text: string, verifier: Verifier): Checkpoint & { note: Note } {
  const note = parseNote(text);
  const checkpoint = parseCheckpointBody(note.body);
  if (checkpoint.origin !== verifier.name)
    throw new Error(`the checkpoint's origin ${checkpoint.origin} is not the key's name ${verifier.name}`);
  if (!verifyNoteSignature(note, verifier)) throw new Error(`no valid signature by ${verifier.name} on the checkpoint`);
  return { ...checkpoint, note };
}

/** tlog-cosignature: `cosignature/v1`, `time <t>`, then the whole checkpoint body. */
export function cosignedMessage(body: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${body}`);
}

/** A witness's cosignature line over a checkpoint body, at `time` (POSIX seconds). */
export function cosign(signer: Signer, body: string, time: number): string {
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(time));
  const id = keyId(signer.name, ALG_COSIGNATURE_V1, signer.publicKey);
  return signatureLine(signer.name, id, Buffer.concat([stamp, signer.sign(cosignedMessage(body, time))]));
}

/** The time of a valid cosignature by `verifier` (a type 0x04 key), or undefined. */
export function verifyCosignature(body: string, line: SignatureLine, verifier: Verifier): number | undefined {
  if (verifier.type !== ALG_COSIGNATURE_V1 || !matches(line, verifier) || line.payload.length !== 72) return undefined;
  const time = Number(line.payload.readBigUInt64BE(0));
  const ok = verify(null, cosignedMessage(body, time), publicFromRaw(verifier.publicKey), line.payload.subarray(8));
  return ok ? time : undefined;
}

export const COSIGNATURE_TYPE = ALG_COSIGNATURE_V1;
export const NOTE_TYPE = ALG_ED25519;
