/**
 * GET /v1/inventory on the freshly seeded store, beside a bare Fastify route
 * answering the very same bytes (bench/baselines/bare-fastify.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freshDir, startBaseline, startService, withChildren } from '../lib/child.js';
import { compareLoads, latencyRows } from '../lib/compare.js';
import { probe } from '../lib/load.js';
import { row, type Row, type Scenario } from '../lib/types.js';

export const TARGET_REQUESTS_PER_S = 15_000;
/** Our 200 as a share of the bare route's throughput (issue 4). */
export const TARGET_SHARE_OF_BARE = 0.8;
const PATH = '/v1/inventory';
const TITLE = 'GET /v1/inventory';
const BASELINE = 'bare fastify, same bytes';

export const get: Scenario = {
  id: 'get',
  title: TITLE,
  async run(ctx) {
    const bodyFile = path.join(freshDir(ctx, 'inventory'), 'inventory.json');
    let answer: { body: Buffer; contentType: string | null } | undefined;
    const load = { path: PATH, connections: ctx.connections };
    const measured = await withChildren(
      [
        async () => {
          const service = await startService(ctx, { name: 'service-get' });
          answer = await probe(`${service.url}${PATH}`, {}, [200]);
          writeFileSync(bodyFile, answer.body);
          return service;
        },
        () =>
          startBaseline(ctx, 'bare-fastify', {
            BODY_FILE: bodyFile,
            CONTENT_TYPE: answer?.contentType ?? 'application/json; charset=utf-8',
          }),
      ],
      async ([service, bare]) => {
        const same = await probe(`${bare!.url}${PATH}`, {}, [200]);
        if (!same.body.equals(answer!.body)) throw new Error('get: the bare route does not answer the same bytes');
        ctx.log(`get: both answer the same ${same.body.length} bytes`);
        return compareLoads(ctx, 'get', [
          { key: 'ours', server: service!, load },
          { key: 'bare-fastify', server: bare!, load },
        ]);
      },
    );
    const ours = measured.ours!;
    const bare = measured['bare-fastify']!;
    const baseline = (value: number) => ({ name: BASELINE, value });
    const rows: Row[] = [
      row({
        scenario: TITLE,
        metric: 'requests/s',
        unit: '/s',
        ours: ours.okPerSec,
        baseline: baseline(bare.okPerSec),
        target: { op: '>=', value: TARGET_REQUESTS_PER_S },
      }),
      // The same figures, with the target on the ratio: how much of what Fastify alone does we keep.
      row({
        scenario: TITLE,
        metric: 'requests/s, share of bare',
        unit: '/s',
        ours: ours.okPerSec,
        baseline: baseline(bare.okPerSec),
        target: { op: '>=', value: TARGET_SHARE_OF_BARE, on: 'ratio' },
      }),
      ...latencyRows(TITLE, BASELINE, ours, bare),
    ];
    return {
      rows,
      details: { responseBytes: answer?.body.length, contentType: answer?.contentType, ours, bare },
    };
  },
};
