/** Batched durable POST /v1/events: arrays of 100 events; events/s = requests/s × 100. */
import { batchBodies } from '../lib/bodies.js';
import { writeLoadScenario } from './write-load.js';

export const BATCH_SIZE = 100;

export const batch = writeLoadScenario({
  id: 'batch',
  title: `POST batches of ${BATCH_SIZE}`,
  bodies: batchBodies(4, BATCH_SIZE),
  eventsPerRequest: BATCH_SIZE,
  targetEventsPerSec: 50_000,
  timeoutS: 30,
});
