/**
 * The real process: SIGTERM during a burst of posts finishes what was taken
 * in, closes the store, and loses no acknowledged event. Also: production
 * refuses to start without keys, and says why in one line.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { generateSignerKey } from '../../src/log/note.js';
import { newId } from '../support/fixtures.js';
import { agent, freePort, request as send, startService, waitReady } from '../support/service-process.js';

const KEY = 'shutdown-test-recorder-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
const start = (env: Record<string, string>) => startService(env);
const request = (port: number, method: string, url: string, body?: unknown) => send(port, method, url, body, auth);
const ready = (port: number, child: ChildProcess) => waitReady(port, child);

t.test('SIGTERM mid-burst loses no acknowledged event', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-shutdown-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  // Production signs the log with a key it is given (src/log).
  const signingKey = path.join(dir, 'log-signing.key');
  writeFileSync(signingKey, generateSignerKey('shutdown.test/log'), { mode: 0o600 });
  const env = {
    NODE_ENV: 'production',
    SIGNING_KEY_FILE: signingKey,
    DATA_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    API_KEYS: `burst:recorder:${KEY}`,
  };
  const first = start(env);
  t.teardown(() => first.child.kill('SIGKILL'));
  await ready(port, first.child);

  const acknowledged: string[] = [];
  let refused = 0;
  let signalled = false;
  const send = async (i: number) => {
    const id = newId();
    const event = {
      id,
      type: 'PartyRegistered',
      occurredAt: '2025-01-01',
      data: { partyId: `burst-${i}`, kind: 'other', name: `Burst ${i}` },
    };
    try {
      const response = await request(port, 'POST', '/v1/events', event);
      if (response.status === 201 || response.status === 200) acknowledged.push(id);
      else refused++;
    } catch {
      refused++;
    }
    if (!signalled && acknowledged.length >= 40) {
      signalled = true;
      first.child.kill('SIGTERM');
    }
  };
  // 16 clients posting one event after another.
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < 600) await send(next++);
    }),
  );
  const code = await first.exited;
  t.ok(signalled, 'SIGTERM was sent during the burst');
  t.equal(code, 0, `the service stopped cleanly (${first.output().trim().split('\n').slice(-2).join(' | ')})`);
  t.ok(acknowledged.length >= 40, `${acknowledged.length} events acknowledged`);
  t.ok(refused > 0, `${refused} requests refused or cut off after the signal`);

  const second = start(env);
  t.teardown(() => second.child.kill('SIGKILL'));
  await ready(port, second.child);
  const stored = new Set<string>();
  let after = 0;
  for (;;) {
    const page = JSON.parse(
      (await request(port, 'GET', `/v1/events?type=PartyRegistered&limit=1000&after=${after}`)).body,
    ) as {
      events: { id: string; recordedBy: string }[];
      next: number | null;
    };
    for (const e of page.events) stored.add(e.id);
    if (page.next === null) break;
    after = page.next;
  }
  const lost = acknowledged.filter((id) => !stored.has(id));
  t.same(lost, [], 'every acknowledged event is stored after a restart');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
  agent.destroy();
});

t.test('production refuses to start without keys, one line per problem', async (t) => {
  const run = start({
    NODE_ENV: 'production',
    PORT: 'eighty',
    RATE_LIMIT_PER_MINUTE: '-1',
    API_KEYS: '',
    API_KEYS_FILE: '',
  });
  const code = await run.exited;
  t.equal(code, 2, 'exit code 2: configuration');
  const lines = run.output().trim().split('\n');
  t.match(lines[0], /invalid configuration/);
  t.ok(
    lines.some((l) => /PORT: must be a whole number/.test(l)),
    'PORT',
  );
  t.ok(
    lines.some((l) => /RATE_LIMIT_PER_MINUTE: must be at least 0/.test(l)),
    'RATE_LIMIT_PER_MINUTE',
  );
  t.ok(
    lines.some((l) => /API_KEYS: production needs API keys/.test(l)),
    'keys',
  );
});
