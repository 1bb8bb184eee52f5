/**
 * What a leaf of the log is: the RFC 8785 canonical JSON of an event exactly
 * as one line of the NDJSON export carries it. The export writes every line
 * in that canonical form (`exportLine`), so a line's bytes ARE its leaf: an
 * auditor hashes the lines of an export as they are, without parsing them,
 * and the service computes the same bytes from the stored event. One
 * serializer, two readers.
 */
import canonicalize from 'canonicalize';
import type { RecordedEvent } from '../../events/index.js';
import { leafHash } from './merkle.js';

/** One line of GET /v1/events/export, without its newline: the event's RFC 8785 JSON (undefined fields dropped, as JSON does). */
export function exportLine(event: RecordedEvent): string {
  const text = canonicalize(event);
  if (text === undefined) throw new Error('an event has no canonical JSON');
  return text;
}

/** The leaf bytes of a stored event. */
export const leafOfEvent = (event: RecordedEvent): Buffer => Buffer.from(exportLine(event), 'utf8');

/** The leaf bytes of an export line: the line itself. */
export const leafOfLine = (line: string): Buffer => Buffer.from(line, 'utf8');

export const leafHashOfEvent = (event: RecordedEvent): Buffer => leafHash(leafOfEvent(event));
