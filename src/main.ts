/**
 * The service's entry point. The files a restart reads first (the checkpoints and the log's saved
 * tree) start loading on the thread pool before anything else, while this thread loads the
 * service's modules (src/early-reads.ts); then the service starts (src/serve.ts).
 *
 * The reads are held by a function's scope, not the module's: a module's top-level bindings live as
 * long as the process, and so would the checkpoints' bytes the start has finished with.
 *
 * Before either, one tick object is kept for good, so that `process.nextTick` stays fast on Node 20
 * after the start's full collections (src/tick-shape.ts).
 */
import { startEarlyReads } from './early-reads.js';
import { keepTickShape } from './tick-shape.js';

async function start(): Promise<void> {
  await keepTickShape();
  const early = startEarlyReads(process.env);
  const { serve } = await import('./serve.js');
  serve(early);
}

await start();
