/**
 * Kill -9 a process in the middle of appending, then check what a restart
 * finds: every acknowledged event, gapless positions, whole batches only.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { openSqliteStore } from '../../src/store/sqlite.js';

// tsx as a loader, not node_modules/.bin/tsx: the CLI runs the script in a grandchild that SIGKILL would not reach.
const tsx = import.meta.resolve('tsx');
const child = join(import.meta.dirname, 'fixtures/append-forever.ts');
const ACKED_BEFORE_KILL = 300;
const ROUNDS = 3;

interface Round {
  intents: Map<string, string[]>;
  acked: Set<string>;
}

/** Runs the child until it acknowledged enough events, SIGKILLs it, and returns everything it printed. */
function runAndKill(file: string): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', tsx, child, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const round: Round = { intents: new Map(), acked: new Set() };
    let ackedEvents = 0;
    const timeout = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`child acknowledged only ${ackedEvents} events in time`));
    }, 15_000);
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const [kind, key, ids] = line.split(' ');
      if (kind === 'intent') round.intents.set(key!, ids!.split(','));
      if (kind === 'ack') {
        round.acked.add(key!);
        ackedEvents += round.intents.get(key!)!.length;
        if (ackedEvents >= ACKED_BEFORE_KILL && proc.exitCode === null) proc.kill('SIGKILL');
      }
    });
    // 'close' waits for stdout to drain: acks printed just before the kill still count.
    proc.on('close', (code, signal) => {
      clearTimeout(timeout);
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself: code ${code}, signal ${signal}`));
      else resolve(round);
    });
  });
}

t.test('sqlite: SIGKILL during appends loses no acknowledged event and no half batch', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mss-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'events.db');
  const intended = new Map<string, string>(); // event id -> batch key, over all rounds

  for (let round = 1; round <= ROUNDS; round++) {
    const { intents, acked } = await runAndKill(file);
    t.ok(intents.size > acked.size, `round ${round}: killed with appends in flight`);
    for (const [key, ids] of intents) for (const id of ids) intended.set(id, key);

    const store = openSqliteStore({ file });
    const all = await store.readAll();
    const stored = new Set(all.map((e) => e.id));
    const missing = [...acked].flatMap((key) => intents.get(key)!.filter((id) => !stored.has(id)));
    t.same(missing, [], `round ${round}: every acknowledged event survived (${acked.size} appends acknowledged)`);
    t.ok(
      all.every((e, i) => e.globalPosition === i + 1),
      `round ${round}: positions are 1..${all.length} without gaps`,
    );
    t.equal(await store.headPosition(), all.length);
    t.same(
      all.filter((e) => !intended.has(e.id)).map((e) => e.id),
      [],
      `round ${round}: nothing stored that was never sent`,
    );

    // Every stored event carries its batch key and size: a batch is stored whole or not at all.
    const perBatch = new Map<string, { size: number; stored: number }>();
    for (const e of all) {
      const { batch, size } = e.data as { batch: string; size: number };
      const seen = perBatch.get(batch) ?? { size, stored: 0 };
      perBatch.set(batch, { size, stored: seen.stored + 1 });
    }
    const torn = [...perBatch].filter(([, b]) => b.stored !== b.size);
    t.same(torn, [], `round ${round}: every batch is all-or-nothing (${perBatch.size} batches)`);

    const revisions = new Map<string, number[]>();
    for (const e of all) revisions.set(e.stream, [...(revisions.get(e.stream) ?? []), e.streamRevision]);
    t.ok(
      [...revisions.values()].every((r) => r.every((rev, i) => rev === i)),
      `round ${round}: stream revisions are gapless`,
    );

    const after = await store.append(
      `crash-check-${round}`,
      [
        {
          id: `check-${round}`,
          type: 'CrashProbe',
          schemaVersion: 1,
          occurredAt: new Date().toISOString(),
          recordedBy: 'crash-test',
          data: { batch: `check-${round}`, size: 1 },
          metadata: { occurredPrecision: 'instant' },
        },
      ],
      'no-stream',
    );
    t.equal(after.lastPosition, all.length + 1, `round ${round}: the store accepts new appends`);
    intended.set(`check-${round}`, `check-${round}`);
    await store.close();
  }
});
