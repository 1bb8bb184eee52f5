/**
 * Configuration from the environment, validated once at start. Every problem
 * is reported on its own line so an operator can fix them all in one go.
 */
import { z } from 'zod';
import { DEFAULT_DATA_DIR } from './store/data-dir.js';

const boolean = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback)
    .transform((v) => v === 'true');

const wholeNumber = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

const Config = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535, 3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  EVENTSTORE_CONNECTION_STRING: z
    .string()
    .regex(/^esdb(\+discover)?:\/\//, 'must start with esdb:// or esdb+discover://')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_ON_EMPTY: boolean('true'),
  /** `name:role:key` entries, comma-separated. */
  API_KEYS: z.string().optional(),
  /** A JSON file of keys (hashed or plain), re-read when it changes. */
  API_KEYS_FILE: z.string().min(1).optional(),
  /** Comma-separated origins allowed by CORS, or `*`; empty: no CORS headers. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine((origins) => origins.every((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o)), {
      message: 'must be * or a comma-separated list of origins like https://dash.example.org (no path)',
    }),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000, 600),
  BODY_LIMIT_BYTES: wholeNumber(1024, 100 * 1024 * 1024, 4 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(100, 600_000, 10_000),
  /** The longest a request waits for the store before it is answered with a 503. */
  STORE_TIMEOUT_MS: wholeNumber(100, 600_000, 5_000),
  /** How long a start keeps trying to reach a store that is down before it gives up. */
  STORE_CONNECT_TIMEOUT_MS: wholeNumber(0, 3_600_000, 30_000),
  TRUST_PROXY: boolean('false'),
  /** The log's Ed25519 signing key (`PRIVATE+KEY+<name>+…`); required in production (src/log/keys.ts). */
  SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** Witnesses' cosignature verifier keys (`<name>+<id>+<base64>`), comma-separated. */
  WITNESS_KEYS: z.string().optional(),
});

export type Config = z.infer<typeof Config>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = Config.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  // Checked apart from the schema so it is reported together with every other problem.
  if (present.NODE_ENV === 'production' && !present.API_KEYS && !present.API_KEYS_FILE)
    problems.push('API_KEYS: production needs API keys: set API_KEYS or API_KEYS_FILE (no default keys in production)');
  if (present.NODE_ENV === 'production' && !present.SIGNING_KEY_FILE)
    problems.push('SIGNING_KEY_FILE: production needs the log signing key (no development key in production)');
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}
