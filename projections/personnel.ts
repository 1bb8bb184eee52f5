/**
 * Personnel: officers and soldiers deployed, by contributing country and
 * role, with arrivals and departures, against the mission's authorised strength.
 */
import { headcountDeltas, type FoldEvent, type HeadcountDelta } from '../src/ledger/postings.js';
import { applyDeltas, delta, keyRef, splitKey, type Counters, type Delta } from './counters.js';

/** UN Security Council authorisation for the MSS, as every seed article reports it. */
export const AUTHORISED_STRENGTH = 2500;

const headcountToDeltas = (d: HeadcountDelta, sign: 1 | -1): Delta[] => {
  const inexact = ((d.exact ? 0 : 1) * sign) as 0 | 1;
  const movement = d.delta >= 0 ? 'arrived' : 'departed';
  return [
    delta(keyRef('deployed', d.country, d.role), sign * d.delta, inexact),
    delta(keyRef(movement, d.country, d.role), sign * Math.abs(d.delta), inexact),
    ...(d.location ? [delta(keyRef('location', d.country, d.role, d.location), sign * d.delta, inexact)] : []),
  ];
};

const NONE: readonly Delta[] = Object.freeze([]);

export function personnelDeltas(event: FoldEvent): readonly Delta[] {
  // Most events move no one: answered without making a list.
  if (event.type !== 'PersonnelDeployed' && event.type !== 'PersonnelDeparted' && event.type !== 'EntryReversed')
    return NONE;
  if (event.type === 'EntryReversed')
    return event.target ? headcountDeltas(event.target).flatMap((d) => headcountToDeltas(d, -1)) : [];
  return headcountDeltas(event).flatMap((d) => headcountToDeltas(d, 1));
}

export const evolvePersonnel = (counters: Counters, event: FoldEvent): Counters =>
  applyDeltas(counters, personnelDeltas(event));

export interface PersonnelView {
  authorisedStrength: number;
  deployed: number;
  exact: boolean;
  byCountry: {
    country: string;
    role: string;
    deployed: number;
    arrived: number;
    departed: number;
    exact: boolean;
    locations: { location: string; arrived: number }[];
  }[];
}

export function personnelView(counters: Counters): PersonnelView {
  const rows = new Map<string, PersonnelView['byCountry'][number]>();
  const rowFor = (country: string, role: string) => {
    const id = `${country}/${role}`;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = { country, role, deployed: 0, arrived: 0, departed: 0, exact: true, locations: [] }));
    return row;
  };
  for (const [key, counter] of counters) {
    const [kind, country, role, location] = splitKey(key);
    if (country === undefined || role === undefined) continue;
    if (kind === 'deployed') {
      const row = rowFor(country, role);
      row.deployed = counter.value;
      row.exact = counter.inexact === 0;
    } else if (kind === 'arrived') rowFor(country, role).arrived = counter.value;
    else if (kind === 'departed') rowFor(country, role).departed = counter.value;
    else if (kind === 'location' && location !== undefined && counter.value !== 0)
      rowFor(country, role).locations.push({ location, arrived: counter.value });
  }
  const byCountry = [...rows.values()]
    .filter((r) => r.deployed !== 0 || r.arrived !== 0 || r.departed !== 0)
    .sort((a, b) => a.country.localeCompare(b.country) || a.role.localeCompare(b.role));
  return {
    authorisedStrength: AUTHORISED_STRENGTH,
    deployed: byCountry.reduce((sum, r) => sum + r.deployed, 0),
    exact: byCountry.every((r) => r.exact),
    byCountry,
  };
}
