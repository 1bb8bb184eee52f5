/**
 * The service asks for an API key (API_KEYS: `name:role:key`). The bench
 * makes one recorder key per run, starts the service with it and with rate
 * limiting off (RATE_LIMIT_PER_MINUTE=0: a load test is not abuse), and sends
 * it on every request, to the baselines too, so both get the same bytes.
 * A service without auth ignores both.
 */
import { randomBytes } from 'node:crypto';

export const BENCH_KEY = `mssk_${randomBytes(32).toString('base64url')}`;

export const serviceAuthEnv = (): Record<string, string> => ({
  API_KEYS: `bench:recorder:${BENCH_KEY}`,
  RATE_LIMIT_PER_MINUTE: '0',
});

export const authHeaders = (): Record<string, string> => ({ authorization: `Bearer ${BENCH_KEY}` });
