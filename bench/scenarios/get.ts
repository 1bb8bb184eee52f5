/**
 * GET /v1/inventory on the freshly seeded store, beside a bare Fastify route
 * answering the very same bytes (bench/baselines/bare-fastify.ts): the floor,
 * with its content type alone; and the same route sending our answer's whole
 * header block too (security headers, ETag, position, the log's tree): like for
 * like, the same answer without the ledger. The target is on the floor.
 */
import { freshDir, startService, withChildren } from '../lib/child.js';
import { compareLoads, latencyRows } from '../lib/compare.js';
import {
  bareRouteStarters,
  checkSameBytes,
  likeForLikeRows,
  headerBlock,
  type OurAnswer,
} from '../lib/header-block.js';
import { probe } from '../lib/load.js';
import { row, type Row, type Scenario } from '../lib/types.js';

export const TARGET_REQUESTS_PER_S = 15_000;
/** Our 200 as a share of the bare route's throughput (issue 4). */
export const TARGET_SHARE_OF_BARE = 0.8;
const PATH = '/v1/inventory';
const TITLE = 'GET /v1/inventory';
const BASELINE = 'bare fastify, same bytes';
const LIKE_FOR_LIKE = 'bare fastify, same bytes and headers';

export const get: Scenario = {
  id: 'get',
  title: TITLE,
  async run(ctx) {
    let answer: OurAnswer | undefined;
    const load = { path: PATH, connections: ctx.connections };
    const measured = await withChildren(
      [
        async () => {
          const service = await startService(ctx, { name: 'service-get' });
          answer = await probe(`${service.url}${PATH}`, {}, [200]);
          return service;
        },
        ...bareRouteStarters(ctx, freshDir(ctx, 'inventory'), () => answer),
      ],
      async ([service, bare, likeForLike]) => {
        await checkSameBytes('get', [bare!, likeForLike!], PATH, answer!.body);
        ctx.log(
          `get: all three answer the same ${answer!.body.length} bytes; ${headerBlock(answer!.headers).length} headers of ours copied`,
        );
        return compareLoads(ctx, 'get', [
          { key: 'ours', server: service!, load },
          { key: 'bare-fastify', server: bare!, load },
          { key: 'bare-fastify-headers', server: likeForLike!, load },
        ]);
      },
    );
    const ours = measured.ours!;
    const bare = measured['bare-fastify']!;
    const likeForLike = measured['bare-fastify-headers']!;
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
      ...likeForLikeRows(TITLE, LIKE_FOR_LIKE, ours, likeForLike),
    ];
    return {
      rows,
      details: {
        responseBytes: answer?.body.length,
        contentType: answer?.contentType,
        headersCopied: answer ? headerBlock(answer.headers).length : undefined,
        ours,
        bare,
        likeForLike,
      },
    };
  },
};
