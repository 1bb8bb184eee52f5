/**
 * One paging convention for every list (events, a stream, shipments): `after` in, `next` out,
 * and a `Link: <…>; rel="next"` header a generic client can follow until it is gone. Following the
 * links must visit every item once, in order; the last page has no link.
 */
import t from 'tap';
import { nextPageUrl } from '../../src/http/paging.js';
import { dispatch, line, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

type Role = 'viewer' | 'recorder' | 'auditor';

const LINK = /^<([^>]+)>; rel="next"$/;

t.test('nextPageUrl keeps the request and sets after', async (t) => {
  t.equal(nextPageUrl('/v1/events?limit=2&type=A,B', 7), '/v1/events?limit=2&type=A%2CB&after=7');
  t.equal(nextPageUrl('/v1/events?after=3&limit=2', 9), '/v1/events?after=9&limit=2', 'after replaced, not doubled');
  t.equal(nextPageUrl('/v1/shipments', 4), '/v1/shipments?after=4');
});

t.test('every list pages with after/next and Link rel="next"', async (t) => {
  const { inject } = await testLedger(t);
  const post = (payload: object) => inject('recorder', { method: 'POST', url: '/v1/events', payload });
  t.equal((await post(world())).statusCode, 201);
  const shipmentIds = ['ship-a', 'ship-b', 'ship-c', 'ship-d', 'ship-e'];
  for (const [index, id] of shipmentIds.entries())
    t.equal((await post(dispatch(id, 'us-inl', 'mss', [line('apc', 1)], `2025-04-0${index + 1}`))).statusCode, 201);

  /** Follows Link headers from `first`; returns the items of every page and the links seen. */
  const follow = async (role: Role, first: string, items: (body: Record<string, unknown>) => unknown[]) => {
    const seen: unknown[] = [];
    const links: string[] = [];
    let url: string | undefined = first;
    while (url !== undefined) {
      const answer = await inject(role, { method: 'GET', url });
      t.equal(answer.statusCode, 200, url);
      const body = answer.json() as Record<string, unknown> & { next: number | null };
      seen.push(...items(body));
      const link = answer.headers.link as string | undefined;
      if (body.next === null) {
        t.equal(link, undefined, `${url}: the last page has no Link`);
        url = undefined;
      } else {
        const target = LINK.exec(link ?? '')?.[1];
        t.ok(target, `${url}: Link rel="next" while next is ${body.next}`);
        t.equal(new URL(target!, 'http://x').searchParams.get('after'), String(body.next), 'the link carries next');
        links.push(target!);
        url = target;
      }
      if (links.length > 50) throw new Error('paging does not end');
    }
    return { seen, links };
  };

  const all = (await inject('auditor', { method: 'GET', url: '/v1/events?limit=1000' })).json();
  const events = await follow('auditor', '/v1/events?limit=4', (b) =>
    (b.events as { globalPosition: number }[]).map((e) => e.globalPosition),
  );
  t.same(
    events.seen,
    all.events.map((e: { globalPosition: number }) => e.globalPosition),
    'events: every one, once, in order',
  );
  t.ok(
    events.links.every((l) => l.startsWith('/v1/events?limit=4&after=')),
    'the links keep the query',
  );

  const filtered = await follow('auditor', '/v1/events?type=ShipmentDispatched&limit=2', (b) =>
    (b.events as { data: { shipmentId: string } }[]).map((e) => e.data.shipmentId),
  );
  t.same(filtered.seen, shipmentIds, 'a filtered list keeps its filter across pages');

  const stream = await follow('recorder', '/v1/streams/ledger?limit=3', (b) =>
    (b.events as { streamRevision: number }[]).map((e) => e.streamRevision),
  );
  t.same(
    stream.seen,
    all.events.map((_: unknown, index: number) => index),
    'a stream: every revision, once',
  );

  const shipments = await follow('viewer', '/v1/shipments?limit=2', (b) =>
    (b.shipments as { shipmentId: string }[]).map((s) => s.shipmentId),
  );
  t.same(shipments.seen, [...shipmentIds].reverse(), 'shipments: newest first, every one, once');
  t.equal(shipments.links.length, 2, 'five shipments by two: three pages');

  const inTransit = await follow('viewer', '/v1/shipments?status=in-transit&limit=4', (b) =>
    (b.shipments as { shipmentId: string }[]).map((s) => s.shipmentId),
  );
  t.same(inTransit.seen, [...shipmentIds].reverse(), 'the status filter is kept in the link');
});

t.test('parameters of another convention are refused with a problem naming the one to use', async (t) => {
  const { inject } = await testLedger(t, { seed: true });
  const before = await inject('viewer', { method: 'GET', url: '/v1/shipments?before=3' });
  t.equal(before.statusCode, 400);
  t.match(before.headers['content-type'], /application\/problem\+json/);
  t.match(before.json(), {
    type: 'urn:mss-ledger:rule:schema-invalid',
    field: 'before',
    context: { use: 'after' },
    detail: /before was renamed after/,
  });

  const asOf = await inject('viewer', { method: 'GET', url: '/v1/timeline?asOf=2025-02-10' });
  t.equal(asOf.statusCode, 400);
  t.match(asOf.json(), { field: 'asOf', context: { use: 'to' }, detail: /to sets the last day/ });
  const to = await inject('viewer', { method: 'GET', url: '/v1/timeline?to=2025-02-10&category=firearm' });
  t.equal(to.statusCode, 200, 'to is taken');
  t.equal(to.json().asOf, '2025-02-10T23:59:59.999Z', 'to is the asOf of the last point, and the answer says so');
});

t.test('the OpenAPI document declares the Link header on every paged list', async (t) => {
  const { app } = await testLedger(t);
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  for (const list of ['/v1/events', '/v1/shipments', '/v1/streams/{id}'])
    t.ok(document.paths[list].get.responses['200'].headers?.Link, `${list} declares Link`);
});
