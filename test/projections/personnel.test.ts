/** The personnel projection: given deployments and departures, then headcount by country and role. */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import type { Counters } from '../../events/counters.js';
import { AUTHORISED_STRENGTH, evolvePersonnel, personnelView } from '../../projections/personnel.js';
import { departed, deployed, reversal } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const personnelOf = (history: IncomingEvent[]) => {
  const counters: Counters = new Map();
  foldAll(record(history), (event) => evolvePersonnel(counters, event));
  return personnelView(counters);
};

t.test('arrivals and departures by country, against the authorised strength', async (t) => {
  const view = personnelOf([
    deployed('kenya', 200),
    deployed('kenya', 200),
    deployed('jamaica', 24),
    departed('kenya', 50),
  ]);
  t.equal(view.authorisedStrength, AUTHORISED_STRENGTH);
  t.equal(view.deployed, 374);
  t.match(view.byCountry, [
    { country: 'jamaica', role: 'police', deployed: 24, arrived: 24, departed: 0 },
    { country: 'kenya', role: 'police', deployed: 350, arrived: 400, departed: 50 },
  ]);
});

t.test('a reversed deployment no longer counts, as arrival or as headcount', async (t) => {
  const wrong = deployed('kenya', 200, '2023-11-07');
  const view = personnelOf([
    deployed('kenya', 200),
    wrong,
    reversal(wrong.id ?? ''),
    deployed('kenya', 200, '2024-07-16'),
  ]);
  t.match(view.byCountry, [{ country: 'kenya', deployed: 400, arrived: 400 }]);
});

t.test('an approximate count makes the total inexact', async (t) => {
  const approx = {
    ...deployed('belize', 2),
    data: { country: 'belize', role: 'military', count: { value: 2, precision: 'at-least' } },
  } as IncomingEvent;
  const view = personnelOf([deployed('kenya', 200), approx]);
  t.equal(view.exact, false);
  t.equal(view.deployed, 202);
});

t.test('reversing an approximate deployment makes the headcount exact again', async (t) => {
  const approx = {
    ...deployed('kenya', 2),
    data: { country: 'kenya', role: 'police', count: { value: 200, precision: 'approximate' } },
  } as IncomingEvent;
  const history = [deployed('kenya', 200), approx];
  t.equal(personnelOf(history).exact, false, 'inexact while it counts');
  const view = personnelOf([...history, reversal(approx.id ?? '')]);
  t.equal(view.deployed, 200);
  t.equal(view.exact, true);
  t.match(view.byCountry, [{ country: 'kenya', role: 'police', deployed: 200, arrived: 200, exact: true }]);
});
