/**
 * Every scenario, in the order `npm run bench` runs them. To add one, write a
 * module exporting a Scenario (see bench/lib/types.ts) and list it here; its
 * id is what `--only` takes.
 */
import type { Scenario } from '../lib/types.js';
import { auth } from './auth.js';
import { batch } from './batch.js';
import { dashboard } from './dashboard.js';
import { get } from './get.js';
import { eventstoredb } from './eventstoredb.js';
import { layers } from './layers.js';
import { log, logMillion } from './log.js';
import { million } from './million.js';
import { post } from './post.js';
import { revalidate } from './revalidate.js';
import { sqliteCeiling } from './sqlite-ceiling.js';
import { tenMillion } from './ten-million.js';

export const scenarios: Scenario[] = [
  post,
  batch,
  get,
  auth,
  revalidate,
  sqliteCeiling,
  layers,
  million,
  tenMillion,
  eventstoredb,
  dashboard,
  log,
  logMillion,
];
