/**
 * Old events stay readable forever: when a schema changes, its version goes
 * up and an upcaster here turns the stored old shape into the current one as
 * it is read. Stored events are never rewritten.
 */
import { EVENT_VERSIONS, isEventType } from './versions.js';
import type { FoldableEvent, LedgerEvent, RecordedEvent, StoredEvent } from './envelope.js';

type Upcaster = (data: unknown) => unknown;

/** upcasters[type][n] turns version n into version n + 1. None yet: every type is at version 1. */
export const upcasters: Partial<Record<string, Record<number, Upcaster>>> = {};

export class UnknownEventTypeError extends Error {
  constructor(readonly eventType: string) {
    super(`unknown event type ${eventType}`);
  }
}

/**
 * Brings a recorded event up to its type's current version. Stored data was
 * validated when it was appended, so this does not validate again: replaying a
 * million events must stay cheap.
 */
export function upcast(event: RecordedEvent): LedgerEvent;
export function upcast(event: StoredEvent): FoldableEvent;
export function upcast(event: StoredEvent): FoldableEvent {
  if (!isEventType(event.type)) throw new UnknownEventTypeError(event.type);
  const current: number = EVENT_VERSIONS[event.type];
  if (event.schemaVersion === current) return event as FoldableEvent;
  let data = event.data;
  for (let version = event.schemaVersion; version < current; version++) {
    const step = upcasters[event.type]?.[version];
    if (!step) throw new Error(`no upcaster for ${event.type} v${version}`);
    data = step(data);
  }
  return { ...event, schemaVersion: current, data } as FoldableEvent;
}
