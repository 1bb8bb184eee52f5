/**
 * The service's logger: pino, with every request's id (`reqId`) on each line
 * Fastify writes for it, and secrets redacted whatever a serializer or a
 * debug line happens to include. JSON lines for machines; pino-pretty when a
 * person reads them (NODE_ENV=development, or stdout is a terminal).
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type Pretty from 'pino-pretty';

// Loaded only when a person reads the logs: a service writing JSON (production, a container, a
// pipe) does not load it at every start.
const prettyStream = (options: Pretty.PrettyOptions) =>
  (createRequire(import.meta.url)('pino-pretty') as typeof Pretty)(options);

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'request.headers.authorization',
  'authorization',
  'res.headers["set-cookie"]',
];

/** Whether a person reads the logs: development, or a terminal on stdout. Pipes, files and containers get JSON. */
export const prettyLogs = (env: { NODE_ENV?: string | undefined } = process.env, tty = process.stdout.isTTY === true) =>
  env.NODE_ENV === 'development' || tty;

export function createLogger(level: string, destination?: DestinationStream, humanReadable = prettyLogs()): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (humanReadable)
    // In-process and synchronous: no worker thread, so a line written just before exit is not lost.
    return pino(
      options,
      prettyStream({
        sync: true,
        ...(destination ? { destination, colorize: false } : { colorize: process.stdout.isTTY === true }),
        // A request on one line: `request completed GET /v1/inventory 200`, then who, how long, which id.
        messageFormat: '{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} {res.statusCode}{end}',
        ignore: 'pid,hostname,req,res',
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
      }),
    );
  return destination ? pino(options, destination) : pino(options);
}
