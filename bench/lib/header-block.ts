/**
 * The header block an answer of ours carried, for the like-for-like baseline
 * (bench/baselines/bare-fastify.ts with HEADERS_FILE): every header but those
 * Node writes itself (date, connection, keep-alive, content-length) and the
 * content type (the baseline's own CONTENT_TYPE). The bench runs the service
 * with the rate limiter off, so there are no rate-limit headers to copy.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBaseline, type ChildHandle } from './child.js';
import { latencyRows, type LoadSummary } from './compare.js';
import { probe } from './load.js';
import { row, type BenchContext, type Row } from './types.js';

/** Written by Node for every answer, or (the content type) set by the baseline itself. */
const NOT_COPIED = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'content-type']);

export function headerBlock(headers: Headers): [string, string][] {
  const block: [string, string][] = [];
  headers.forEach((value, name) => {
    if (!NOT_COPIED.has(name)) block.push([name, value]);
  });
  return block;
}

/** Writes the block for HEADERS_FILE; returns how many headers it holds. */
export function writeHeaderBlock(file: string, headers: Headers): number {
  const block = headerBlock(headers);
  writeFileSync(file, JSON.stringify(block));
  return block.length;
}

/** What our service answered, for the bare routes to answer the same. */
export interface OurAnswer {
  body: Buffer;
  contentType: string | null;
  headers: Headers;
}

/**
 * Starters for the floor (`bare-fastify`: our bytes, its content type alone) and the like-for-like
 * route (`bare-fastify-headers`: our bytes and our header block), in that order. `answer` is read
 * when they start: after our service, started first, has answered.
 */
export function bareRouteStarters(ctx: BenchContext, dir: string, answer: () => OurAnswer | undefined) {
  const bodyFile = path.join(dir, 'answer.body');
  const headersFile = path.join(dir, 'answer.headers.json');
  return (['bare-fastify', 'bare-fastify-headers'] as const).map((as) => () => {
    const ours = answer();
    if (!ours) throw new Error(`${as}: our service has not answered`);
    writeFileSync(bodyFile, ours.body);
    writeHeaderBlock(headersFile, ours.headers);
    const env = { BODY_FILE: bodyFile, CONTENT_TYPE: ours.contentType ?? 'application/json; charset=utf-8' };
    return startBaseline(ctx, 'bare-fastify', as === 'bare-fastify' ? env : { ...env, HEADERS_FILE: headersFile }, as);
  });
}

/** Fails the scenario unless every bare route answers `url` with exactly our bytes. */
export async function checkSameBytes(id: string, routes: ChildHandle[], url: string, body: Buffer): Promise<void> {
  for (const route of routes) {
    const same = await probe(`${route.url}${url}`, {}, [200]);
    if (!same.body.equals(body)) throw new Error(`${id}: ${route.name} does not answer the same bytes as ours`);
  }
}

/** The rows beside the like-for-like route, without a target: what the ledger costs beyond the same answer, headers and all. */
export function likeForLikeRows(scenario: string, name: string, ours: LoadSummary, likeForLike: LoadSummary): Row[] {
  return [
    row({
      scenario,
      metric: 'requests/s, like for like',
      unit: '/s',
      ours: ours.okPerSec,
      baseline: { name, value: likeForLike.okPerSec },
    }),
    ...latencyRows(scenario, name, ours, likeForLike)
      .filter((r) => r.metric === 'server CPU per request')
      .map((r) => ({ ...r, metric: 'server CPU per request, like for like' })),
  ];
}
