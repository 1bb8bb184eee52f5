/**
 * What a leaf of the log is: the RFC 8785 canonical JSON of an event exactly
 * as one line of the NDJSON export carries it. The export writes every line
 * in that canonical form (`exportLine`), so a line's bytes ARE its leaf: an
 * auditor hashes the lines of an export as they are, without parsing them,
 * and the service computes the same bytes from the stored event. One
 * serializer, two readers.
 *
 * The serializer is ours, written for the one shape it serializes (an event
 * envelope, whose sorted key order is known, around JSON data), because the
 * service runs it on every event it records. The `canonicalize` package is
 * the reference: test/log/leaf.test.ts proves the two byte-identical over
 * arbitrary events, and anything outside plain JSON data goes to it.
 */
import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { RecordedEvent } from '../../events/index.js';
import { isWellFormed } from '../../events/text.js';

/** The reference serializer (the `canonicalize` package), for what the fast path does not take. */
export function referenceLine(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('an event has no canonical JSON');
  return text;
}

/**
 * Thrown for what the fast path does not take (a lone surrogate, NaN, toJSON, a function, a hole, a key
 * that looks like an array index…): the whole line then goes to the reference, which serializes it or
 * throws as it always did.
 */
const NOT_PLAIN = new Error('not plain JSON data');

/**
 * JSON data with every object's keys in RFC 8785 order: the value itself when they are already, else a
 * copy. JSON.stringify of the result is then the RFC 8785 form: it writes keys in insertion order,
 * numbers in the ES form RFC 8785 §3.2.2.3 specifies (-0 as 0), and strings escaped as §3.2.2.2 does.
 * What JSON.stringify would write differently from RFC 8785 is refused: a lone surrogate or a non-finite
 * number (errors in RFC 8785), a key made of digits (V8 keeps those first, in numeric order), `__proto__`.
 */
function sortedData(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw NOT_PLAIN;
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return value;
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return value;
      if (Array.isArray(value)) {
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
        let copy: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined && !(i in value)) throw NOT_PLAIN; // a hole, which the reference writes as nothing
          const sorted = item === undefined ? item : sortedData(item);
          if (sorted !== item) copy ??= value.slice(0, i);
          if (copy) copy.push(sorted);
        }
        return copy ?? value;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN; // a Date, a Map, a class: the reference decides
      const record = value as Record<string, unknown>;
      if (typeof record.toJSON === 'function') throw NOT_PLAIN;
      const keys = Object.keys(record);
      let inOrder = true;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const first = key.charCodeAt(0);
        if ((first >= 0x30 && first <= 0x39) || key === '__proto__' || !isWellFormed(key)) throw NOT_PLAIN;
        if (i > 0 && keys[i - 1]! > key) inOrder = false;
      }
      if (!inOrder) keys.sort();
      let copy: Record<string, unknown> | undefined = inOrder ? undefined : {};
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const item = record[key];
        const sorted = item === undefined ? item : sortedData(item);
        if (!copy && sorted !== item) {
          copy = {};
          for (let j = 0; j < i; j++) copy[keys[j]!] = record[keys[j]!];
        }
        if (copy) copy[key] = sorted;
      }
      return copy ?? value;
    }
    default:
      throw NOT_PLAIN; // a function, a symbol, a bigint
  }
}

/** The envelope's keys in RFC 8785 order; `envelopeLine` writes them in this order. */
const ENVELOPE_KEYS = [
  'data',
  'globalPosition',
  'id',
  'metadata',
  'occurredAt',
  'recordedAt',
  'recordedBy',
  'schemaVersion',
  'stream',
  'streamRevision',
  'type',
] as const;

/** An envelope with exactly its keys, of their types (its strings may still be ill-formed). */
const isEnvelopeShape = (event: RecordedEvent): boolean => {
  const keys = Object.keys(event);
  if (keys.length !== ENVELOPE_KEYS.length) return false;
  for (const key of ENVELOPE_KEYS) if (!Object.hasOwn(event, key)) return false;
  return (
    Object.getPrototypeOf(event) === Object.prototype &&
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    typeof event.stream === 'string' &&
    typeof event.occurredAt === 'string' &&
    typeof event.recordedAt === 'string' &&
    typeof event.recordedBy === 'string' &&
    Number.isFinite(event.streamRevision) &&
    Number.isFinite(event.globalPosition) &&
    Number.isFinite(event.schemaVersion) &&
    event.data !== undefined &&
    event.metadata !== undefined
  );
};

const isEnvelope = (event: RecordedEvent): boolean =>
  isEnvelopeShape(event) &&
  isWellFormed(event.id) &&
  isWellFormed(event.type) &&
  isWellFormed(event.stream) &&
  isWellFormed(event.occurredAt) &&
  isWellFormed(event.recordedAt) &&
  isWellFormed(event.recordedBy);

/** Printable ASCII but `"` and `\\`: what JSON (and RFC 8785) writes between quotes as it is. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string's RFC 8785 form, or undefined for one that is not well-formed (RFC 8785 has no form for it). */
const quoted = (text: string): string | undefined =>
  PLAIN_TEXT.test(text) ? `"${text}"` : isWellFormed(text) ? JSON.stringify(text) : undefined;

/** An envelope's line: its keys written in their known sorted order, by one native JSON.stringify. */
const envelopeLine = (e: RecordedEvent): string =>
  JSON.stringify({
    data: sortedData(e.data),
    globalPosition: e.globalPosition,
    id: e.id,
    metadata: sortedData(e.metadata),
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    recordedBy: e.recordedBy,
    schemaVersion: e.schemaVersion,
    stream: e.stream,
    streamRevision: e.streamRevision,
    type: e.type,
  });

/**
 * The RFC 8785 JSON of JSON data, or undefined for what the fast path does not take (see `sortedData`).
 * The embedded store writes an event's data and metadata in this form while the log is on, so the
 * event's line is then put together from them (`exportLineOf`) instead of serialized a second time.
 */
export function canonicalJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(sortedData(value));
  } catch {
    return undefined;
  }
}

/**
 * An event's export line, given the RFC 8785 JSON of its data and metadata (`canonicalJson`): the
 * bytes `exportLine` writes, the envelope's fields written around the two in their sorted order.
 */
export function exportLineOf(event: RecordedEvent, data: string, metadata: string): string {
  if (!isEnvelopeShape(event)) return exportLine(event);
  // The envelope's strings are mostly ids, dates and names in plain ASCII: quoted as they are.
  const id = quoted(event.id);
  const occurredAt = quoted(event.occurredAt);
  const recordedAt = quoted(event.recordedAt);
  const recordedBy = quoted(event.recordedBy);
  const stream = quoted(event.stream);
  const type = quoted(event.type);
  if (
    id === undefined ||
    occurredAt === undefined ||
    recordedAt === undefined ||
    recordedBy === undefined ||
    stream === undefined ||
    type === undefined
  )
    return exportLine(event); // the reference decides (and refuses) what RFC 8785 cannot write
  return `{"data":${data},"globalPosition":${event.globalPosition},"id":${id},"metadata":${metadata},"occurredAt":${occurredAt},"recordedAt":${recordedAt},"recordedBy":${recordedBy},"schemaVersion":${event.schemaVersion},"stream":${stream},"streamRevision":${event.streamRevision},"type":${type}}`;
}

/** One line of GET /v1/events/export, without its newline: the event's RFC 8785 JSON (undefined fields dropped, as JSON does). */
export function exportLine(event: RecordedEvent): string {
  if (isEnvelope(event))
    try {
      return envelopeLine(event);
    } catch {
      // not plain JSON data (or a cycle): the reference decides
    }
  return referenceLine(event);
}

/** The leaf bytes of a stored event. */
export const leafOfEvent = (event: RecordedEvent): Buffer => Buffer.from(exportLine(event), 'utf8');

/** The leaf bytes of an export line: the line itself. */
export const leafOfLine = (line: string): Buffer => Buffer.from(line, 'utf8');

/**
 * RFC 9162 §2.1.1: SHA-256(0x00 ‖ the event's export line), as a 32-character binary (latin1) string
 * for `MerkleTree.appendBinary`: a string costs the GC far less than a Buffer.
 */
export const leafHashBinaryOfEvent = (event: RecordedEvent): string => leafHashBinaryOfLine(exportLine(event));

/**
 * RFC 9162 §2.1.1: SHA-256(0x00 ‖ an export line), as `leafHashBinaryOfEvent`. U+0000 is the byte 0x00
 * in UTF-8, so the prefix goes in the string, and the line is encoded once, by the hash itself.
 */
export const leafHashBinaryOfLine = (line: string): string => hash('sha256', `\u0000${line}`, 'binary');

/** RFC 9162 §2.1.1: SHA-256(0x00 ‖ the event's export line). */
export const leafHashOfEvent = (event: RecordedEvent): Buffer => Buffer.from(leafHashBinaryOfEvent(event), 'latin1');

/**
 * An append's events as the store wrote their rows, packed flat for the leaf thread (leaf-thread.ts):
 * the stream and the time they were recorded, then for each event, in this order, its id, type,
 * schemaVersion, occurredAt, recordedBy, globalPosition, streamRevision, and the JSON its row holds
 * for data and for metadata. A flat array of strings and numbers crosses to a worker cheaply.
 */
export type StoredAppend = (string | number)[];

/** Values an event takes in a StoredAppend. */
export const STORED_APPEND_FIELDS = 9;

/** An append's events (one stream, one recording time) and the JSON their rows hold, packed as a StoredAppend. */
export function storedAppendOf(
  events: readonly RecordedEvent[],
  data: readonly string[],
  metadata: readonly string[],
): StoredAppend {
  const first = events[0]!;
  const append: StoredAppend = [first.stream, first.recordedAt];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    append.push(
      e.id,
      e.type,
      e.schemaVersion,
      e.occurredAt,
      e.recordedBy,
      e.globalPosition,
      e.streamRevision,
      data[i]!,
      metadata[i]!,
    );
  }
  return append;
}

/**
 * The leaf hashes of a StoredAppend's events, each as `leafHashBinaryOfEvent`, one after another in
 * one binary string (32 characters an event). The leaf is made from the rows' JSON parsed back, as
 * the export makes its lines: what an auditor recomputes from an export is what is hashed here.
 */
export function leafHashesOfStored(append: StoredAppend): string {
  const stream = append[0] as string;
  const recordedAt = append[1] as string;
  let hashes = '';
  for (let at = 2; at < append.length; at += STORED_APPEND_FIELDS) {
    const event: RecordedEvent = {
      data: JSON.parse(append[at + 7] as string) as unknown,
      globalPosition: append[at + 5] as number,
      id: append[at] as string,
      metadata: JSON.parse(append[at + 8] as string) as RecordedEvent['metadata'],
      occurredAt: append[at + 3] as string,
      recordedAt,
      recordedBy: append[at + 4] as string,
      schemaVersion: append[at + 2] as number,
      stream,
      streamRevision: append[at + 6] as number,
      type: append[at + 1] as string,
    };
    hashes += leafHashBinaryOfEvent(event);
  }
  return hashes;
}
