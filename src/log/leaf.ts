/**
 * What a leaf of the log is: the RFC 8785 canonical JSON of an event exactly
 * as one line of the NDJSON export carries it. The export writes its lines
 * with `exportLine`, so an auditor holding an export recomputes every leaf
 * from the line alone (`leafOfLine`), and the service from the event
 * (`leafOfEvent`): one serializer, two readers.
 */
import canonicalize from 'canonicalize';
import type { RecordedEvent } from '../../events/index.js';
import { leafHash } from './merkle.js';

/** One line of GET /v1/events/export, without its newline. */
export const exportLine = (event: RecordedEvent): string => JSON.stringify(event);

const canonical = (value: unknown): Buffer => {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('an event has no canonical JSON');
  return Buffer.from(text, 'utf8');
};

/** RFC 8785 bytes of the event as the export carries it (undefined fields dropped, as JSON does). */
export const leafOfEvent = (event: RecordedEvent): Buffer => canonical(event);

/** The same bytes from an export line: parsing it back gives the object the export wrote. */
export const leafOfLine = (line: string): Buffer => canonical(JSON.parse(line));

export const leafHashOfEvent = (event: RecordedEvent): Buffer => leafHash(leafOfEvent(event));
