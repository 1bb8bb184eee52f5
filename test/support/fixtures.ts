/** Small, readable events for tests: parties, item types and movements with sensible defaults. */
import type { IncomingEvent } from '../../events/index.js';

let counter = 0;
/** A fresh, valid UUID per call, deterministic within a test file. */
export const newId = () => `00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, '0')}`;

const base = (occurredAt = '2025-02-10') => ({ occurredAt });

export const party = (partyId: string, kind: string, name = partyId): IncomingEvent =>
  ({ ...base('2024-01-01'), id: newId(), type: 'PartyRegistered', data: { partyId, kind, name } }) as IncomingEvent;

export const itemType = (id: string, category: string, unit = 'each'): IncomingEvent =>
  ({
    ...base('2024-01-01'),
    id: newId(),
    type: 'ItemTypeRegistered',
    data: { itemType: id, name: id, category, unit },
  }) as IncomingEvent;

export const qty = (value: number, precision: 'exact' | 'at-least' | 'approximate' = 'exact') => ({ value, precision });

export const line = (item: string, value: number, serials?: string[]) => ({
  itemType: item,
  quantity: qty(value),
  ...(serials ? { serials: serials.map((serial) => ({ serial, assigned: false })) } : {}),
});

type Lines = ReturnType<typeof line>[];

export const donation = (donor: string, recipient: string, lines: Lines, occurredAt = '2025-02-10'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'DonationReceived',
  data: { donor, recipient, lines },
});

export const transfer = (from: string, to: string, lines: Lines, occurredAt = '2025-03-01'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'MaterielTransferred',
  data: { from, to, lines },
});

export const dispatch = (
  shipmentId: string,
  from: string,
  to: string,
  lines: Lines,
  occurredAt = '2025-02-01',
): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'ShipmentDispatched',
  data: { shipmentId, from, to, lines },
});

export const receipt = (shipmentId: string, lines: Lines, occurredAt = '2025-02-05'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'ShipmentReceived',
  data: { shipmentId, lines },
});

export const close = (shipmentId: string, occurredAt = '2025-02-20'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'ShipmentClosed',
  data: { shipmentId, writeOffReason: 'lost' },
});

export const seizure = (from: string, by: string, lines: Lines, occurredAt = '2025-02-09'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'MaterielSeized',
  data: { from, by, lines },
});

export const expended = (holder: string, lines: Lines, occurredAt = '2025-04-01'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'MaterielExpended',
  data: { holder, reason: 'destroyed', lines },
});

export const deployed = (country: string, count: number, occurredAt = '2024-06-25'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'PersonnelDeployed',
  data: { country, role: 'police', count: qty(count) },
});

export const departed = (country: string, count: number, occurredAt = '2025-06-25'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'PersonnelDeparted',
  data: { country, role: 'police', count: qty(count), reason: 'rotation' },
});

export const reversal = (eventId: string, occurredAt = '2025-05-01'): IncomingEvent => ({
  ...base(occurredAt),
  id: newId(),
  type: 'EntryReversed',
  data: { eventId, reason: 'recorded in error' },
});

/** A small world: a donor, the mission, the police, a gang, and a few item types. */
export const world = (): IncomingEvent[] => [
  party('us-inl', 'donor', 'US INL'),
  party('mss', 'mission', 'MSS'),
  party('hnp', 'police', 'Haitian National Police'),
  party('gang-5-segonn', 'armed-group', '5 Segonn'),
  itemType('rifle', 'firearm'),
  itemType('apc', 'armored-vehicle'),
  itemType('rounds', 'ammunition', 'rounds'),
];
