/**
 * The bench's GET baselines (bench/baselines/bare-fastify.ts): the floor answers our bytes with its
 * content type alone; the like-for-like route answers the same bytes with our answer's header block
 * too. A ratio against either is only as honest as what the route really sends.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { headerBlock, writeHeaderBlock } from '../../bench/lib/header-block.js';

const root = path.resolve(import.meta.dirname, '..', '..');

/** A header block as one of our answers carries it, with what Node writes itself. */
const answered = new Headers([
  ['x-request-id', '0228401f-f5f6-3'],
  ['content-type', 'application/json; charset=utf-8'],
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
  ['x-frame-options', 'DENY'],
  ['etag', '"39"'],
  ['x-ledger-position', '39'],
  ['content-length', '17'],
  ['date', 'Thu, 03 Dec 2026 05:17:15 GMT'],
  ['connection', 'keep-alive'],
  ['keep-alive', 'timeout=72'],
]);

t.test('the header block keeps what our service set, and leaves what Node writes itself', async (t) => {
  t.same(headerBlock(answered), [
    ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
    ['etag', '"39"'],
    ['x-frame-options', 'DENY'],
    ['x-ledger-position', '39'],
    ['x-request-id', '0228401f-f5f6-3'],
  ]);
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** Starts the baseline with `env`, answers its GET /v1/inventory, stops it. */
async function bareAnswer(t: Test, env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baselines/bare-fastify.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: 'ignore',
  });
  t.teardown(() => void child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}/v1/inventory`;
  for (let tries = 0; ; tries++) {
    try {
      const response = await fetch(url);
      const body = Buffer.from(await response.arrayBuffer());
      child.kill('SIGTERM');
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (tries > 300) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

t.test(
  'the like-for-like route sends our bytes with our headers; the floor, with its content type alone',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-bench-baseline-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const body = Buffer.from('{"holders":[],"position":39}');
    writeFileSync(path.join(dir, 'body.json'), body);
    t.equal(writeHeaderBlock(path.join(dir, 'headers.json'), answered), 5, 'five headers copied');
    const env = { BODY_FILE: path.join(dir, 'body.json'), CONTENT_TYPE: 'application/json; charset=utf-8' };

    const likeForLike = await bareAnswer(t, { ...env, HEADERS_FILE: path.join(dir, 'headers.json') });
    t.equal(likeForLike.status, 200);
    t.ok(likeForLike.body.equals(body), 'the same bytes');
    for (const [name, value] of headerBlock(answered)) t.equal(likeForLike.headers.get(name), value, name);
    t.equal(likeForLike.headers.get('content-type'), env.CONTENT_TYPE);

    const floor = await bareAnswer(t, env);
    t.ok(floor.body.equals(body), 'the floor: the same bytes');
    for (const [name] of headerBlock(answered)) t.equal(floor.headers.get(name), null, `the floor sends no ${name}`);
  },
);
