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
import { isCanonicalJson } from './canonical-check.js';

/** The reference serializer (the `canonicalize` package), for what the fast path does not take. */
export function referenceLine(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('an event has no canonical JSON');
  return text;
}

/**
 * Thrown for what the fast path does not take (a lone surrogate, NaN, toJSON, a function, a hole, a Date
 * or a Map, `__proto__`…): the whole line then goes to the reference, which serializes it or throws as
 * it always did.
 */
const NOT_PLAIN = new Error('not plain JSON data');

/** Printable ASCII but `"` and `\\`: what JSON (and RFC 8785) writes between quotes as it is. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string's RFC 8785 form, or undefined for one that is not well-formed (RFC 8785 has no form for it). */
const quoted = (text: string): string | undefined =>
  PLAIN_TEXT.test(text) ? `"${text}"` : isWellFormed(text) ? JSON.stringify(text) : undefined;

/**
 * Each key's RFC 8785 form with its colon, made once: the keys of events' data are a few dozen names
 * met on every event. Bounded, so that data with ever new keys cannot grow it without end.
 */
const keyTexts = new Map<string, string>();
const KEY_TEXTS_MAX = 4096;

function keyText(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    // `__proto__` is left to the reference, as it always was: whether an object holds it as its own
    // key depends on how the object was made.
    const form = key === '__proto__' ? undefined : quoted(key);
    if (form === undefined) throw NOT_PLAIN;
    text = `${form}:`;
    if (keyTexts.size < KEY_TEXTS_MAX) keyTexts.set(key, text);
  }
  return text;
}

/**
 * The sorted order of key lists met out of order, by their first key, checked whole before use: the
 * objects of one event type (as zod writes them, in schema order) share theirs, and sorting each
 * again was a third of a leaf's serialization.
 */
const keyOrders = new Map<string, { keys: string[]; sorted: string[] }>();
const KEY_ORDERS_MAX = 1024;

/** `keys` in RFC 8785 order (by UTF-16 code units, as `<` and the default sort compare strings). */
function inCanonicalOrder(keys: string[]): string[] {
  let i = 1;
  while (i < keys.length && keys[i - 1]! < keys[i]!) i++;
  if (i >= keys.length) return keys;
  const known = keyOrders.get(keys[0]!);
  if (known !== undefined && known.keys.length === keys.length) {
    let same = 0;
    while (same < keys.length && known.keys[same] === keys[same]) same++;
    if (same === keys.length) return known.sorted;
  }
  const sorted = [...keys].sort();
  if (keyOrders.size < KEY_ORDERS_MAX) keyOrders.set(keys[0]!, { keys, sorted });
  return sorted;
}

/**
 * The RFC 8785 JSON of JSON data, written directly: keys in sorted order, numbers in the ES form RFC
 * 8785 §3.2.2.3 specifies (-0 as 0), strings escaped as §3.2.2.2 does (JSON.stringify's escapes).
 * Undefined values are left out of objects and written as null in arrays, as JSON.stringify does.
 * What it cannot write as the reference would throws NOT_PLAIN: a lone surrogate or a non-finite
 * number (errors in RFC 8785), a hole, toJSON, anything but a plain object or array, `__proto__`.
 */
function canonicalText(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const text = quoted(value);
      if (text === undefined) throw NOT_PLAIN;
      return text;
    }
    case 'number':
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
        let text = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined && !(i in value)) throw NOT_PLAIN; // a hole, which the reference writes as nothing
          text += (i === 0 ? '' : ',') + (item === undefined ? 'null' : canonicalText(item));
        }
        return `${text}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN; // a Date, a Map, a class: the reference decides
      const record = value as Record<string, unknown>;
      if (typeof record.toJSON === 'function') throw NOT_PLAIN;
      const keys = inCanonicalOrder(Object.keys(record));
      let text = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const item = record[key];
        if (item === undefined) continue;
        text += (first ? '' : ',') + keyText(key) + canonicalText(item);
        first = false;
      }
      return `${text}}`;
    }
    default:
      throw NOT_PLAIN; // a function, a symbol, a bigint, undefined
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

/** An event without its data and metadata: what a line is written around them. */
export type Envelope = Omit<RecordedEvent, 'data' | 'metadata'>;

/** An envelope's values of their types (its strings may still be ill-formed): what `envelopeLine` writes as they are. */
const hasEnvelopeTypes = (event: Envelope): boolean =>
  typeof event.id === 'string' &&
  typeof event.type === 'string' &&
  typeof event.stream === 'string' &&
  typeof event.occurredAt === 'string' &&
  typeof event.recordedAt === 'string' &&
  typeof event.recordedBy === 'string' &&
  Number.isFinite(event.streamRevision) &&
  Number.isFinite(event.globalPosition) &&
  Number.isFinite(event.schemaVersion);

/** An envelope with exactly its keys, of their types (its strings may still be ill-formed). */
const isEnvelopeShape = (event: RecordedEvent): boolean => {
  const keys = Object.keys(event);
  if (keys.length !== ENVELOPE_KEYS.length) return false;
  for (const key of ENVELOPE_KEYS) if (!Object.hasOwn(event, key)) return false;
  return (
    Object.getPrototypeOf(event) === Object.prototype &&
    hasEnvelopeTypes(event) &&
    event.data !== undefined &&
    event.metadata !== undefined
  );
};

/**
 * An envelope's line: its keys written in their known sorted order around the RFC 8785 JSON of its
 * data and metadata; undefined when one of its strings has no RFC 8785 form (the reference decides).
 */
function envelopeLine(event: Envelope, data: string, metadata: string): string | undefined {
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
    return undefined;
  return `{"data":${data},"globalPosition":${event.globalPosition},"id":${id},"metadata":${metadata},"occurredAt":${occurredAt},"recordedAt":${recordedAt},"recordedBy":${recordedBy},"schemaVersion":${event.schemaVersion},"stream":${stream},"streamRevision":${event.streamRevision},"type":${type}}`;
}

/**
 * The RFC 8785 JSON of JSON data, or undefined for what the fast path does not take (see `canonicalText`).
 * The embedded store writes every event's data and metadata in this form, so the event's line is
 * put together from them (`exportLineOf`, `exportLineOfTexts`) instead of serialized again.
 */
export function canonicalJson(value: unknown): string | undefined {
  try {
    return canonicalText(value);
  } catch {
    return undefined;
  }
}

/**
 * An event's export line, given the RFC 8785 JSON of its data and metadata (`canonicalJson`): the
 * bytes `exportLine` writes, the envelope's fields written around the two in their sorted order.
 */
export function exportLineOf(event: RecordedEvent, data: string, metadata: string): string {
  return (isEnvelopeShape(event) ? envelopeLine(event, data, metadata) : undefined) ?? exportLine(event);
}

/**
 * An event's export line from its envelope and the JSON texts stored for its data and metadata.
 * Where both texts are in RFC 8785 form already (the embedded store writes them so; canonical-check.ts
 * says how that is known without parsing them), the line is put together around them, nothing parsed
 * or serialized. Any other texts, or an envelope value not of its type, are parsed back and the
 * event serialized (`exportLine`), which gives the same line for the same event.
 */
export function exportLineOfTexts(envelope: Envelope, data: string, metadata: string): string {
  const assembled =
    typeof data === 'string' &&
    typeof metadata === 'string' &&
    hasEnvelopeTypes(envelope) &&
    isCanonicalJson(data) &&
    isCanonicalJson(metadata)
      ? envelopeLine(envelope, data, metadata)
      : undefined;
  return (
    assembled ??
    exportLine({
      ...envelope,
      data: JSON.parse(data) as unknown,
      metadata: JSON.parse(metadata) as RecordedEvent['metadata'],
    })
  );
}

/** One line of GET /v1/events/export, without its newline: the event's RFC 8785 JSON (undefined fields dropped, as JSON does). */
export function exportLine(event: RecordedEvent): string {
  if (isEnvelopeShape(event))
    try {
      const line = envelopeLine(event, canonicalText(event.data), canonicalText(event.metadata));
      if (line !== undefined) return line;
    } catch {
      // not plain JSON data (or a cycle, which overflows the stack): the reference decides
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
 * one binary string (32 characters an event). A row whose JSON is in RFC 8785 form already (as the
 * embedded store writes it) has its line put together around that JSON; any other is parsed back
 * and serialized, as the export makes its lines. Either way, what an auditor recomputes from an
 * export is what is hashed here.
 */
export function leafHashesOfStored(append: StoredAppend): string {
  const stream = append[0] as string;
  const recordedAt = append[1] as string;
  let hashes = '';
  for (let at = 2; at < append.length; at += STORED_APPEND_FIELDS) {
    const envelope: Envelope = {
      globalPosition: append[at + 5] as number,
      id: append[at] as string,
      occurredAt: append[at + 3] as string,
      recordedAt,
      recordedBy: append[at + 4] as string,
      schemaVersion: append[at + 2] as number,
      stream,
      streamRevision: append[at + 6] as number,
      type: append[at + 1] as string,
    };
    hashes += leafHashBinaryOfLine(exportLineOfTexts(envelope, append[at + 7] as string, append[at + 8] as string));
  }
  return hashes;
}
