/**
 * The header block an answer of ours carried, for the like-for-like baseline
 * (bench/baselines/bare-fastify.ts with HEADERS_FILE): every header but those
 * Node writes itself (date, connection, keep-alive, content-length) and the
 * content type (the baseline's own CONTENT_TYPE). Rate-limit headers are left
 * out too: the bench runs the service with the limiter off, so it sends none.
 */
import { writeFileSync } from 'node:fs';

const NODE_WRITES = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'content-type',
]);

export function headerBlock(headers: Headers): [string, string][] {
  const block: [string, string][] = [];
  headers.forEach((value, name) => {
    if (!NODE_WRITES.has(name)) block.push([name, value]);
  });
  return block;
}

/** Writes the block for HEADERS_FILE; returns how many headers it holds. */
export function writeHeaderBlock(file: string, headers: Headers): number {
  const block = headerBlock(headers);
  writeFileSync(file, JSON.stringify(block));
  return block.length;
}
