/**
 * Faults around the ledger, as an operator meets them: a second process on
 * one data directory, bad starts, a read-only store and a full disk. Each is
 * an answer (an exit code and one line, or a problem and /ready's reason),
 * never a raw stack, a hang, or a lost event.
 *
 * The read-only and full-disk cases use a real small filesystem (tmpfs),
 * which needs root and mount; they skip, saying so, where that is not allowed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { newId } from '../support/fixtures.js';
import { readOnlyFile } from '../support/read-only-file.js';
import {
  agent,
  freePort,
  request,
  signingKeyFile,
  startService,
  waitReady,
  type ServiceProcess,
} from '../support/service-process.js';

const KEY = 'faults-test-recorder-key-0123456789abcdef01';
const auth = { authorization: `Bearer ${KEY}` };
t.teardown(() => agent.destroy());

const keyDir = mkdtempSync(path.join(os.tmpdir(), 'mss-faults-key-'));
t.teardown(() => rmSync(keyDir, { recursive: true, force: true }));
const SIGNING_KEY_FILE = signingKeyFile(keyDir);

const envFor = (dir: string, port: number) => ({
  NODE_ENV: 'production',
  SIGNING_KEY_FILE,
  DATA_DIR: dir,
  PORT: String(port),
  HOST: '127.0.0.1',
  API_KEYS: `faults:recorder:${KEY}`,
});

const party = (i: number | string) => ({
  id: newId(),
  type: 'PartyRegistered',
  occurredAt: '2025-01-01',
  data: { partyId: `faults-${i}`, kind: 'other', name: `Faults ${i}` },
});

const lastLines = (run: ServiceProcess) => run.output().trim().split('\n').slice(-3).join(' | ');

function tempDir(t: Test, prefix: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function running(t: Test, env: Record<string, string>, port: number, ready = 200) {
  const run = startService(env);
  t.teardown(() => run.child.kill('SIGKILL'));
  await waitReady(port, run.child, ready);
  return run;
}

t.test('a second service on the same DATA_DIR refuses to start, naming the holder; replay still reads', async (t) => {
  const dir = tempDir(t, 'mss-faults-lock-');
  const port = await freePort();
  const first = await running(t, envFor(dir, port), port);
  const second = startService(envFor(dir, await freePort()));
  t.equal(await second.exited, 2, 'exit code 2');
  const output = second.output().trim();
  t.match(output, new RegExp(`another MSS Ledger process \\(PID ${first.child.pid}\\) is using`), 'names the holder');
  t.notMatch(output, /development keys|at .*\.ts:\d+/, 'no keys printed, no stack');
  t.equal((await request(port, 'POST', '/v1/events', party('after-refusal'), auth)).status, 201, 'the first serves on');

  const replay = startService({ DATA_DIR: dir, LOG_LEVEL: 'silent' }, 'src/cli/replay.ts', [
    '--as-of',
    '2025-06-01',
    '--projection',
    'personnel',
  ]);
  t.equal(await replay.exited, 0, `replay reads beside it (${lastLines(replay)})`);
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0, 'the holder stops cleanly');
  const third = await running(t, envFor(dir, port), port);
  t.ok(third.child.pid, 'once it has stopped, another may start');
  third.child.kill('SIGTERM');
  await third.exited;
});

t.test('bad starts: one line, exit 2, nothing created', async (t) => {
  const base = tempDir(t, 'mss-faults-start-');

  t.test('DATA_DIR is a file', async (t) => {
    const file = path.join(base, 'not-a-dir');
    writeFileSync(file, 'x');
    const run = startService(envFor(file, await freePort()));
    t.equal(await run.exited, 2);
    t.match(run.output().trim(), /^cannot start: DATA_DIR .*not-a-dir is a file, not a directory/m);
    t.equal(run.output().trim().split('\n').length, 1, 'one line');
  });

  t.test('the port is taken', async (t) => {
    const holder = tempDir(t, 'mss-faults-port-');
    const port = await freePort();
    const first = await running(t, envFor(holder, port), port);
    const dir = path.join(base, 'never-created');
    const run = startService({ ...envFor(dir, port), NODE_ENV: 'development', API_KEYS: '' });
    t.equal(await run.exited, 2);
    t.match(run.output().trim(), new RegExp(`^cannot start: port ${port} on 127.0.0.1 is already in use`, 'm'));
    t.notMatch(run.output(), /development keys/, 'no development keys were printed');
    t.notOk(existsSync(dir), 'DATA_DIR was not created');
    first.child.kill('SIGTERM');
    await first.exited;
  });

  t.test('a bad configuration', async (t) => {
    const run = startService({ ...envFor(path.join(base, 'also-never'), await freePort()), STORE_TIMEOUT_MS: '0' });
    t.equal(await run.exited, 2);
    t.match(run.output(), /STORE_TIMEOUT_MS: must be at least 100/);
    t.notOk(existsSync(path.join(base, 'also-never')), 'DATA_DIR was not created');
  });
});

/** A tmpfs of `megabytes`, unmounted at teardown; undefined where mounting is not allowed. */
function smallDisk(t: Test, megabytes: number): string | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-faults-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const remount = (dir: string, mode: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${mode}`, dir]);

/** Fills the disk holding `dir` to the last byte. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
  } catch {
    /* dd stops with "no space left": that is the point */
  }
  return filler;
}

const problemOf = (body: string) => JSON.parse(body) as { type: string; status: number; detail: string };

t.test('a read-only store starts, serves reads and refuses writes with a problem', async (t) => {
  const disk = smallDisk(t, 64);
  if (!disk) return t.plan(0, 'cannot mount a tmpfs here (needs root): read-only store not tried');
  const dir = path.join(disk, 'data');
  mkdirSync(dir);
  const port = await freePort();
  const writer = await running(t, envFor(dir, port), port);
  t.equal((await request(port, 'POST', '/v1/events', party('before-ro'), auth)).status, 201);
  writer.child.kill('SIGTERM');
  t.equal(await writer.exited, 0);
  remount(disk, 'ro');

  const reader = await running(t, envFor(dir, port), port, 503);
  const ready = JSON.parse((await request(port, 'GET', '/ready')).body) as { problems: string[] };
  t.match(ready.problems.join(' '), /read-only/, `/ready says why: ${ready.problems.join('; ')}`);
  t.notMatch(ready.problems.join(' '), /signed checkpoint/, 'and does not call the signed history an unsigned tail');
  const checkpoint = await request(port, 'GET', '/v1/log/checkpoint', undefined, auth);
  t.equal(checkpoint.status, 200, 'the checkpoint signed before is served');
  t.equal(checkpoint.body.split('\n')[1], '40', 'covering the seeds and the event recorded before');
  const proof = await request(port, 'GET', '/v1/log/proof/inclusion?position=40&treeSize=40', undefined, auth);
  t.equal(proof.status, 200, 'with proofs against it');
  const inventory = await request(port, 'GET', '/v1/inventory', undefined, auth);
  t.equal(inventory.status, 200, 'reads are served');
  const events = JSON.parse((await request(port, 'GET', '/v1/events?type=PartyRegistered', undefined, auth)).body) as {
    events: { data: { partyId: string } }[];
  };
  t.ok(
    events.events.some((e) => e.data.partyId === 'faults-before-ro'),
    'with everything recorded before',
  );
  const post = await request(port, 'POST', '/v1/events', party('during-ro'), auth);
  t.equal(post.status, 503);
  t.equal(post.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(problemOf(post.body).type, 'urn:mss-ledger:fault:store-read-only');
  t.ok(Number(post.headers['retry-after']) > 0, 'with Retry-After');
  reader.child.kill('SIGTERM');
  t.equal(await reader.exited, 0, 'stops cleanly without writing a checkpoint');
});

t.test('a read-only store file: /ready says so from the start, and writes are refused with a problem', async (t) => {
  const dir = tempDir(t, 'mss-faults-ro-file-');
  const port = await freePort();
  const writer = await running(t, envFor(dir, port), port);
  t.equal((await request(port, 'POST', '/v1/events', party('before-ro-file'), auth)).status, 201);
  writer.child.kill('SIGTERM');
  t.equal(await writer.exited, 0);
  if (!readOnlyFile(t, path.join(dir, 'ledger.sqlite')))
    return t.plan(0, 'cannot make the file read-only here (a bind mount needs root and mount)');

  const reader = await running(t, envFor(dir, port), port, 503);
  const ready = JSON.parse((await request(port, 'GET', '/ready')).body) as { problems: string[] };
  t.match(
    ready.problems.join(' '),
    /read-only.*ledger\.sqlite cannot be written/,
    `/ready says why: ${ready.problems}`,
  );
  t.equal((await request(port, 'GET', '/v1/inventory', undefined, auth)).status, 200, 'reads are served');
  const post = await request(port, 'POST', '/v1/events', party('during-ro-file'), auth);
  t.equal(post.status, 503);
  t.equal(problemOf(post.body).type, 'urn:mss-ledger:fault:store-read-only');
  reader.child.kill('SIGTERM');
  t.equal(await reader.exited, 0);
});

t.test(
  'a full disk: 507 and /ready 503, recovery without a restart, a clean stop, a start that serves reads',
  async (t) => {
    const disk = smallDisk(t, 48);
    if (!disk) return t.plan(0, 'cannot mount a tmpfs here (needs root): full disk not tried');
    const dir = path.join(disk, 'data');
    mkdirSync(dir);
    const port = await freePort();
    const service = await running(t, envFor(dir, port), port);

    const filler = fill(disk);
    const refused = await request(port, 'POST', '/v1/events', party('full'), auth);
    t.equal(refused.status, 507, `the write is refused: ${refused.body}`);
    t.equal(problemOf(refused.body).type, 'urn:mss-ledger:fault:store-full');
    t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After');
    const notReady = await request(port, 'GET', '/ready');
    t.equal(notReady.status, 503, '/ready says not ready');
    t.match(notReady.body, /full/);
    t.equal((await request(port, 'GET', '/v1/inventory', undefined, auth)).status, 200, 'reads go on');

    rmSync(filler);
    await waitReady(port, service.child);
    t.pass('/ready is 200 again once there is room');
    const accepted = await request(port, 'POST', '/v1/events', party('full'), auth);
    t.equal(accepted.status, 201, 'the same event is accepted now');

    fill(disk);
    service.child.kill('SIGTERM');
    t.equal(await service.exited, 0, `SIGTERM on a full disk stops cleanly (${lastLines(service)})`);
    t.same(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );

    const onFull = await running(t, envFor(dir, port), port, 503);
    const events = await request(port, 'GET', '/v1/events?type=PartyRegistered&limit=1000', undefined, auth);
    t.equal(events.status, 200, 'a start on a full disk serves reads');
    t.match(events.body, /faults-full/, 'including what was recorded before');
    t.match((await request(port, 'GET', '/ready')).body, /full/, '/ready says the disk is full');
    fill(disk); // what the stop freed (the WAL's files) is taken again
    const write = await request(port, 'POST', '/v1/events', party('still-full'), auth);
    t.equal(write.status, 507, 'writes are refused with a problem');
    onFull.child.kill('SIGTERM');
    t.equal(await onFull.exited, 0);
  },
);
