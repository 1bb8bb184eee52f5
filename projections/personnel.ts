/**
 * Personnel: officers and soldiers deployed, by contributing country and
 * role, with arrivals and departures, against the mission's authorised
 * strength; and force generation: what each country pledged beside what it deployed.
 */
import type { FoldableEvent } from '../events/index.js';
import { headcountDeltas, type FoldEvent, type HeadcountDelta } from '../events/postings.js';
import { applyDeltas, delta, keyRef, splitKey, type Counter, type Counters, type Delta } from '../events/counters.js';
import { boundDeltas, boundsOf, isCompanionKind, shapeOf, sumBounds, type Bounds } from '../events/precision.js';

/** UN Security Council authorisation for the MSS, as every seed article reports it. */
export const AUTHORISED_STRENGTH = 2500;

/**
 * "At least 1" is what a source that names a country's troops without a count
 * supports ("troops from Belize have joined"): such an arrival says the
 * contingent is there, not how large it is, and is shown as "size not reported".
 */
const isUnsized = (d: HeadcountDelta) => d.shape.precision === 'at-least' && d.delta === 1;

const headcountToDeltas = (d: HeadcountDelta, sign: 1 | -1): Delta[] => {
  const inexact = ((d.exact ? 0 : 1) * sign) as 0 | 1;
  const movement = d.delta >= 0 ? 'arrived' : 'departed';
  const deltas = [
    delta(keyRef('deployed', d.country, d.role), sign * d.delta, inexact),
    delta(keyRef(movement, d.country, d.role), sign * Math.abs(d.delta), inexact),
    ...(d.location ? [delta(keyRef('location', d.country, d.role, d.location), sign * d.delta, inexact)] : []),
  ];
  if (!d.exact)
    deltas.push(...boundDeltas(d.shape, Math.abs(d.delta), d.delta >= 0 ? 1 : -1, sign, 'deployed', d.country, d.role));
  if (isUnsized(d)) deltas.push(delta(keyRef('unsized', d.country, d.role), 0, sign as 0 | 1));
  return deltas;
};

/** A pledge: `pledged` sums the sizes given; `pledges` counts pledges, and in `inexact` those with no size. */
function pledgeDeltas(event: FoldableEvent, sign: 1 | -1): Delta[] {
  if (event.type !== 'PersonnelPledged') return [];
  const { country, role, count } = event.data;
  const deltas = [delta(keyRef('pledges', country, role), sign, (count ? 0 : sign) as 0 | 1)];
  if (count) {
    const inexact = (count.precision === 'exact' ? 0 : sign) as 0 | 1;
    deltas.push(delta(keyRef('pledged', country, role), sign * count.value, inexact));
    deltas.push(...boundDeltas(shapeOf(count), count.value, 1, sign, 'pledged', country, role));
  }
  return deltas;
}

const NONE: readonly Delta[] = Object.freeze([]);

export function personnelDeltas(event: FoldEvent): readonly Delta[] {
  // Most events move no one: answered without making a list.
  if (
    event.type !== 'PersonnelDeployed' &&
    event.type !== 'PersonnelDeparted' &&
    event.type !== 'PersonnelPledged' &&
    event.type !== 'EntryReversed'
  )
    return NONE;
  if (event.type === 'EntryReversed')
    return event.target
      ? [...headcountDeltas(event.target).flatMap((d) => headcountToDeltas(d, -1)), ...pledgeDeltas(event.target, -1)]
      : [];
  return [...headcountDeltas(event).flatMap((d) => headcountToDeltas(d, 1)), ...pledgeDeltas(event, 1)];
}

export const evolvePersonnel = (counters: Counters, event: FoldEvent): Counters =>
  applyDeltas(counters, personnelDeltas(event));

export interface PersonnelRow extends Bounds {
  country: string;
  role: string;
  deployed: number;
  arrived: number;
  departed: number;
  exact: boolean;
  /** False when every arrival named the contingent without a size ("joined, size not reported"). */
  sizeReported: boolean;
  locations: { location: string; arrived: number }[];
}

export interface PledgeRow {
  country: string;
  role: string;
  pledges: number;
  /** The sizes the sources gave; null when no pledge of this country and role gave one. */
  pledged: (Bounds & { quantity: number }) | null;
  /** Pledges whose size no source gave. */
  sizeNotGiven: number;
}

export interface PersonnelView extends Bounds {
  authorisedStrength: number;
  deployed: number;
  exact: boolean;
  /** Contingents that joined with no reported size: counted at their lower bound, 1, in `deployed`. */
  sizeNotReported: number;
  byCountry: PersonnelRow[];
  pledges: PledgeRow[];
  /** Per country (all roles): pledged beside deployed, the view force generation is managed by. */
  forceGeneration: {
    country: string;
    pledged: (Bounds & { quantity: number }) | null;
    pledgesWithoutSize: number;
    deployed: Bounds & { quantity: number; sizeReported: boolean };
  }[];
}

const ZERO: Counter = { value: 0, inexact: 0 };

export function personnelView(counters: Counters): PersonnelView {
  const rows = new Map<string, PersonnelRow>();
  const pledgeRows = new Map<string, PledgeRow>();
  const rowFor = (country: string, role: string) => {
    const id = `${country}/${role}`;
    let row = rows.get(id);
    if (!row)
      rows.set(
        id,
        (row = {
          country,
          role,
          deployed: 0,
          arrived: 0,
          departed: 0,
          exact: true,
          precision: 'exact',
          lower: 0,
          upper: 0,
          sizeReported: true,
          locations: [],
        }),
      );
    return row;
  };
  for (const [key, counter] of counters) {
    const [kind, country, role, location] = splitKey(key);
    if (kind === undefined || country === undefined || role === undefined || isCompanionKind(kind)) continue;
    const rest = key.slice(kind.length);
    if (kind === 'deployed') {
      const row = rowFor(country, role);
      row.deployed = counter.value;
      row.exact = counter.inexact === 0;
      Object.assign(row, boundsOf(counters, 'deployed', rest, counter));
    } else if (kind === 'arrived') rowFor(country, role).arrived = counter.value;
    else if (kind === 'departed') rowFor(country, role).departed = counter.value;
    else if (kind === 'location' && location !== undefined && counter.value !== 0)
      rowFor(country, role).locations.push({ location, arrived: counter.value });
    else if (kind === 'pledges' && counter.value !== 0) {
      const pledged = counters.get(`pledged${rest}`);
      pledgeRows.set(`${country}/${role}`, {
        country,
        role,
        pledges: counter.value,
        pledged: pledged ? { quantity: pledged.value, ...boundsOf(counters, 'pledged', rest, pledged) } : null,
        sizeNotGiven: counter.inexact,
      });
    }
  }
  for (const row of rows.values()) {
    const unsized = counters.get(`unsized|${row.country}|${row.role}`) ?? ZERO;
    row.sizeReported = !(unsized.inexact > 0 && unsized.inexact === row.arrived && row.departed === 0);
  }
  const byCountry = [...rows.values()]
    .filter((r) => r.deployed !== 0 || r.arrived !== 0 || r.departed !== 0)
    .sort((a, b) => a.country.localeCompare(b.country) || a.role.localeCompare(b.role));
  const pledges = [...pledgeRows.values()].sort(
    (a, b) => a.country.localeCompare(b.country) || a.role.localeCompare(b.role),
  );
  return {
    authorisedStrength: AUTHORISED_STRENGTH,
    deployed: byCountry.reduce((sum, r) => sum + r.deployed, 0),
    exact: byCountry.every((r) => r.exact),
    ...sumBounds(byCountry),
    sizeNotReported: byCountry.filter((r) => !r.sizeReported).length,
    byCountry,
    pledges,
    forceGeneration: forceGeneration(byCountry, pledges),
  };
}

function forceGeneration(rows: PersonnelRow[], pledges: PledgeRow[]): PersonnelView['forceGeneration'] {
  const countries = [...new Set([...rows.map((r) => r.country), ...pledges.map((p) => p.country)])].sort();
  return countries.map((country) => {
    const deployedRows = rows.filter((r) => r.country === country);
    const pledgeRowsOf = pledges.filter((p) => p.country === country);
    const sized = pledgeRowsOf.flatMap((p) => (p.pledged ? [p.pledged] : []));
    return {
      country,
      pledged: sized.length ? { quantity: sized.reduce((sum, p) => sum + p.quantity, 0), ...sumBounds(sized) } : null,
      pledgesWithoutSize: pledgeRowsOf.reduce((sum, p) => sum + p.sizeNotGiven, 0),
      deployed: {
        quantity: deployedRows.reduce((sum, r) => sum + r.deployed, 0),
        ...sumBounds(deployedRows),
        sizeReported: deployedRows.every((r) => r.sizeReported),
      },
    };
  });
}
