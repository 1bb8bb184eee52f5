/**
 * A synthetic mission history for load tests and benchmarks: deterministic
 * (seeded PRNG), fast (no zod inside; a million events in a few seconds) and
 * realistic in shape. It is NOT the mission's real history (see
 * mission-history.ts): every event says `source: { document: 'synthetic' }`.
 *
 * The generator keeps its own books so that every event it emits obeys the
 * ledger's rules, in append order:
 * - no holder (any party whose kind is not external: donor, armed-group)
 *   ever has less than zero of an item, and no (country, role) headcount
 *   goes below zero;
 * - shipments only come from donors; a receipt never exceeds what is still in
 *   transit, and nothing is received on a closed shipment;
 * - a reversal only targets a recent DonationReceived whose recipient still
 *   holds every unit (and serial) it received, and never the same one twice;
 * - a serial moves only from its current holder, and a line carries either
 *   one serial per unit or none (see below).
 *
 * Serials: a real mission tracks thousands of serial-numbered items, not
 * millions, so serials are kept to small lots. A line carries serials only
 * when it moves at most SERIAL_LOT_MAX units of a serial-numbered type; bulk
 * lots of rifles, and all ammunition, radios, ordinary vehicles and equipment,
 * carry none. APCs, helicopters, machine guns and sniper rifles only ever come
 * in small serial-numbered lots (so they are rare); rifles and pistols come
 * mostly in bulk, and only now and then as a small lot with serials
 * (SERIAL_LOT_SHARE of donated or shipped lines, SEIZED_SERIAL_SHARE of seized
 * ones). A holder's stock of a type is split in the books into its serials and
 * its unnumbered units: ordinary transfers and expenditures move unnumbered
 * units only, and a few dedicated operations move the serial-numbered ones
 * between holders (or expend them). So the serial population grows slowly
 * (about 4 new serials per 100 events: some 38,000 for a million events, with
 * about 115,000 serial movements), the serials already held keep moving, and
 * fewer than 4% of events carry serials at all.
 *
 * Time: registrations happen at `start`; then a clock advances monotonically
 * to about `end`. About 13% of inflow events (donations, seizures,
 * deployments, pledges), so about 5% of all events, are backdated by up to
 * four weeks. Backdating only ever moves stock in earlier, so the rules
 * also hold when the history is replayed in occurredAt order.
 */
import type { IncomingEvent, ItemCategory, Line, PartyKind, Quantity } from '../events/index.js';

type PersonnelRole = 'police' | 'military' | 'civilian';

export interface SyntheticOptions {
  /** PRNG seed; the same seed always gives the same history. Default 1. */
  seed?: number;
  /** First day of the history (registrations happen then). Default 2024-06-01. */
  start?: string;
  /** Roughly the last day of the history. Default 2026-11-01. */
  end?: string;
}

/** mulberry32: a small, fast, seedable 32-bit PRNG. Returns unsigned 32-bit integers. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A valid RFC 9562 version-4 UUID from four PRNG draws. */
export function uuidFrom(next: () => number): string {
  const a = next();
  const b = next();
  const c = next();
  const d = next();
  const h = (n: number, shift: number) => HEX[(n >>> shift) & 0xff] as string;
  return (
    h(a, 24) +
    h(a, 16) +
    h(a, 8) +
    h(a, 0) +
    '-' +
    h(b, 24) +
    h(b, 16) +
    '-' +
    HEX[0x40 | ((b >>> 8) & 0x0f)] +
    h(b, 0) +
    '-' +
    HEX[0x80 | ((c >>> 24) & 0x3f)] +
    h(c, 16) +
    '-' +
    h(c, 8) +
    h(c, 0) +
    h(d, 24) +
    h(d, 16) +
    h(d, 8) +
    h(d, 0)
  );
}

// ------------------------------------------------------------------ catalogue

interface PartySpec {
  id: string;
  kind: PartyKind;
  name: string;
  country?: string;
}

const DONORS: PartySpec[] = [
  ['us-inl', 'US Department of State, INL', 'united-states'],
  ['us-dod', 'US Department of Defense', 'united-states'],
  ['canada', 'Government of Canada', 'canada'],
  ['france', 'Government of France', 'france'],
  ['germany', 'Government of Germany', 'germany'],
  ['united-kingdom', 'Government of the United Kingdom', 'united-kingdom'],
  ['spain', 'Government of Spain', 'spain'],
  ['italy', 'Government of Italy', 'italy'],
  ['japan', 'Government of Japan', 'japan'],
  ['south-korea', 'Government of the Republic of Korea', 'south-korea'],
  ['netherlands', 'Government of the Netherlands', 'netherlands'],
  ['european-union', 'European Union', undefined],
  ['oas', 'Organization of American States', undefined],
  ['brazil', 'Government of Brazil', 'brazil'],
  ['mexico', 'Government of Mexico', 'mexico'],
  ['chile', 'Government of Chile', 'chile'],
  ['norway', 'Government of Norway', 'norway'],
  ['sweden', 'Government of Sweden', 'sweden'],
  ['australia', 'Government of Australia', 'australia'],
  ['un-mss-trust-fund', 'UN trust fund for the MSS', undefined],
].map(([id, name, country]) => ({ id: id as string, kind: 'donor' as const, name: `${name} (synthetic)`, country }));

/** Contributing countries with a contingent, and the roles they send. */
const COUNTRIES: { country: string; roles: PersonnelRole[] }[] = [
  { country: 'kenya', roles: ['police', 'police', 'police', 'civilian'] },
  { country: 'jamaica', roles: ['police', 'military'] },
  { country: 'bahamas', roles: ['police', 'military'] },
  { country: 'belize', roles: ['military'] },
  { country: 'guatemala', roles: ['military', 'military', 'police'] },
  { country: 'el-salvador', roles: ['military', 'police'] },
  { country: 'chad', roles: ['police', 'military'] },
];

const HOLDERS: PartySpec[] = [
  { id: 'mss', kind: 'mission', name: 'Multinational Security Support Mission (synthetic)' },
  ...COUNTRIES.map(({ country }) => ({
    id: `mss-${country}`,
    kind: 'contingent' as const,
    name: `MSS ${country} contingent (synthetic)`,
    country,
  })),
  { id: 'hnp', kind: 'police', name: 'Haitian National Police (synthetic)', country: 'haiti' },
  { id: 'fadh', kind: 'military', name: 'Armed Forces of Haiti (synthetic)', country: 'haiti' },
];

const GANGS: PartySpec[] = [
  '400-mawozo',
  'gran-grif',
  '5-segonn',
  'village-de-dieu',
  'ti-makak',
  'baz-pilate',
  'krazebariere',
  'canaan',
  'g9-an-fanmi',
  'g-pep',
  'chen-mechan',
  'baz-nan-chabon',
  'grand-ravine',
  'simon-pele',
  'belekou',
  'boston',
  'kokorat-san-ras',
  'ti-bwa',
  'delmas-6',
  'bel-air',
  'la-saline',
  'brooklyn',
  'tokyo',
  'mariani',
  'torcelle',
  'carrefour-feuilles',
  'solino',
  'fort-national',
  'petite-riviere',
  'savien',
].map((slug) => ({
  id: `gang-${slug}`,
  kind: 'armed-group' as const,
  name: `${slug} gang (synthetic)`,
  country: 'haiti',
}));

interface ItemSpec {
  id: string;
  name: string;
  category: ItemCategory;
  unit: 'each' | 'rounds' | 'usd';
  /** serial-numbered type: small lots carry one serial per unit (this is the serials' prefix); bulk lots none */
  serial?: string;
  /** only ever comes in small serial-numbered lots (APCs, helicopters, crew-served and sniper weapons) */
  serialOnly?: boolean;
  /** typical largest quantity in one line */
  max: number;
  /** may be seized from armed groups */
  seizable?: boolean;
}

const ITEMS: ItemSpec[] = [
  { id: 'rifle-m4', name: 'M4 carbine', category: 'firearm', unit: 'each', serial: 'M4', max: 120 },
  { id: 'rifle-ak47', name: 'AK-47 rifle', category: 'firearm', unit: 'each', serial: 'AK', max: 80, seizable: true },
  { id: 'rifle-galil', name: 'Galil rifle', category: 'firearm', unit: 'each', serial: 'GL', max: 80, seizable: true },
  { id: 'rifle-ar15', name: 'AR-15 rifle', category: 'firearm', unit: 'each', serial: 'AR', max: 80, seizable: true },
  { id: 'handgun-9mm', name: '9mm pistol', category: 'firearm', unit: 'each', serial: 'P9', max: 100, seizable: true },
  {
    id: 'shotgun-12ga',
    name: '12-gauge shotgun',
    category: 'firearm',
    unit: 'each',
    serial: 'SG',
    max: 40,
    seizable: true,
  },
  {
    id: 'machine-gun-m249',
    name: 'M249 light machine gun',
    category: 'firearm',
    unit: 'each',
    serial: 'MG',
    serialOnly: true,
    max: 4,
  },
  {
    id: 'sniper-rifle',
    name: 'Sniper rifle',
    category: 'firearm',
    unit: 'each',
    serial: 'SR',
    serialOnly: true,
    max: 3,
  },
  { id: 'firearm-assorted', name: 'Firearms, assorted', category: 'firearm', unit: 'each', max: 200, seizable: true },
  { id: 'handgun', name: 'Handgun, model not recorded', category: 'firearm', unit: 'each', max: 40, seizable: true },
  { id: 'ammo-5-56mm', name: '5.56mm ammunition', category: 'ammunition', unit: 'rounds', max: 50_000, seizable: true },
  { id: 'ammo-7-62mm', name: '7.62mm ammunition', category: 'ammunition', unit: 'rounds', max: 50_000, seizable: true },
  { id: 'ammo-9mm', name: '9mm ammunition', category: 'ammunition', unit: 'rounds', max: 20_000, seizable: true },
  { id: 'ammo-12ga', name: '12-gauge shells', category: 'ammunition', unit: 'rounds', max: 5_000, seizable: true },
  { id: 'ammo-50-cal', name: '.50 calibre ammunition', category: 'ammunition', unit: 'rounds', max: 10_000 },
  {
    id: 'ammunition-assorted',
    name: 'Ammunition, assorted',
    category: 'ammunition',
    unit: 'rounds',
    max: 5_000,
    seizable: true,
  },
  {
    id: 'apc-mrap',
    name: 'MRAP armored vehicle',
    category: 'armored-vehicle',
    unit: 'each',
    serial: 'MRAP',
    serialOnly: true,
    max: 4,
  },
  {
    id: 'apc-wheeled',
    name: 'Wheeled APC',
    category: 'armored-vehicle',
    unit: 'each',
    serial: 'APC',
    serialOnly: true,
    max: 4,
  },
  { id: 'armored-loader', name: 'Armored loader', category: 'armored-vehicle', unit: 'each', max: 3 },
  { id: 'armored-suv', name: 'Armored SUV', category: 'armored-vehicle', unit: 'each', max: 6 },
  {
    id: 'helicopter-medevac',
    name: 'Medevac helicopter',
    category: 'aircraft',
    unit: 'each',
    serial: 'HM',
    serialOnly: true,
    max: 2,
  },
  {
    id: 'helicopter-utility',
    name: 'Utility helicopter',
    category: 'aircraft',
    unit: 'each',
    serial: 'HU',
    serialOnly: true,
    max: 2,
  },
  { id: 'uav-surveillance', name: 'Surveillance drone', category: 'aircraft', unit: 'each', max: 10 },
  { id: 'pickup-truck', name: 'Pickup truck', category: 'vehicle', unit: 'each', max: 12, seizable: true },
  { id: 'truck', name: 'Truck', category: 'vehicle', unit: 'each', max: 6 },
  { id: 'excavator', name: 'Excavator', category: 'vehicle', unit: 'each', max: 3 },
  { id: 'fuel-truck', name: 'Fuel truck', category: 'vehicle', unit: 'each', max: 4 },
  { id: 'ambulance', name: 'Ambulance', category: 'vehicle', unit: 'each', max: 4 },
  { id: 'motorcycle', name: 'Motorcycle', category: 'vehicle', unit: 'each', max: 20, seizable: true },
  { id: 'water-tanker', name: 'Water tanker', category: 'vehicle', unit: 'each', max: 3 },
  { id: 'patrol-boat', name: 'Patrol boat', category: 'vehicle', unit: 'each', max: 2 },
  { id: 'radio', name: 'Handheld radio', category: 'communications', unit: 'each', max: 60, seizable: true },
  { id: 'radio-base-station', name: 'Radio base station', category: 'communications', unit: 'each', max: 4 },
  { id: 'satellite-phone', name: 'Satellite phone', category: 'communications', unit: 'each', max: 20, seizable: true },
  { id: 'radio-repeater', name: 'Radio repeater', category: 'communications', unit: 'each', max: 6 },
  { id: 'body-armor', name: 'Body armor', category: 'equipment', unit: 'each', max: 400, seizable: true },
  { id: 'helmet', name: 'Ballistic helmet', category: 'equipment', unit: 'each', max: 400 },
  { id: 'night-vision-goggles', name: 'Night-vision goggles', category: 'equipment', unit: 'each', max: 50 },
  { id: 'medical-kit', name: 'Medical kit', category: 'equipment', unit: 'each', max: 500 },
  { id: 'generator', name: 'Generator', category: 'equipment', unit: 'each', max: 10 },
  { id: 'tent', name: 'Tent', category: 'equipment', unit: 'each', max: 100 },
  { id: 'funds-usd', name: 'Funds in US dollars', category: 'funds', unit: 'usd', max: 50_000_000 },
];

const LOCATIONS = [
  'Port-au-Prince',
  'Toussaint Louverture International Airport',
  'MSS base, Port-au-Prince',
  'Cap-Haïtien',
  'Croix-des-Bouquets',
  'Tabarre',
  'Cazeau',
  'Pont-Sondé',
  'Delmas',
  'Cité Soleil',
  'Kenscoff',
  'Petite Rivière de l’Artibonite',
  'Martissant',
  'Carrefour',
  'National Port Authority (APN)',
];

const CARRIERS = [
  'Chartered cargo plane',
  'US military airlift',
  'Container ship',
  'Commercial freight',
  'Road convoy',
];
const ORIGINS = ['Miami', 'Charleston', 'Nairobi', 'Santo Domingo', 'San Salvador', 'Kingston', 'Panama City'];

// ------------------------------------------------------------------ generator

type Event = IncomingEvent;

/** A line as the generator books it: item index, quantity, serials (for serial-numbered items). */
interface BookLine {
  item: number;
  qty: number;
  serials?: string[];
}

interface OpenShipment {
  slug: string;
  to: number;
  dispatchId: string;
  /** per line still in transit */
  pending: BookLine[];
  received: boolean;
}

interface BookedDonation {
  id: string;
  recipient: number;
  lines: BookLine[];
}

/** A line carries serials only when it moves at most this many units. */
export const SERIAL_LOT_MAX = 6;
/** Share of donated or shipped lines of a serial-numbered type that are a small lot with serials. */
const SERIAL_LOT_SHARE = 0.05;
/** Share of seized lines of a serial-numbered type that are a small lot with serials (the rest: bulk caches). */
const SEIZED_SERIAL_SHARE = 0.06;

const DAY = 86_400_000;
const TWO = Array.from({ length: 60 }, (_, i) => i.toString().padStart(2, '0'));
const NON_FUNDS = ITEMS.map((_, i) => i).filter((i) => ITEMS[i]?.category !== 'funds');
const SEIZABLE = ITEMS.map((_, i) => i).filter((i) => ITEMS[i]?.seizable);
const FUNDS = ITEMS.findIndex((it) => it.category === 'funds');
const SERIALED = ITEMS.map((_, i) => i).filter((i) => ITEMS[i]?.serial);
/** holders that seize materiel in operations */
const SEIZERS = HOLDERS.map((_, i) => i).filter((i) => {
  const k = HOLDERS[i]?.kind;
  return k === 'police' || k === 'mission' || k === 'military' || (k === 'contingent' && i <= 3);
});

/** Generates `count` synthetic events, registrations first. */
export function* syntheticHistory(count: number, options: SyntheticOptions = {}): Generator<IncomingEvent> {
  const seed = options.seed ?? 1;
  const t0 = Date.parse(options.start ?? '2024-06-01');
  const t1 = Date.parse(options.end ?? '2026-11-01');
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 <= t0) throw new RangeError('start must be before end');

  const next = mulberry32(seed);
  const nextId = mulberry32(seed ^ 0x5bd1e995);
  const rand = () => next() / 4294967296;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const id = () => uuidFrom(nextId);
  const tag = (seed >>> 0).toString(36);
  const source = { document: 'synthetic' } as const;

  let emitted = 0;
  const startIso = new Date(t0).toISOString();

  // ---- registrations
  const registrations: Event[] = [];
  for (const p of [...DONORS, ...HOLDERS, ...GANGS]) {
    registrations.push({
      id: id(),
      type: 'PartyRegistered',
      occurredAt: startIso,
      data: p.country
        ? { partyId: p.id, kind: p.kind, name: p.name, country: p.country }
        : { partyId: p.id, kind: p.kind, name: p.name },
      source,
    });
  }
  for (const it of ITEMS) {
    registrations.push({
      id: id(),
      type: 'ItemTypeRegistered',
      occurredAt: startIso,
      data: { itemType: it.id, name: it.name, category: it.category, unit: it.unit },
      source,
    });
  }
  for (const e of registrations) {
    if (emitted >= count) return;
    emitted++;
    yield e;
  }

  // ---- books
  const nH = HOLDERS.length;
  const nI = ITEMS.length;
  // stock: all units a holder has of a type; serialSets: the serial-numbered ones among them.
  // The difference is its unnumbered units, which are all that ordinary transfers and expenditures move.
  const stock = new Float64Array(nH * nI);
  const serialSets: (Set<string> | undefined)[] = new Array(nH * nI);
  for (let h = 0; h < nH; h++)
    for (let i = 0; i < nI; i++) if (ITEMS[i]?.serial) serialSets[h * nI + i] = new Set<string>();
  const roles: PersonnelRole[] = ['police', 'military', 'civilian'];
  const headcount = new Float64Array(COUNTRIES.length * roles.length);
  const open: OpenShipment[] = [];
  const recentDonations: BookedDonation[] = [];
  let shipmentNo = 0;
  let serialNo = 0;

  const remaining = Math.max(0, count - emitted);
  const step = (t1 - t0) / Math.max(1, remaining);
  let clock = t0;

  const newSerials = (item: number, qty: number, assignedShare = 0): { serial: string; assigned: boolean }[] => {
    const prefix = ITEMS[item]?.serial as string;
    const out = new Array<{ serial: string; assigned: boolean }>(qty);
    for (let k = 0; k < qty; k++) {
      const assigned = assignedShare > 0 && rand() < assignedShare;
      out[k] = { serial: `${assigned ? 'MSSA' : prefix}-${tag}-${(serialNo++).toString(36)}`, assigned };
    }
    return out;
  };
  const exact = (value: number): Quantity => ({ value, precision: 'exact' });
  const toLine = (l: BookLine): Line =>
    l.serials
      ? {
          itemType: ITEMS[l.item]?.id as string,
          quantity: exact(l.qty),
          serials: l.serials.map((serial) => ({ serial, assigned: false })),
        }
      : { itemType: ITEMS[l.item]?.id as string, quantity: exact(l.qty) };
  /** A bulk lot: never carries serials; for a serial-numbered type, larger than a serial-numbered lot. */
  const qtyFor = (item: number): number => {
    const spec = ITEMS[item] as ItemSpec;
    if (spec.unit === 'rounds') return int(1, Math.floor(spec.max / 100)) * 100;
    if (spec.serial) return int(SERIAL_LOT_MAX + 1, Math.max(SERIAL_LOT_MAX + 1, spec.max));
    return int(1, spec.max);
  };
  const unnumbered = (h: number, item: number): number =>
    (stock[h * nI + item] as number) - (serialSets[h * nI + item]?.size ?? 0);
  const give = (h: number, l: BookLine) => {
    const k = h * nI + l.item;
    stock[k] = (stock[k] as number) + l.qty;
    if (l.serials) {
      const set = serialSets[k] as Set<string>;
      for (const s of l.serials) set.add(s);
    }
  };
  const take = (h: number, l: BookLine) => {
    const k = h * nI + l.item;
    stock[k] = (stock[k] as number) - l.qty;
    if (l.serials) {
      const set = serialSets[k] as Set<string>;
      for (const s of l.serials) set.delete(s);
    }
  };
  /**
   * Lines of unnumbered units taken from what holder h has on hand (up to `n` distinct items),
   * or [] if it has nothing found quickly. Serial-numbered units move with serialLot.
   */
  const linesFrom = (h: number, n: number, fraction: number): BookLine[] => {
    const lines: BookLine[] = [];
    const used = new Set<number>();
    for (let attempt = 0; attempt < 12 && lines.length < n; attempt++) {
      const item = NON_FUNDS[Math.floor(rand() * NON_FUNDS.length)] as number;
      if (used.has(item)) continue;
      const have = unnumbered(h, item);
      if (have <= 0) continue;
      used.add(item);
      lines.push({ item, qty: Math.max(1, Math.min(have, Math.floor(have * fraction * rand()) + 1)) });
    }
    return lines;
  };
  /** A small serial-numbered lot (at most `most` units) held by some holder, or null if none is found quickly. */
  const serialLot = (most: number): { holder: number; line: BookLine } | null => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const holder = int(0, nH - 1);
      const item = SERIALED[Math.floor(rand() * SERIALED.length)] as number;
      const set = serialSets[holder * nI + item] as Set<string>;
      if (set.size === 0) continue;
      const qty = int(1, Math.min(most, set.size));
      const serials: string[] = [];
      for (const s of set) {
        serials.push(s);
        if (serials.length === qty) break;
      }
      return { holder, line: { item, qty, serials } };
    }
    return null;
  };
  /**
   * New lots from outside the books. A serial-numbered type comes as a small lot with new serials
   * (share `serialShare`), else as a bulk lot without (or, if it only comes serial-numbered, not at all).
   */
  const freshLines = (pool: readonly number[], n: number, serialShare = SERIAL_LOT_SHARE): BookLine[] => {
    const lines: BookLine[] = [];
    const used = new Set<number>();
    for (let k = 0; k < n || lines.length === 0; k++) {
      const item = pool[Math.floor(rand() * pool.length)] as number;
      if (used.has(item)) continue;
      used.add(item);
      const spec = ITEMS[item] as ItemSpec;
      if (spec.serial && rand() < serialShare) {
        const qty = int(1, Math.min(SERIAL_LOT_MAX, spec.max));
        lines.push({ item, qty, serials: newSerials(item, qty).map((s) => s.serial) });
      } else if (!spec.serialOnly) lines.push({ item, qty: qtyFor(item) });
    }
    return lines;
  };
  // toISOString is the hottest call of the generator: format by hand, caching the date part per day.
  let cachedDay = -1;
  let cachedPrefix = '';
  const iso = (t: number): string => {
    const day = Math.floor(t / DAY);
    if (day !== cachedDay) {
      cachedDay = day;
      cachedPrefix = new Date(day * DAY).toISOString().slice(0, 11);
    }
    const ms = t - day * DAY;
    const sec = Math.floor(ms / 1000);
    return `${cachedPrefix}${TWO[Math.floor(sec / 3600)]}:${TWO[Math.floor(sec / 60) % 60]}:${TWO[sec % 60]}Z`;
  };
  /** For inflows: usually now, sometimes backdated by up to four weeks (never before the registrations). */
  const inflowTime = (): Pick<Event, 'occurredAt' | 'occurredPrecision'> => {
    if (rand() >= 0.13) return { occurredAt: iso(clock) };
    const back = Math.max(t0, clock - int(1, 28) * DAY);
    // half of the backdated events only know the day
    if (rand() < 0.5) {
      const day = iso(Math.max(t0, back - (back % DAY))).slice(0, 10);
      return { occurredAt: day, occurredPrecision: 'day' };
    }
    return { occurredAt: iso(back) };
  };

  // ---- operations: each returns an event, or null when its preconditions do not hold now
  const donation = (): Event => {
    const donor = pick(DONORS).id;
    const r = rand();
    const recipient = r < 0.4 ? 0 : r < 0.65 ? nH - 2 : int(0, nH - 1);
    const lines = freshLines(NON_FUNDS, int(1, 4));
    for (const l of lines) give(recipient, l);
    const eventId = id();
    recentDonations.push({ id: eventId, recipient, lines });
    if (recentDonations.length > 64) recentDonations.shift();
    return {
      id: eventId,
      type: 'DonationReceived',
      ...inflowTime(),
      data: { donor, recipient: HOLDERS[recipient]?.id as string, lines: lines.map(toLine), location: pick(LOCATIONS) },
      source,
    };
  };

  const pledge = (): Event => ({
    id: id(),
    type: 'DonationPledged',
    ...inflowTime(),
    data: {
      donor: pick(DONORS).id,
      recipient: rand() < 0.8 ? 'mss' : 'hnp',
      lines: [{ itemType: ITEMS[FUNDS]?.id as string, quantity: exact(int(1, 50_000) * 1_000) }],
    },
    source,
  });

  const dispatch = (): Event | null => {
    if (open.length > 300) return null;
    const slug = `syn-${tag}-shp-${(shipmentNo++).toString(36)}`;
    const r = rand();
    const to = r < 0.5 ? 0 : r < 0.75 ? nH - 2 : int(0, nH - 1);
    const lines = freshLines(NON_FUNDS, int(1, 3));
    const dispatchId = id();
    open.push({
      slug,
      to,
      dispatchId,
      pending: lines.map((l) => ({ ...l, serials: l.serials?.slice() })),
      received: false,
    });
    return {
      id: dispatchId,
      type: 'ShipmentDispatched',
      occurredAt: iso(clock),
      correlationId: slug,
      data: {
        shipmentId: slug,
        from: pick(DONORS).id,
        to: HOLDERS[to]?.id as string,
        lines: lines.map(toLine),
        carrier: pick(CARRIERS),
        origin: pick(ORIGINS),
        destination: 'Port-au-Prince',
      },
      source,
    };
  };

  const receive = (): Event | null => {
    if (open.length === 0) return null;
    const s = open[Math.floor(rand() * open.length)] as OpenShipment;
    const short = rand() < 0.2;
    const lines: BookLine[] = [];
    for (const p of s.pending) {
      if (p.qty === 0) continue;
      if (short && lines.length > 0 && rand() < 0.5) continue;
      const qty = short ? int(1, p.qty) : p.qty;
      const line: BookLine = p.serials
        ? { item: p.item, qty, serials: p.serials.splice(0, qty) }
        : { item: p.item, qty };
      p.qty -= qty;
      lines.push(line);
    }
    if (lines.length === 0) return close(s);
    s.received = true;
    for (const l of lines) give(s.to, l);
    return {
      id: id(),
      type: 'ShipmentReceived',
      occurredAt: iso(clock),
      correlationId: s.slug,
      causationId: s.dispatchId,
      data: { shipmentId: s.slug, lines: lines.map(toLine), location: pick(LOCATIONS) },
      source,
    };
  };

  const close = (target?: OpenShipment): Event | null => {
    const s = target ?? open[Math.floor(rand() * open.length)];
    if (!s || (!target && !s.received)) return null;
    const at = open.indexOf(s);
    open[at] = open[open.length - 1] as OpenShipment;
    open.pop();
    const shortfall = s.pending.some((p) => p.qty > 0);
    return {
      id: id(),
      type: 'ShipmentClosed',
      occurredAt: iso(clock),
      correlationId: s.slug,
      causationId: s.dispatchId,
      data: { shipmentId: s.slug, writeOffReason: shortfall ? pick(['lost', 'damaged', 'diverted'] as const) : 'lost' },
      source,
    };
  };

  const transfer = (): Event | null => {
    const from = int(0, nH - 1);
    const lines = linesFrom(from, int(1, 3), 0.5);
    if (lines.length === 0) return null;
    let to = int(0, nH - 2);
    if (to >= from) to++;
    for (const l of lines) {
      take(from, l);
      give(to, l);
    }
    return {
      id: id(),
      type: 'MaterielTransferred',
      occurredAt: iso(clock),
      data: {
        from: HOLDERS[from]?.id as string,
        to: HOLDERS[to]?.id as string,
        lines: lines.map(toLine),
        location: pick(LOCATIONS),
      },
      source,
    };
  };

  const seize = (): Event => {
    const by = pick(SEIZERS);
    const lines: Line[] = [];
    const used = new Set<number>();
    const n = int(1, 3);
    for (let k = 0; k < n; k++) {
      const item = pick(SEIZABLE);
      if (used.has(item)) continue;
      used.add(item);
      const spec = ITEMS[item] as ItemSpec;
      // a few weapons taken one by one are booked with their serials; caches are counted in bulk
      const numbered = spec.serial !== undefined && rand() < SEIZED_SERIAL_SHARE;
      const qty = numbered
        ? int(1, SERIAL_LOT_MAX)
        : spec.unit === 'rounds'
          ? int(1, 50) * 10
          : int(1, Math.max(1, Math.ceil(spec.max / 4)));
      // seized weapons often have filed-off serials: the ledger assigns one
      const serials = numbered ? newSerials(item, qty, 0.4) : undefined;
      give(by, { item, qty, serials: serials?.map((s) => s.serial) });
      const approx = !serials && rand() < 0.05;
      lines.push({
        itemType: spec.id,
        quantity: approx ? { value: qty, precision: 'at-least', reported: `at least ${qty}` } : exact(qty),
        ...(serials ? { serials } : {}),
      });
    }
    return {
      id: id(),
      type: 'MaterielSeized',
      ...inflowTime(),
      data: { from: pick(GANGS).id, by: HOLDERS[by]?.id as string, lines, location: pick(LOCATIONS) },
      source,
    };
  };

  const expend = (): Event | null => {
    const holder = int(0, nH - 1);
    const lines = linesFrom(holder, 1, 0.3);
    const line = lines[0];
    if (!line) return null;
    const category = ITEMS[line.item]?.category;
    const reason =
      category === 'ammunition'
        ? rand() < 0.92
          ? 'consumed'
          : 'lost'
        : pick(['destroyed', 'destroyed', 'unserviceable', 'unserviceable', 'lost', 'stolen'] as const);
    take(holder, line);
    return {
      id: id(),
      type: 'MaterielExpended',
      occurredAt: iso(clock),
      data: { holder: HOLDERS[holder]?.id as string, reason, lines: [toLine(line)], location: pick(LOCATIONS) },
      source,
    };
  };

  /** Serial-numbered items held inside the books change hands: the serials move, the population does not grow. */
  const transferSerials = (): Event | null => {
    const lot = serialLot(SERIAL_LOT_MAX);
    if (!lot) return null;
    const { holder: from, line } = lot;
    let to = int(0, nH - 2);
    if (to >= from) to++;
    take(from, line);
    give(to, line);
    return {
      id: id(),
      type: 'MaterielTransferred',
      occurredAt: iso(clock),
      data: {
        from: HOLDERS[from]?.id as string,
        to: HOLDERS[to]?.id as string,
        lines: [toLine(line)],
        location: pick(LOCATIONS),
      },
      source,
    };
  };

  /** One or two serial-numbered items are written off. */
  const expendSerials = (): Event | null => {
    const lot = serialLot(2);
    if (!lot) return null;
    take(lot.holder, lot.line);
    return {
      id: id(),
      type: 'MaterielExpended',
      occurredAt: iso(clock),
      data: {
        holder: HOLDERS[lot.holder]?.id as string,
        reason: pick(['destroyed', 'unserviceable', 'unserviceable', 'lost', 'stolen'] as const),
        lines: [toLine(lot.line)],
        location: pick(LOCATIONS),
      },
      source,
    };
  };

  const deploy = (): Event => {
    const c = int(0, COUNTRIES.length - 1);
    const spec = COUNTRIES[c] as (typeof COUNTRIES)[number];
    const role = pick(spec.roles);
    const n = role === 'civilian' ? int(1, 20) : int(10, 250);
    const k = c * roles.length + roles.indexOf(role);
    headcount[k] = (headcount[k] as number) + n;
    return {
      id: id(),
      type: 'PersonnelDeployed',
      ...inflowTime(),
      data: {
        country: spec.country,
        role,
        count: exact(n),
        contingent: `mss-${spec.country}`,
        location: 'Port-au-Prince',
      },
      source,
    };
  };

  const depart = (): Event | null => {
    for (let attempt = 0; attempt < 6; attempt++) {
      const k = int(0, headcount.length - 1);
      const have = headcount[k] as number;
      if (have <= 0) continue;
      const spec = COUNTRIES[Math.floor(k / roles.length)] as (typeof COUNTRIES)[number];
      const role = roles[k % roles.length] as PersonnelRole;
      const r = rand();
      const reason = r < 0.7 ? 'rotation' : r < 0.8 ? 'casualty' : r < 0.95 ? 'repatriation' : 'other';
      const n = reason === 'casualty' ? int(1, Math.min(3, have)) : int(1, have);
      headcount[k] = have - n;
      return {
        id: id(),
        type: 'PersonnelDeparted',
        occurredAt: iso(clock),
        data: { country: spec.country, role, count: exact(n), reason, contingent: `mss-${spec.country}` },
        source,
      };
    }
    return null;
  };

  const reverse = (): Event | null => {
    if (recentDonations.length === 0) return null;
    const at = Math.floor(rand() * recentDonations.length);
    const d = recentDonations[at] as BookedDonation;
    recentDonations.splice(at, 1); // reversed or not, never a candidate again
    for (const l of d.lines) {
      const k = d.recipient * nI + l.item;
      if (l.serials) {
        const set = serialSets[k] as Set<string>;
        for (const s of l.serials) if (!set.has(s)) return null;
      } else if (unnumbered(d.recipient, l.item) < l.qty) return null;
    }
    for (const l of d.lines) take(d.recipient, l);
    return {
      id: id(),
      type: 'EntryReversed',
      occurredAt: iso(clock),
      causationId: d.id,
      data: { eventId: d.id, reason: 'Synthetic correction: donation recorded in error' },
      source,
    };
  };

  // cumulative weights per operation
  const ops: [number, () => Event | null][] = [
    [14, donation],
    [9, dispatch],
    [10, receive],
    [4, () => close()],
    [20, transfer],
    [2, transferSerials],
    [10, seize],
    [14, expend],
    [0.3, expendSerials],
    [6, deploy],
    [5, depart],
    [1.2, reverse],
    [2.5, pledge],
  ];
  const total = ops.reduce((sum, [w]) => sum + w, 0);

  while (emitted < count) {
    clock = Math.min(t1, clock + Math.floor(step * 2 * rand()));
    let r = rand() * total;
    let op: () => Event | null = donation;
    for (const [w, f] of ops) {
      if (r < w) {
        op = f;
        break;
      }
      r -= w;
    }
    const event = op() ?? donation();
    emitted++;
    yield event;
  }
}
