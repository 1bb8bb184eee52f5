/**
 * Signed notes as C2SP defines them: the checkpoint body's three lines, the
 * em-dash signature line with the 4-byte key ID, verifier keys whose ID must
 * match, and cosignature/v1 over `cosignature/v1`, `time <t>` and the body.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import {
  checkpointBody,
  COSIGNATURE_TYPE,
  cosign,
  cosignedMessage,
  generateSignerKey,
  keyId,
  openCheckpoint,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
  verifyCosignature,
} from '../../src/log/note.js';

const root = createHash('sha256').update('root').digest();

t.test('a signed checkpoint', async (t) => {
  const signer = parseSignerKey(generateSignerKey('example.org/log'));
  const verifier = parseVerifierKey(signer.verifierKey);
  const text = signCheckpoint(signer, { origin: 'example.org/log', treeSize: 42, rootHash: root });
  t.equal(
    checkpointBody({ origin: 'example.org/log', treeSize: 42, rootHash: root }),
    `example.org/log\n42\n${root.toString('base64')}\n`,
  );
  t.match(text, /^example\.org\/log\n42\n[A-Za-z0-9+/]{43}=\n\n\u2014 example\.org\/log [A-Za-z0-9+/=]+\n$/);
  const note = parseNote(text);
  t.same(note.signatures[0]!.id, keyId('example.org/log', 0x01, signer.publicKey), 'the line starts with the key ID');
  t.equal(note.signatures[0]!.payload.length, 64, 'then an Ed25519 signature');
  t.equal(openCheckpoint(text, verifier).treeSize, 42);
  // Any change to the body, or another key of the same name, fails.
  t.throws(() => openCheckpoint(text.replace('\n42\n', '\n43\n'), verifier), /no valid signature/);
  const other = parseVerifierKey(parseSignerKey(generateSignerKey('example.org/log')).verifierKey);
  t.throws(() => openCheckpoint(text, other), /no valid signature/);
  t.throws(() => signCheckpoint(signer, { origin: 'elsewhere.org/log', treeSize: 1, rootHash: root }), /origin/);
  // A verifier key whose ID does not match its key is refused.
  const [name, id, key] = [
    signer.name,
    signer.verifierKey.split('+')[1]!,
    signer.verifierKey.split('+').slice(2).join('+'),
  ];
  const wrongId = ((parseInt(id, 16) ^ 1) >>> 0).toString(16).padStart(8, '0');
  t.throws(() => parseVerifierKey(`${name}+${wrongId}+${key}`), /does not match/);
});

t.test('a witness cosignature', async (t) => {
  const witness = parseSignerKey(generateSignerKey('witness.example/w', COSIGNATURE_TYPE));
  const verifier = parseVerifierKey(witness.verifierKey);
  t.equal(verifier.type, COSIGNATURE_TYPE);
  const body = checkpointBody({ origin: 'example.org/log', treeSize: 7, rootHash: root });
  t.equal(cosignedMessage(body, 1679315147).toString(), `cosignature/v1\ntime 1679315147\n${body}`);
  const line = cosign(witness, body, 1679315147);
  const [sig] = parseNote(`${body}\n${line}\n`).signatures;
  t.equal(sig!.payload.length, 72, 'a timestamp of 8 bytes, then the signature');
  t.equal(sig!.payload.readBigUInt64BE(0), 1679315147n);
  t.equal(verifyCosignature(body, sig!, verifier), 1679315147);
  t.equal(verifyCosignature(body.replace('\n7\n', '\n8\n'), sig!, verifier), undefined, 'over another body it fails');
  const tampered = Buffer.from(sig!.payload);
  tampered.writeBigUInt64BE(1679315148n, 0);
  t.equal(verifyCosignature(body, { ...sig!, payload: tampered }, verifier), undefined, 'another time fails');
});
