/**
 * An example request body for every event type, for the OpenAPI document.
 * Where the mission's seeded history has an event of the type, the example
 * is that event as it was recorded (with its citation); for the types the
 * history does not contain, a realistic example on the same parties and items.
 */
import { EVENT_TYPES, type EventType, type IncomingEvent } from '../../../events/index.js';
import { missionHistory } from '../../../seeds/mission-history.js';

const invented: Partial<Record<EventType, IncomingEvent>> = {
  ShipmentClosed: {
    id: '0193f7c6-5a2b-7c1d-9e8f-0000000000a1',
    type: 'ShipmentClosed',
    occurredAt: '2025-02-28',
    data: { shipmentId: 'heli-medevac-from-el-salvador', writeOffReason: 'lost' },
    source: { document: 'example: closing note for the shipment (not in the seeded history)' },
  },
  MaterielTransferred: {
    id: '0193f7c6-5a2b-7c1d-9e8f-123456789abc',
    type: 'MaterielTransferred',
    occurredAt: '2025-03-01',
    data: {
      from: 'mss',
      to: 'hnp',
      lines: [{ itemType: 'firearm-assorted', quantity: { value: 50, precision: 'exact' } }],
      location: 'Port-au-Prince',
    },
    source: { document: 'example: handover note HN-2025-014 (not in the seeded history)' },
  },
  MaterielExpended: {
    id: '0193f7c6-5a2b-7c1d-9e8f-0000000000a2',
    type: 'MaterielExpended',
    occurredAt: '2025-03-15',
    data: {
      holder: 'mss',
      reason: 'consumed',
      lines: [{ itemType: 'ammunition-assorted', quantity: { value: 10, precision: 'approximate', upTo: 20 } }],
      location: 'Croix-des-Bouquets',
    },
    source: { document: 'example: after-action report (not in the seeded history)' },
  },
  PersonnelDeparted: {
    id: '0193f7c6-5a2b-7c1d-9e8f-0000000000a3',
    type: 'PersonnelDeparted',
    occurredAt: '2025-06-30',
    occurredPrecision: 'month',
    data: {
      country: 'kenya',
      role: 'police',
      count: { value: 20, precision: 'exact' },
      reason: 'rotation',
      contingent: 'mss-kenya',
    },
    source: { document: 'example: rotation order (not in the seeded history)' },
  },
};

export interface EventExample {
  summary: string;
  value: IncomingEvent;
}

export function eventExamples(): Record<string, EventExample> {
  const examples: Record<string, EventExample> = {};
  for (const type of EVENT_TYPES) {
    const seeded = missionHistory.find((e) => e.type === type);
    const value = seeded ?? invented[type];
    if (!value) continue;
    examples[type] = {
      summary: seeded ? `${type} (from the seeded mission history)` : `${type} (illustrative)`,
      value,
    };
  }
  return examples;
}
