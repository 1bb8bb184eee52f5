/**
 * Every event type and its current schema version: what reading a stored event back needs
 * (upcast.ts), kept apart from the schemas so that a fold can run without loading zod (a rebuild's
 * worker thread starts that much sooner). The catalogue takes its versions from here.
 */
export const EVENT_VERSIONS = {
  PartyRegistered: 1,
  ItemTypeRegistered: 1,
  ShipmentDispatched: 1,
  ShipmentReceived: 1,
  ShipmentClosed: 1,
  DonationReceived: 1,
  DonationPledged: 1,
  MaterielTransferred: 1,
  MaterielSeized: 1,
  MaterielExpended: 1,
  PersonnelDeployed: 1,
  PersonnelDeparted: 1,
  PersonnelPledged: 1,
  EntryReversed: 1,
} as const;

export type EventType = keyof typeof EVENT_VERSIONS;

export const isEventType = (type: string): type is EventType => Object.hasOwn(EVENT_VERSIONS, type);
