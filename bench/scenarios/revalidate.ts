/**
 * A dashboard revalidating (issue 4): `GET /v1/inventory` with `If-None-Match` set to the current
 * ETag, which our service answers 304 from its onRequest hooks (authentication, then the freshness
 * check: src/http/plugins/freshness.ts), beside the bare Fastify route answering the full 200 with
 * the very bytes our service answers (bench/baselines/bare-fastify.ts), taking turns. A 304 skips
 * validation, the handler and the body, so it should be at least as fast as the bare route.
 *
 * A third server is the same bare route sending our 200's whole header block with the bytes (like
 * for like: what a 304 saves against the very answer it stands for, without the ledger); the
 * target stays on the bare route.
 *
 * Nothing writes to the service during the run, so the ETag stays current; every answer must be a
 * 304 (any 200 fails the run), and the ETag is checked again afterwards. Our plain 200 beside the
 * same bare route is the `get` scenario.
 */
import { freshDir, startService, withChildren } from '../lib/child.js';
import { compareLoads, latencyRows } from '../lib/compare.js';
import { bareRouteStarters, checkSameBytes, likeForLikeRows, type OurAnswer } from '../lib/header-block.js';
import { probe } from '../lib/load.js';
import { row, type Row, type Scenario } from '../lib/types.js';

/** Our 304's throughput as a share of the bare route's 200 (issue 4). */
export const TARGET_SHARE_OF_BARE = 1;
const PATH = '/v1/inventory';
const TITLE = 'GET /v1/inventory, If-None-Match → 304';
const BASELINE = 'bare fastify 200, same bytes';
const LIKE_FOR_LIKE = 'bare fastify 200, same bytes and headers';

export const revalidate: Scenario = {
  id: 'revalidate',
  title: TITLE,
  async run(ctx) {
    let answer: OurAnswer | undefined;
    let etag = '';
    const measured = await withChildren(
      [
        async () => {
          const service = await startService(ctx, { name: 'service-revalidate' });
          answer = await probe(`${service.url}${PATH}`, {}, [200]);
          etag = answer.headers.get('etag') ?? '';
          if (!etag) throw new Error(`revalidate: ${PATH} answered no ETag`);
          return service;
        },
        ...bareRouteStarters(ctx, freshDir(ctx, 'revalidate'), () => answer),
      ],
      async ([service, bare, likeForLike]) => {
        await checkSameBytes('revalidate', [bare!, likeForLike!], PATH, answer!.body);
        const check = async () => {
          const notModified = await probe(`${service!.url}${PATH}`, { headers: { 'if-none-match': etag } }, [304]);
          if (notModified.headers.get('etag') !== etag)
            throw new Error(`revalidate: the 304 carries ETag ${notModified.headers.get('etag')}, not ${etag}`);
        };
        await check();
        ctx.log(`revalidate: ETag ${etag}; a 304 against the bare routes' ${answer!.body.length}-byte 200`);
        const loads = await compareLoads(ctx, 'revalidate', [
          {
            key: 'ours-304',
            server: service!,
            load: {
              path: PATH,
              connections: ctx.connections,
              headers: { 'if-none-match': etag },
              expectStatus: 304,
            },
          },
          { key: 'bare-fastify', server: bare!, load: { path: PATH, connections: ctx.connections } },
          { key: 'bare-fastify-headers', server: likeForLike!, load: { path: PATH, connections: ctx.connections } },
        ]);
        await check(); // still current: the run measured revalidations, not a changing ledger
        return loads;
      },
    );
    const ours = measured['ours-304']!;
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
        target: { op: '>=', value: TARGET_SHARE_OF_BARE, on: 'ratio' },
      }),
      ...latencyRows(TITLE, BASELINE, ours, bare),
      ...likeForLikeRows(TITLE, LIKE_FOR_LIKE, ours, likeForLike),
    ];
    return {
      rows,
      details: {
        etag,
        bareResponseBytes: answer?.body.length,
        contentType: answer?.contentType,
        ours,
        bare,
        likeForLike,
      },
    };
  },
};
