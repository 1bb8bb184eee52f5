/**
 * The in-process EventStoreDB protocol double (test/eventstoredb-double/server.ts) in a process of
 * its own, so the adapter under test and the "server" do not share one event loop, as with a real
 * EventStoreDB. GET /ready answers its connection string and counts. It is NOT EventStoreDB: one
 * process, memory only, no disk, no fsync.
 *
 * Env: PORT, HOST (for /ready), BATCH_APPEND=false to stop advertising BatchAppend.
 */
import http from 'node:http';
import { startEventStoreDbDouble } from '../../test/eventstoredb-double/server.js';

const double = await startEventStoreDbDouble({ batchAppend: process.env.BATCH_APPEND !== 'false' });
const server = http.createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(
    JSON.stringify({
      connectionString: double.connectionString,
      records: double.log.records.length,
      calls: Object.fromEntries(double.calls),
    }),
  );
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.close();
    void double.close().then(() => process.exit(0));
  });
