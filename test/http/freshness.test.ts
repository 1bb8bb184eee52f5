/**
 * What a dashboard relies on: ETag from the position (and query), 304 on
 * If-None-Match, Cache-Control for polling, read-your-writes with
 * minPosition, and a Server-Sent Events feed of positions.
 */
import t from 'tap';
import { donation, line } from '../support/fixtures.js';
import { bearer, testLedger } from '../support/ledger.js';

t.test('ETag, 304 and Cache-Control on projections', async (t) => {
  const { inject, ledger } = await testLedger(t, { seed: true });
  const head = await ledger.store.headPosition();
  const first = await inject('viewer', { method: 'GET', url: '/v1/inventory' });
  t.equal(first.statusCode, 200);
  const etag = first.headers.etag as string;
  t.equal(etag, `"${head}"`, 'the ETag is the position reflected');
  t.equal(first.headers['x-ledger-position'], String(head));
  t.equal(first.headers['cache-control'], 'private, no-cache');

  const again = await inject('viewer', { method: 'GET', url: '/v1/inventory', headers: { 'if-none-match': etag } });
  t.equal(again.statusCode, 304, 'not modified');
  t.equal(again.body, '', 'no body');
  t.equal(again.headers.etag, etag);
  t.equal(again.headers['x-ledger-position'], String(head));
  t.equal(again.headers['content-security-policy'], undefined, 'a 304 carries only what changed');
  const listed = await inject('viewer', {
    method: 'GET',
    url: '/v1/inventory',
    headers: { 'if-none-match': `"0", W/${etag}` },
  });
  t.equal(listed.statusCode, 304, 'a list of tags, weak or strong, matches');

  const filtered = await inject('viewer', { method: 'GET', url: '/v1/inventory?holder=mss' });
  t.not(filtered.headers.etag, etag, 'another query, another ETag');
  t.match(filtered.headers.etag, new RegExp(`^"${head}-`));
  const sameQuery = await inject('viewer', {
    method: 'GET',
    url: `/v1/inventory?holder=mss&minPosition=${head}`,
    headers: { 'if-none-match': filtered.headers.etag as string },
  });
  t.equal(sameQuery.statusCode, 304, 'minPosition is not part of the ETag');

  // What the ledger said before anything was recorded: the headers state the position the body reflects.
  const past = await inject('viewer', { method: 'GET', url: '/v1/inventory?knownAt=2020-01-01' });
  t.equal(past.json().position, 0);
  t.equal(past.headers['x-ledger-position'], '0', 'the header says what the body reflects');
  t.match(past.headers.etag, /^"0-/, 'and so does the ETag');
  const otherQuery = await inject('viewer', {
    method: 'GET',
    url: '/v1/inventory?holder=hnp',
    headers: { 'if-none-match': filtered.headers.etag as string },
  });
  t.equal(otherQuery.statusCode, 200, 'an ETag of one query does not answer another');

  const personnel = await inject('viewer', { method: 'GET', url: '/v1/personnel', headers: { 'if-none-match': etag } });
  t.equal(personnel.statusCode, 304, 'same position, same answer: personnel too');

  const posted = await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-government', 'hnp', [line('radio', 4)], '2025-02-12'),
  });
  t.equal(posted.statusCode, 201);
  const position = posted.json().position as number;
  const after = await inject('viewer', {
    method: 'GET',
    url: `/v1/inventory?minPosition=${position}`,
    headers: { 'if-none-match': etag },
  });
  t.equal(after.statusCode, 200, 'the ledger moved: a full answer');
  t.equal(after.headers.etag, `"${position}"`);
  t.equal(after.json().position, position);

  const bad = await inject('viewer', { method: 'GET', url: '/v1/inventory?minPosition=soon' });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { field: 'minPosition' });
  const head304 = await inject('viewer', {
    method: 'HEAD',
    url: '/v1/inventory',
    headers: { 'if-none-match': `"${position}"` },
  });
  t.equal(head304.statusCode, 304, 'HEAD revalidates too');
});

t.test('read your writes: minPosition waits for the projection, and says when it cannot', async (t) => {
  const { inject, ledger } = await testLedger(t, { seed: true, app: { minPositionWaitMs: 150 } });
  for (let i = 0; i < 5; i++) {
    const posted = await inject('recorder', {
      method: 'POST',
      url: '/v1/events',
      payload: donation('us-government', 'hnp', [line('radio', 1)], '2025-02-12'),
    });
    const position = posted.json().position as number;
    const read = await inject('viewer', {
      method: 'GET',
      url: '/v1/inventory?holder=hnp',
      headers: { 'x-min-position': String(position) },
    });
    t.ok(read.json().position >= position, `read ${i} reflects the write`);
    t.match(read.json().holders[0].items, [{ itemType: 'radio', quantity: i + 1 }]);
    t.notOk(read.headers['x-ledger-stale']);
  }
  const future = (await ledger.store.headPosition()) + 1000;
  const started = Date.now();
  // The projector's wait timer does not hold the process open (a server's socket does); inject needs a hand.
  const keepAlive = setInterval(() => undefined, 50);
  const stale = await inject('viewer', { method: 'GET', url: `/v1/inventory?minPosition=${future}` });
  clearInterval(keepAlive);
  t.equal(stale.statusCode, 200, 'answers anyway');
  t.equal(stale.headers['x-ledger-stale'], 'true', 'and says it could not catch up');
  t.ok(Number(stale.headers['x-ledger-position']) < future, 'with the position it does reflect');
  t.ok(Date.now() - started >= 140, 'after waiting');
});

/** Reads SSE messages from a fetch body. */
async function* messages(body: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(message)?.[1];
      if (/^event: position$/m.test(message) && data) yield JSON.parse(data) as { position: number };
    }
  }
}

t.test('Server-Sent Events: a new position after a post', async (t) => {
  const { app, inject, ledger } = await testLedger(t, { seed: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const response = await fetch(`http://127.0.0.1:${port}/v1/positions/stream`, {
    headers: bearer('viewer'),
    signal: controller.signal,
  });
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/event-stream/);
  const feed = messages(response.body!);
  const first = await feed.next();
  t.equal(first.value?.position, await ledger.store.headPosition(), 'the current position at once');
  const posted = await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-government', 'hnp', [line('radio', 2)], '2025-02-12'),
  });
  const position = posted.json().position as number;
  const started = Date.now();
  let seen = first.value?.position ?? 0;
  while (seen < position) {
    const next = await feed.next();
    if (next.done) break;
    seen = next.value.position;
  }
  t.equal(seen, position, 'the feed delivered the position of the post');
  t.ok(Date.now() - started < 1000, 'promptly');
  controller.abort();
  await app.close();
  t.pass('closing the app ends open feeds');
});

t.test('Server-Sent Events: a shutdown tells open feeds, then ends them cleanly', async (t) => {
  const { app } = await testLedger(t, { seed: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const response = await fetch(`http://127.0.0.1:${port}/v1/positions/stream`, { headers: bearer('viewer') });
  const reader = response.body!.getReader();
  await reader.read(); // the current position
  const closing = app.close();
  let text = '';
  for (;;) {
    const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (chunk.done) break;
    text += new TextDecoder().decode(chunk.value);
  }
  await closing;
  t.match(text, /event: shutdown\ndata: \{"reason":"the service is stopping"\}/, 'a final event says why');
  t.match(text, /^retry: \d+$/m, 'and when to reconnect');
});
