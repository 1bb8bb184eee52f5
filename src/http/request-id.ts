/**
 * Request ids, in a module of their own: the boot server (answering while the ledger opens) names
 * its requests as the service does, without loading the whole HTTP app before the ledger starts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Unique across restarts and replicas (a random prefix per process), cheap per request (a counter). */
const ID_PREFIX = randomUUID().slice(0, 13);
let idCounter = 0;

/** A caller's own request id when it is sane, else a fresh one: never a log-injection vector. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  if (typeof given === 'string' && REQUEST_ID.test(given)) return given;
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${ID_PREFIX}-${idCounter.toString(36)}`;
}
