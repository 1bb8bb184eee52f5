/**
 * The service's entry point. The files a restart reads first (the checkpoints and the log's saved
 * tree) start loading on the thread pool before anything else, while this thread loads the
 * service's modules (src/early-reads.ts); then the service starts (src/serve.ts).
 */
import { startEarlyReads } from './early-reads.js';

const early = startEarlyReads(process.env);
const { serve } = await import('./serve.js');
serve(early);
