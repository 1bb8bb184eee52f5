/**
 * Baseline: bare Fastify + better-sqlite3 with group commit, the least a
 * durable HTTP append can cost here. POST /v1/events inserts one JSON row per
 * event (a body is one event or an array of them); inserts that arrive within
 * one setImmediate tick are committed in one transaction (WAL,
 * synchronous=FULL: one fsync per group), then every request in the group is
 * answered. No validation, no rules, no projection.
 *
 * Env: PORT, HOST, DATA_DIR.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

const db = new Database(path.join(required('DATA_DIR'), 'bare.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, data TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO events (data) VALUES (?)');

interface Pending {
  events: unknown[];
  resolve(position: number): void;
  reject(error: unknown): void;
}
let queue: Pending[] = [];
let scheduled = false;
const stats = { commits: 0, rows: 0 };

const commit = db.transaction((group: Pending[]) =>
  group.map((p) => {
    let position = 0;
    for (const event of p.events) position = Number(insert.run(JSON.stringify(event)).lastInsertRowid);
    return position;
  }),
);

function flush(): void {
  scheduled = false;
  const group = queue;
  queue = [];
  try {
    const positions = commit(group);
    stats.commits++;
    for (const p of group) stats.rows += p.events.length;
    group.forEach((p, i) => p.resolve(positions[i]!));
  } catch (error) {
    for (const p of group) p.reject(error);
  }
}

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.post('/v1/events', async (request, reply) => {
  const events = Array.isArray(request.body) ? (request.body as unknown[]) : [request.body];
  const position = await new Promise<number>((resolve, reject) => {
    queue.push({ events, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return reply.code(201).send({ position });
});
app.get('/ready', (_request, reply) => {
  reply.send({ status: 'ready' });
});
// Not part of the baseline's work: how many rows each commit carried, for the bench's report.
app.get('/stats', (_request, reply) => {
  reply.send(stats);
});

await app.listen({ port: Number(required('PORT')), host: process.env.HOST ?? '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(
    signal,
    () =>
      void app.close().then(() => {
        db.close();
        process.exit(0);
      }),
  );

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}
