/**
 * The in-process EventStoreDB protocol double (test/eventstoredb-double/server.ts) in a process of
 * its own, so the adapter under test and the "server" do not share one event loop, as with a real
 * EventStoreDB. GET / answers its connection string and counts (GET /?reset=1 also starts the
 * counts afresh). It is NOT EventStoreDB: one process, memory only, no disk, no fsync.
 *
 * Env: PORT, HOST (for /ready), BATCH_APPEND=false to stop advertising BatchAppend, PRELOAD=n to
 * start with n ledger events in $all (in the adapter's record layout, as an earlier run leaves them).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { startEventStoreDbDouble } from '../../test/eventstoredb-double/server.js';
import { EXPECTED_ANY } from '../../test/eventstoredb-double/log.js';

const double = await startEventStoreDbDouble({ batchAppend: process.env.BATCH_APPEND !== 'false' });
const preload = Number(process.env.PRELOAD ?? 0);
const metadata = Buffer.from(
  JSON.stringify({
    occurredPrecision: 'instant',
    occurredAt: '2025-02-10T14:00:00.000Z',
    recordedBy: 'bench',
    schemaVersion: 1,
  }),
);
for (let done = 0; done < preload; done += 5000) {
  const batch = Array.from({ length: Math.min(5000, preload - done) }, (_, i) => ({
    id: randomUUID(),
    type: 'PartyRegistered',
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify({ partyId: `p-${done + i}`, kind: 'donor', name: `P ${done + i}` })),
    metadata,
  }));
  double.log.write('ledger', EXPECTED_ANY, batch);
}
const server = http.createServer((request, response) => {
  response.setHeader('content-type', 'application/json');
  const counts = request.url?.includes('reset=1') ? double.resetCounts() : double.counts;
  response.end(
    JSON.stringify({
      connectionString: double.connectionString,
      records: double.log.records.length,
      calls: Object.fromEntries(double.calls),
      counts,
    }),
  );
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.close();
    void double.close().then(() => process.exit(0));
  });
