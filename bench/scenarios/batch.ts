/** Batched durable POST /v1/events: arrays of 100 events, beside the fair peer and the floor; events/s = requests/s × 100. */
import { batchBodies } from '../lib/bodies.js';
import { writeLoadScenario } from './write-load.js';

export const BATCH_SIZE = 100;

export const batch = writeLoadScenario({
  id: 'batch',
  title: `POST batches of ${BATCH_SIZE}`,
  bodies: batchBodies(4, BATCH_SIZE),
  eventsPerRequest: BATCH_SIZE,
  fairTargets: { eventsPerSec: 0.8, p99: 2 },
  timeoutS: 30,
});
