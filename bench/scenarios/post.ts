/** Single-event durable POST /v1/events: one new DonationReceived per request, beside the fair peer and the floor. */
import { singleBodies } from '../lib/bodies.js';
import { writeLoadScenario } from './write-load.js';

export const post = writeLoadScenario({
  id: 'post',
  title: 'POST one event',
  bodies: singleBodies(16),
  eventsPerRequest: 1,
  fairTargets: { eventsPerSec: 0.9, cpuPerEvent: 1.3 },
});
