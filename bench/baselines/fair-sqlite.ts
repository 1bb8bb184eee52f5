/**
 * Baseline: the fair peer of our write path, "the same work as ours minus the
 * ledger". A Fastify route that does what any careful durable append service
 * does, and nothing of what a ledger adds (rules, the book, projections, the
 * log):
 *
 * - validates every event of the body with zod, against the very schema our
 *   route uses (`IncomingEvent`); a body is one event or an array of them, and a
 *   bad one is answered 400;
 * - gives each event a UUIDv7 id (or keeps the client's) and stores it in one
 *   row with a UNIQUE index on the id (WAL, `synchronous=FULL`);
 * - group-commits: the bodies that arrive within one `setImmediate` tick are
 *   inserted in one transaction (one fsync), then each request is answered 201
 *   with a receipt of its own events' ids and positions.
 *
 * `bare-sqlite.ts` stays beside it as the floor: no validation, no ids, no index.
 *
 * Env: PORT, HOST, DATA_DIR.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { IncomingEvent } from '../../events/index.js';

const db = new Database(path.join(required('DATA_DIR'), 'fair.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  type        TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  data        TEXT NOT NULL
)`);
const insert = db.prepare('INSERT INTO events (id, type, occurred_at, recorded_at, data) VALUES (?, ?, ?, ?, ?)');

interface Receipt {
  id: string;
  type: string;
  globalPosition: number;
  occurredAt: string;
  recordedAt: string;
}
interface Pending {
  events: IncomingEvent[];
  resolve(receipts: Receipt[]): void;
  reject(error: unknown): void;
}
let queue: Pending[] = [];
let scheduled = false;
const stats = { commits: 0, rows: 0 };

const commit = db.transaction((group: Pending[]) => {
  const recordedAt = new Date().toISOString();
  return group.map((p) =>
    p.events.map((event): Receipt => {
      const id = event.id ?? uuidv7();
      const position = Number(
        insert.run(id, event.type, event.occurredAt, recordedAt, JSON.stringify(event)).lastInsertRowid,
      );
      return { id, type: event.type, globalPosition: position, occurredAt: event.occurredAt, recordedAt };
    }),
  );
});

function flush(): void {
  scheduled = false;
  const group = queue;
  queue = [];
  try {
    const receipts = commit(group);
    stats.commits++;
    for (const p of group) stats.rows += p.events.length;
    group.forEach((p, i) => p.resolve(receipts[i]!));
  } catch (error) {
    for (const p of group) p.reject(error);
  }
}

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.post('/v1/events', async (request, reply) => {
  const items = Array.isArray(request.body) ? (request.body as unknown[]) : [request.body];
  const events: IncomingEvent[] = [];
  for (const item of items) {
    const parsed = IncomingEvent.safeParse(item);
    if (!parsed.success) return reply.code(400).send({ issues: parsed.error.issues });
    events.push(parsed.data);
  }
  const receipts = await new Promise<Receipt[]>((resolve, reject) => {
    queue.push({ events, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return reply
    .code(201)
    .send({ replayed: false, position: receipts[receipts.length - 1]!.globalPosition, events: receipts });
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
