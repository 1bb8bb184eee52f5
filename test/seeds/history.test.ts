/**
 * The seeded mission history: valid events, every fact cited to an article
 * that exists, every party and item type registered before use, and the
 * disputed second Kenyan contingent visible as reported, reversed and
 * corrected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EXTERNAL_PARTY_KINDS, IncomingEvent, type PartyKind } from '../../events/index.js';
import { SEED_ARTICLES, SEED_IDS, missionHistory } from '../../seeds/mission-history.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const articlesDir = join(repoRoot, '..', 'shared', 'seeds');
const article = (name: string) => readFileSync(join(articlesDir, name), 'utf8');

const byId = new Map(missionHistory.map((e) => [e.id, e]));
const indexOf = (id: string | undefined) => missionHistory.findIndex((e) => e.id === id);

t.test('every seeded event validates against IncomingEvent', async (t) => {
  t.ok(missionHistory.length > 0);
  for (const event of missionHistory) {
    const parsed = IncomingEvent.safeParse(event);
    if (!parsed.success) t.fail(`${event.type} ${event.id}: ${JSON.stringify(parsed.error.issues, null, 2)}`);
    else t.strictSame(parsed.data, event, `${event.type} ${event.id} is already in its parsed form`);
  }
});

t.test('every event cites an article that exists in ../shared/seeds', async (t) => {
  for (const name of SEED_ARTICLES) t.ok(existsSync(join(articlesDir, name)), `${name} exists`);
  for (const event of missionHistory) {
    const document = event.source?.document;
    t.ok(document && (SEED_ARTICLES as readonly string[]).includes(document), `${event.id} cites a seed article`);
    t.ok(document && existsSync(join(articlesDir, document)), `${event.id}: ${document} exists`);
    // references are line numbers in the article file: each must name a non-empty line
    const reference = event.source?.reference ?? '';
    t.match(reference, /^lines? \d+/, `${event.id} says where in the article`);
    const lines = document ? article(document).split('\n') : [];
    for (const n of reference.match(/\d+/g) ?? [])
      t.ok(lines[Number(n) - 1]?.trim(), `${event.id}: ${document} line ${n} exists and is not blank`);
    // a confirming article is another seed article, named once, and the note says what it confirms
    const also = event.source?.alsoCites ?? [];
    for (const other of also) {
      t.ok((SEED_ARTICLES as readonly string[]).includes(other), `${event.id}: also cites seed article ${other}`);
      t.not(other, document, `${event.id}: alsoCites names another article than the document`);
      t.match(event.source?.note ?? '', other.slice(0, 3), `${event.id}: the note says what ${other} confirms`);
    }
    t.equal(new Set(also).size, also.length, `${event.id}: no article is also-cited twice`);
  }
});

t.test('facts confirmed by a second article cite it in alsoCites', async (t) => {
  const [, A001, , A003] = SEED_ARTICLES;
  t.strictSame(byId.get(SEED_IDS.firstKenyanContingent)?.source?.alsoCites, [A003], 'first contingent: 001, and 003');
  t.strictSame(byId.get(SEED_IDS.secondKenyanContingentReversal)?.source?.alsoCites, [A001], 'reversal: 003, and 001');
  t.strictSame(
    byId.get(SEED_IDS.secondKenyanContingentCorrected)?.source?.alsoCites,
    [A001],
    'correction: 003, and 001',
  );
  t.ok(
    missionHistory.filter((e) => e.source?.alsoCites).length >= 3,
    'at least the three confirmed facts carry alsoCites',
  );
});

t.test('figures are traceable: exact figures and reported wording appear in the cited article', async (t) => {
  const words: Record<number, string> = { 2: 'two', 3: 'three', 9: 'nine' };
  const spelled = (n: number): string[] => {
    const forms = [String(n), n.toLocaleString('en-US')];
    if (words[n]) forms.push(words[n]);
    if (n >= 1_000_000 && n % 1_000_000 === 0) forms.push(`${n / 1_000_000} million`);
    return forms;
  };
  let checked = 0;
  for (const event of missionHistory) {
    const text = article(event.source?.document ?? '').toLowerCase();
    const quantities =
      'lines' in event.data
        ? event.data.lines.map((l) => l.quantity)
        : 'count' in event.data && event.data.count
          ? [event.data.count]
          : [];
    for (const q of quantities) {
      if (q.reported) t.ok(text.includes(q.reported.toLowerCase()), `"${q.reported}" is the article's wording`);
      if (q.precision === 'exact') {
        t.ok(
          spelled(q.value).some((form) => text.includes(form)),
          `${q.value} (${event.type} ${event.id}) appears in ${event.source?.document}`,
        );
      } else {
        t.ok(q.reported || event.source?.note, `inexact ${q.value} in ${event.id} is explained`);
      }
      checked++;
    }
  }
  t.ok(checked >= 15, `checked ${checked} quantities`);
});

t.test('event ids are fixed, valid and unique', async (t) => {
  const ids = missionHistory.map((e) => e.id);
  t.ok(
    ids.every((id) => typeof id === 'string'),
    'every event has an id',
  );
  t.equal(new Set(ids).size, ids.length, 'no id is used twice');
  for (const id of Object.values(SEED_IDS)) t.ok(byId.has(id), `SEED_IDS ${id} is in the history`);
});

t.test('inexact dates are bounded and explained', async (t) => {
  for (const event of missionHistory) {
    const precision = event.occurredPrecision;
    if (precision === 'range') {
      t.ok(event.occurredFrom, `${event.id} has occurredFrom`);
      t.ok((event.occurredFrom ?? '') <= event.occurredAt, `${event.id}: occurredFrom is not after occurredAt`);
    } else {
      t.notOk(event.occurredFrom, `${event.id}: occurredFrom only for ranges`);
    }
    if (precision === 'month' || precision === 'year' || precision === 'range') {
      t.ok(event.source?.note, `${event.id}: the coarse date is explained`);
    }
  }
});

t.test('every party, item type, shipment and reversed event exists before it is used', async (t) => {
  const parties = new Map<string, PartyKind>();
  const itemTypes = new Set<string>();
  const shipments = new Set<string>();
  const seen = new Set<string>();
  const party = (id: string | undefined, where: string) => {
    if (id !== undefined) t.ok(parties.has(id), `${where}: party ${id} registered before use`);
  };
  for (const event of missionHistory) {
    const where = `${event.type} ${event.id}`;
    const d = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'PartyRegistered':
        t.notOk(parties.has(event.data.partyId), `${event.data.partyId} registered once`);
        parties.set(event.data.partyId, event.data.kind);
        break;
      case 'ItemTypeRegistered':
        t.notOk(itemTypes.has(event.data.itemType), `${event.data.itemType} registered once`);
        itemTypes.add(event.data.itemType);
        break;
      case 'ShipmentDispatched':
        shipments.add(event.data.shipmentId);
        break;
      case 'ShipmentReceived':
      case 'ShipmentClosed':
        t.ok(shipments.has(event.data.shipmentId), `${where}: shipment dispatched before`);
        break;
      case 'EntryReversed':
        t.ok(seen.has(event.data.eventId), `${where}: reverses an earlier event`);
        break;
    }
    for (const key of ['donor', 'recipient', 'from', 'to', 'by', 'holder', 'contingent'])
      party(d[key] as string | undefined, where);
    if ('lines' in event.data)
      for (const line of event.data.lines)
        t.ok(itemTypes.has(line.itemType), `${where}: item type ${line.itemType} registered before use`);
    seen.add(event.id as string);
  }
  // money is only pledged, never received as stock
  for (const event of missionHistory)
    if (event.type !== 'DonationPledged' && 'lines' in event.data)
      t.notOk(
        event.data.lines.some((l) => l.itemType === 'funds-usd'),
        `${event.id}: funds only in pledges`,
      );
  // seizures come from armed groups; the donors are external accounts
  for (const event of missionHistory) {
    if (event.type === 'MaterielSeized') t.equal(parties.get(event.data.from), 'armed-group');
    if (event.type === 'DonationReceived')
      t.ok(EXTERNAL_PARTY_KINDS.has(parties.get(event.data.donor) as PartyKind), 'donor is external');
  }
});

t.test('the disputed second Kenyan contingent appears as reported, reversed and corrected', async (t) => {
  const reported = byId.get(SEED_IDS.secondKenyanContingentAsReported);
  const reversal = byId.get(SEED_IDS.secondKenyanContingentReversal);
  const corrected = byId.get(SEED_IDS.secondKenyanContingentCorrected);
  if (
    reported?.type !== 'PersonnelDeployed' ||
    reversal?.type !== 'EntryReversed' ||
    corrected?.type !== 'PersonnelDeployed'
  )
    return t.fail('the three entries exist with the right types');

  // as 001 reported it
  t.equal(reported.occurredAt, '2023-11-07');
  t.equal(reported.source?.document, SEED_ARTICLES[1]);
  t.match(reported.data, { country: 'kenya', role: 'police', count: { value: 200, precision: 'exact' } });
  t.match(article(SEED_ARTICLES[1]), /November 7, 2023/, '001 really says November 7, 2023');

  // reversed, citing both articles
  t.equal(reversal.data.eventId, reported.id);
  t.equal(reversal.source?.document, SEED_ARTICLES[3]);
  t.match(reversal.data.reason, /001/);
  t.match(reversal.data.reason, /003/);

  // corrected from 003, with no invented day
  t.equal(corrected.source?.document, SEED_ARTICLES[3]);
  t.match(corrected.data, { country: 'kenya', role: 'police', count: { value: 200, precision: 'exact' } });
  t.equal(corrected.occurredPrecision, 'range', 'no calendar date in 003: a range, not a day');
  t.ok((corrected.occurredFrom ?? '') >= '2024-06-01', 'not before the first contingent (June 2024)');
  t.match(corrected.source?.note ?? '', /001/, 'the count also cites 001');

  // linked for an auditor: one correlation, each entry caused by the one before
  t.equal(reported.correlationId, 'kenya-second-contingent');
  t.equal(reversal.correlationId, reported.correlationId);
  t.equal(corrected.correlationId, reported.correlationId);
  t.equal(reversal.causationId, reported.id);
  t.equal(corrected.causationId, reversal.id);

  // an auditor sees all three, in this order
  const [a, b, c] = [reported, reversal, corrected].map((e) => indexOf(e.id));
  t.ok((a as number) < (b as number) && (b as number) < (c as number), 'reported, then reversed, then corrected');

  // net Kenyan police deployed: first contingent + corrected second = 400, as 001 totals it
  const reversed = new Set(missionHistory.flatMap((e) => (e.type === 'EntryReversed' ? [e.data.eventId] : [])));
  const kenyan = missionHistory
    .filter((e) => e.type === 'PersonnelDeployed' && !reversed.has(e.id as string))
    .reduce(
      (sum, e) => sum + (e.type === 'PersonnelDeployed' && e.data.country === 'kenya' ? e.data.count.value : 0),
      0,
    );
  t.equal(kenyan, 400);
  t.notOk(
    missionHistory.some((e) => e.type === 'PersonnelDeployed' && [600, 1000, 2500].includes(e.data.count.value)),
    'plans and authorisations (600, 1,000, 2,500) are not recorded as deployments',
  );
});

t.test('the Bahamas, Jamaica and Belize troops are recorded without a guessed role, count or date', async (t) => {
  const joined = [
    ['bahamas', SEED_IDS.bahamasJoined],
    ['jamaica', SEED_IDS.jamaicaJoined],
    ['belize', SEED_IDS.belizeJoined],
  ] as const;
  const text = article(SEED_ARTICLES[1]);
  t.match(text, /troops from the Bahamas, Jamaica and Belize have joined the mission/, '001 says so');
  for (const [country, id] of joined) {
    const event = byId.get(id);
    if (event?.type !== 'PersonnelDeployed') {
      t.fail(`${country}: a PersonnelDeployed`);
      continue;
    }
    t.match(event.data, { country, role: 'unspecified', count: { value: 1, precision: 'at-least' } }, country);
    t.notOk(event.data.contingent, `${country}: no contingent named by the source`);
    t.notOk(event.data.location, `${country}: no location named by the source`);
    t.match(event, { occurredPrecision: 'range', occurredFrom: '2023-10-01', occurredAt: '2024-11-07' });
    t.match(event.source, { document: SEED_ARTICLES[1], reference: 'line 30' });
    t.match(event.source?.note ?? '', /no count given|none given/i, `${country}: the count is explained`);
    t.notOk(event.source?.alsoCites, `${country}: 004 only plans it, so it is no confirmation`);
  }
  const countries = new Set(missionHistory.flatMap((e) => (e.type === 'PersonnelDeployed' ? [e.data.country] : [])));
  t.strictSame([...countries].sort(), ['bahamas', 'belize', 'jamaica', 'kenya'], 'deploying countries');
  t.notOk(
    missionHistory.some(
      (e) => e.type === 'PersonnelDeployed' && e.data.country !== 'kenya' && e.data.role !== 'unspecified',
    ),
    'no role is guessed for the other contributors',
  );
});

t.test('vague figures keep their vagueness', async (t) => {
  const handover = byId.get(SEED_IDS.usHandover);
  if (handover?.type !== 'DonationReceived') return t.fail('the US handover is a DonationReceived');
  t.equal(handover.occurredAt, '2025-02-10');
  t.equal(handover.data.donor, 'us-government', 'the article says only "the US"');
  const line = (item: string) => handover.data.lines.find((l) => l.itemType === item)?.quantity;
  t.match(line('firearm-assorted'), { value: 600, precision: 'at-least' });
  t.match(line('ammunition-assorted'), { value: 20, precision: 'approximate', upTo: 99, reported: 'tens of bullets' });
  t.match(line('pickup-truck'), { value: 9, precision: 'exact' });
  for (const item of ['truck', 'excavator', 'armored-loader']) t.match(line(item), { value: 2, precision: 'exact' });

  const apcs = byId.get(SEED_IDS.inlApcDelivery);
  if (apcs?.type !== 'DonationReceived') return t.fail('the INL APC delivery is a DonationReceived');
  t.match(apcs.data, { donor: 'us-inl', recipient: 'mss' });
  t.match(apcs.data.lines[0]?.quantity, { value: 2, precision: 'at-least' }, 'no count given: at least 2');
  t.match(apcs, { occurredPrecision: 'range', occurredFrom: '2024-10-28', occurredAt: '2024-11-03' });

  const heli = byId.get(SEED_IDS.helicoptersDispatched);
  if (heli?.type !== 'ShipmentDispatched') return t.fail('the helicopters are a shipment');
  t.equal(heli.data.from, 'unattributed-donor', 'the provider is not guessed');

  const seizure = byId.get(SEED_IDS.tabarreSeizure);
  if (seizure?.type !== 'MaterielSeized') return t.fail('the Tabarre seizure is a MaterielSeized');
  t.match(seizure.data, { from: 'gang-krazebariere', by: 'hnp-mss-joint-operation' });
});
