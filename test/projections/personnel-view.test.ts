/**
 * The personnel view as the force generation cell reads it, whole: given deployments (with and
 * without a size, with a location), departures, pledges and a reversed pledge, then every row,
 * total and bound, in order.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import type { Counters } from '../../events/counters.js';
import { evolvePersonnel, personnelView } from '../../projections/personnel.js';
import { newId, reversal } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const personnelOf = (history: IncomingEvent[]) => {
  const counters: Counters = new Map();
  foldAll(record(history), (event) => evolvePersonnel(counters, event));
  return personnelView(counters);
};

type Role = 'police' | 'military' | 'civilian' | 'unspecified';
type Count = { value: number; precision: 'exact' | 'at-least' | 'approximate'; upTo?: number };
const n = (value: number): Count => ({ value, precision: 'exact' });
const arrive = (country: string, role: Role, count: Count, location?: string): IncomingEvent => ({
  id: newId(),
  type: 'PersonnelDeployed',
  occurredAt: '2024-07-16',
  data: { country, role, count, ...(location ? { location } : {}) },
});
const leave = (country: string, role: Role, count: Count): IncomingEvent => ({
  id: newId(),
  type: 'PersonnelDeparted',
  occurredAt: '2025-01-10',
  data: { country, role, count, reason: 'rotation' },
});
const pledge = (country: string, role: Role, count?: Count): IncomingEvent => ({
  id: newId(),
  type: 'PersonnelPledged',
  occurredAt: '2024-03-01',
  data: { country, role, ...(count ? { count } : {}) },
});
const exactly = (quantity: number) => ({ precision: 'exact', lower: quantity, upper: quantity });

t.test('rows by country and role, pledges and force generation, with their bounds', async (t) => {
  const chad = pledge('chad', 'military', n(150));
  const view = personnelOf([
    pledge('kenya', 'police', n(1000)),
    pledge('kenya', 'military', { value: 100, precision: 'approximate', upTo: 150 }),
    pledge('benin', 'unspecified'),
    chad,
    arrive('kenya', 'police', n(400), 'Port-au-Prince'),
    arrive('kenya', 'military', n(20), 'Cap-Haïtien'),
    arrive('jamaica', 'military', n(24)),
    arrive('belize', 'military', { value: 1, precision: 'at-least' }),
    leave('kenya', 'police', n(50)),
    leave('jamaica', 'military', n(4)),
    reversal(chad.id!),
  ]);
  t.same(view.byCountry, [
    {
      country: 'belize',
      role: 'military',
      deployed: 1,
      arrived: 1,
      departed: 0,
      exact: false,
      precision: 'at-least',
      lower: 1,
      upper: null,
      sizeReported: false,
      locations: [],
    },
    {
      country: 'jamaica',
      role: 'military',
      deployed: 20,
      arrived: 24,
      departed: 4,
      exact: true,
      ...exactly(20),
      sizeReported: true,
      locations: [],
    },
    {
      country: 'kenya',
      role: 'military',
      deployed: 20,
      arrived: 20,
      departed: 0,
      exact: true,
      ...exactly(20),
      sizeReported: true,
      locations: [{ location: 'Cap-Haïtien', arrived: 20 }],
    },
    {
      country: 'kenya',
      role: 'police',
      deployed: 350,
      arrived: 400,
      departed: 50,
      exact: true,
      ...exactly(350),
      sizeReported: true,
      locations: [{ location: 'Port-au-Prince', arrived: 400 }],
    },
  ]);
  t.same(view.pledges, [
    { country: 'benin', role: 'unspecified', pledges: 1, pledged: null, sizeNotGiven: 1 },
    {
      country: 'kenya',
      role: 'military',
      pledges: 1,
      pledged: { quantity: 100, precision: 'approximate', lower: 100, upper: 150 },
      sizeNotGiven: 0,
    },
    {
      country: 'kenya',
      role: 'police',
      pledges: 1,
      pledged: { quantity: 1000, ...exactly(1000) },
      sizeNotGiven: 0,
    },
  ]);
  t.same(view.forceGeneration, [
    {
      country: 'belize',
      pledged: null,
      pledgesWithoutSize: 0,
      deployed: { quantity: 1, precision: 'at-least', lower: 1, upper: null, sizeReported: false },
    },
    {
      country: 'benin',
      pledged: null,
      pledgesWithoutSize: 1,
      deployed: { quantity: 0, ...exactly(0), sizeReported: true },
    },
    {
      country: 'jamaica',
      pledged: null,
      pledgesWithoutSize: 0,
      deployed: { quantity: 20, ...exactly(20), sizeReported: true },
    },
    {
      country: 'kenya',
      pledged: { quantity: 1100, precision: 'approximate', lower: 1100, upper: 1150 },
      pledgesWithoutSize: 0,
      deployed: { quantity: 370, ...exactly(370), sizeReported: true },
    },
  ]);
  t.match(view, {
    authorisedStrength: 2500,
    deployed: 391,
    exact: false,
    precision: 'at-least',
    lower: 391,
    upper: null,
    sizeNotReported: 1,
  });
});

t.test('a contingent is "size not reported" only while every arrival was unsized and none left', async (t) => {
  const unsized = arrive('belize', 'military', { value: 1, precision: 'at-least' });
  t.match(personnelOf([unsized]).byCountry, [{ country: 'belize', sizeReported: false }]);
  t.match(personnelOf([unsized, arrive('belize', 'military', n(10))]).byCountry, [
    { deployed: 11, arrived: 11, sizeReported: true },
  ]);
  t.match(personnelOf([unsized, leave('belize', 'military', n(1))]).byCountry, [
    { deployed: 0, arrived: 1, departed: 1, sizeReported: true },
  ]);
  t.match(personnelOf([unsized, arrive('belize', 'military', { value: 1, precision: 'at-least' })]).byCountry, [
    { deployed: 2, sizeReported: false },
  ]);
  const atLeastTwo = personnelOf([arrive('belize', 'military', { value: 2, precision: 'at-least' })]);
  t.match(atLeastTwo.byCountry, [{ deployed: 2, sizeReported: true, precision: 'at-least' }], '"at least 2" is a size');
  t.equal(atLeastTwo.sizeNotReported, 0);
  const justOne = personnelOf([arrive('bahamas', 'police', n(1)), arrive('bahamas', 'military', n(1))]);
  t.match(
    justOne.byCountry,
    [
      { country: 'bahamas', role: 'military', deployed: 1, exact: true, sizeReported: true },
      { country: 'bahamas', role: 'police', deployed: 1, exact: true, sizeReported: true },
    ],
    'exactly one officer is a size',
  );
  t.equal(justOne.sizeNotReported, 0);
  t.equal(justOne.forceGeneration[0]?.deployed.sizeReported, true);
});

t.test('a contingent that came and left entirely is still listed, at zero', async (t) => {
  const view = personnelOf([arrive('jamaica', 'military', n(24)), leave('jamaica', 'military', n(24))]);
  t.same(view.byCountry, [
    {
      country: 'jamaica',
      role: 'military',
      deployed: 0,
      arrived: 24,
      departed: 24,
      exact: true,
      ...exactly(0),
      sizeReported: true,
      locations: [],
    },
  ]);
  t.match(view, { deployed: 0, exact: true, ...exactly(0) }, 'nobody there, and that is exact');
  t.same(personnelOf([]).byCountry, [], 'nobody deployed: no rows');
});

t.test('reversing a departure or a pledge takes it back out, sizes and counts', async (t) => {
  const out = leave('kenya', 'police', { value: 50, precision: 'approximate', upTo: 60 });
  const sized = pledge('kenya', 'police', n(1000));
  const unsizedPledge = pledge('kenya', 'police');
  const history = [arrive('kenya', 'police', n(400)), out, sized, unsizedPledge];
  const before = personnelOf(history);
  t.match(before.byCountry, [{ deployed: 350, departed: 50, exact: false, precision: 'approximate' }]);
  t.match(before.byCountry, [{ lower: 340, upper: 350 }], 'an estimated departure lowers the lower bound');
  t.match(before.pledges, [{ pledges: 2, sizeNotGiven: 1, pledged: { quantity: 1000 } }]);
  const after = personnelOf([...history, reversal(out.id!), reversal(unsizedPledge.id!)]);
  t.same(
    after.byCountry.map((r) => [r.deployed, r.arrived, r.departed, r.exact, r.precision, r.lower, r.upper]),
    [[400, 400, 0, true, 'exact', 400, 400]],
  );
  t.same(after.pledges, [
    { country: 'kenya', role: 'police', pledges: 1, pledged: { quantity: 1000, ...exactly(1000) }, sizeNotGiven: 0 },
  ]);
  const none = personnelOf([...history, reversal(sized.id!), reversal(unsizedPledge.id!)]);
  t.same(none.pledges, [], 'every pledge reversed: none listed');
  t.same(
    none.forceGeneration.map((f) => [f.country, f.pledged]),
    [['kenya', null]],
  );
});
