/**
 * Lean $all reads and subscriptions for the EventStoreDB adapter: its long catch-ups (a first start,
 * a rebuild, the id index on open) and its live subscriptions, which bring every appended event
 * back. `@eventstore/db-client` v6 decodes every ReadResp into google-protobuf objects,
 * then into a resolved event whose data and metadata it JSON-parses, and its `readAll` cannot ask
 * the server for a filter. Here the same Read call goes over the client's own channel (its
 * connection handling, credentials and reconnects) with a server-side filter in the request, and
 * each response is decoded straight from the wire bytes into what a fold or the index needs: the
 * data and metadata stay bytes until the caller parses the part it reads.
 *
 * It leans on two of the client's internals (GRPCStreamCreator, callArguments): a client upgrade
 * that changes them fails the contract suite, whose readAll comes through here.
 *
 * Wire format: event_store.client.streams.ReadResp (field numbers as in the client's generated
 * `generated/streams_pb.js`):
 * ReadResp.event = 1 → ReadEvent.event = 1 → RecordedEvent { id = 1 (UUID: structured = 1 |
 * string = 2), stream_identifier = 2 (stream_name = 3), stream_revision = 3, prepare_position = 4,
 * commit_position = 5, metadata = 6 (map<string, string>: type, content-type, created), custom_metadata = 7,
 * data = 8 }; confirmation = 2, caught_up = 8, fell_behind = 9 are a subscription's signals. Any
 * other content (a checkpoint) decodes to undefined.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { convertToCommandError, type EventStoreDBClient } from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';

/** One $all record as the wire has it, nothing parsed that the caller may not need. */
export interface LeanRecord {
  id: string;
  stream: string;
  revision: number;
  /** The commit position. */
  position: number;
  type: string;
  /** Content type application/json: the others are not the ledger's. */
  isJson: boolean;
  /** When the server recorded it, in whole milliseconds (its `created`, .NET ticks, rounded down as the client does). */
  createdMs: number;
  data: Buffer;
  metadata: Buffer;
}

/** A server-side filter on $all: stream names or event types matching a regular expression. */
export interface LeanFilter {
  on: 'stream' | 'eventType';
  regex: string;
}

const READ_PATH = '/event_store.client.streams.Streams/Read';

/** The few client internals the lean read uses: its channel, its per-call metadata and error handling. */
interface ClientInternals {
  GRPCStreamCreator<T>(
    client: unknown,
    debugName: string,
    creator: (grpcClient: GrpcStreamsClient) => T,
  ): () => Promise<T & Readable>;
  callArguments(options: object, callOptions?: object): [unknown, object];
}

interface GrpcStreamsClient {
  makeServerStreamRequest<T>(
    method: string,
    serialize: (value: InstanceType<typeof streamsPb.ReadReq>) => Buffer,
    deserialize: (bytes: Buffer) => T,
    argument: InstanceType<typeof streamsPb.ReadReq>,
    metadata: unknown,
    options: object,
  ): Readable & { cancel(): void };
}

/**
 * A read in flight. Its records go straight to a callback as the call delivers them: no stream
 * or async iterator between the call and the caller, whose cost per record is the point here.
 */
export interface LeanRead {
  /** Hands each record to `onRecord` as it arrives; resolves at the end of the call, rejects on its error. */
  each(onRecord: (record: LeanRecord) => void): Promise<void>;
  /** Ends the wait with this error (a deadline) and cancels the call. */
  destroy(error?: Error): void;
  cancel(): Promise<void>;
}

type Call = Readable & { cancel(): void };

/** Opens (when called) a Read call over the client's own channel, its responses decoded by `decode`. */
function readCall<T>(
  client: EventStoreDBClient,
  debugName: string,
  request: InstanceType<typeof streamsPb.ReadReq>,
  decode: (bytes: Buffer) => T,
): () => Promise<Call> {
  const internals = client as unknown as ClientInternals;
  return internals.GRPCStreamCreator(streamsGrpc.StreamsClient, debugName, (grpcClient): Call =>
    grpcClient.makeServerStreamRequest(
      READ_PATH,
      (value) => Buffer.from(value.serializeBinary()),
      decode,
      request,
      ...(internals.callArguments({}, { deadline: Infinity }) as [unknown, object]),
    ),
  );
}

/**
 * Reads up to `count` records of $all forwards from `from` (inclusive, as the server reads), or
 * from the start, with the filter applied by the server: `count` counts the records that pass it.
 */
export function readAllLean(
  client: EventStoreDBClient,
  from: number | 'start',
  count: number,
  filter?: LeanFilter,
): LeanRead {
  const open = readCall(client, 'readAllLean', readRequest(from, count, filter), decodeReadResp);
  let call: Call | undefined;
  let stopped: Error | undefined;
  let fail: ((error: Error) => void) | undefined;
  const stop = (error: Error) => {
    if (stopped) return;
    stopped = error;
    fail?.(error);
    call?.cancel();
  };
  return {
    each: (onRecord) =>
      new Promise<void>((resolve, reject) => {
        fail = reject;
        if (stopped) return reject(stopped);
        open().then((opened) => {
          call = opened as Call;
          if (stopped) return call.cancel();
          opened.on('data', (record: LeanRecord | undefined) => {
            if (!record || stopped) return;
            try {
              onRecord(record);
            } catch (error) {
              stop(error instanceof Error ? error : new Error(String(error)));
            }
          });
          opened.on('end', () => {
            if (!stopped) resolve();
          });
          // As the client's own reads report it (a cancellation of ours has been answered already).
          opened.on('error', (error: Error) => stop(convertToCommandError(error)));
        }, reject);
      }),
    destroy: (error) => stop(error ?? new Error('the read was ended')),
    cancel: () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          call?.cancel();
          resolve();
        }),
      ),
  };
}

/** A Read request for $all from `from`: `count` records, or a subscription ('subscribe'). */
function readRequest(from: number | 'start', count: number | 'subscribe', filter: LeanFilter | undefined) {
  const { ReadReq } = streamsPb;
  const options = new ReadReq.Options();
  const all = new ReadReq.Options.AllOptions();
  if (from === 'start') all.setStart(new sharedPb.Empty());
  else {
    const position = new ReadReq.Options.Position();
    position.setCommitPosition(String(from));
    position.setPreparePosition(String(from));
    all.setPosition(position);
  }
  options.setAll(all);
  options.setResolveLinks(false);
  if (count === 'subscribe') options.setSubscription(new ReadReq.Options.SubscriptionOptions());
  else options.setCount(String(count));
  options.setReadDirection(ReadReq.Options.ReadDirection.FORWARDS);
  const uuid = new ReadReq.Options.UUIDOption();
  uuid.setString(new sharedPb.Empty());
  options.setUuidOption(uuid);
  if (filter) {
    // As the client builds a subscription's filter: one expression, the default search window.
    const expression = new ReadReq.Options.FilterOptions.Expression();
    expression.setRegex(filter.regex);
    const filterOptions = new ReadReq.Options.FilterOptions();
    if (filter.on === 'stream') filterOptions.setStreamIdentifier(expression);
    else filterOptions.setEventType(expression);
    filterOptions.setCount(new sharedPb.Empty());
    filterOptions.setCheckpointintervalmultiplier(1);
    options.setFilter(filterOptions);
  } else {
    options.setNoFilter(new sharedPb.Empty());
  }
  const request = new ReadReq();
  request.setOptions(options);
  return request;
}

/** gRPC's CANCELLED with the words grpc-js gives our own cancel, as the client's isClientCancellationError tells them. */
const isOwnCancel = (error: Error) =>
  (error as { code?: unknown }).code === 1 && (error as { details?: unknown }).details === 'Cancelled on client';

/** What a subscription's response says besides an event. */
type Signal = 'confirmation' | 'caughtUp' | 'fellBehind';

/**
 * A subscription to $all after `from` (exclusive, as the server subscribes), filtered by the server,
 * decoded lean: what the client's own subscribeToAll gives (the records in order; 'confirmation',
 * 'caughtUp' and 'fellBehind' events; `unsubscribe`), with LeanRecords instead of resolved events.
 * The adapter's index subscription brings every event the ledger appends back to it: decoding
 * those through google-protobuf and two JSON.parse calls cost the writer about a fifth of its CPU.
 */
export class LeanSubscription extends Transform {
  private call: Call | undefined;

  constructor(client: EventStoreDBClient, from: number | 'start', filter: LeanFilter) {
    super({ objectMode: true });
    readCall(client, 'subscribeToAllLean', readRequest(from, 'subscribe', filter), decodeResponse)().then(
      (call) => {
        this.call = call;
        if (this.destroyed) return call.cancel();
        call
          .on('error', (error: Error) => {
            // Our own unsubscribe: the stream ends as the client's own subscription does, quietly.
            if (!isOwnCancel(error)) this.destroy(convertToCommandError(error));
          })
          .pipe(this);
      },
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }

  override _transform(
    message: LeanRecord | Signal | undefined,
    _encoding: BufferEncoding,
    next: TransformCallback,
  ): void {
    if (typeof message === 'string') this.emit(message);
    next(null, typeof message === 'object' ? message : undefined);
  }

  /** Cancels the call (on the next turn, as the client does: grpc-js may not cancel inside its own callback). */
  unsubscribe(): Promise<void> {
    return new Promise((resolve) =>
      setImmediate(() => {
        this.call?.cancel();
        resolve();
      }),
    );
  }
}

// ---- Protocol buffers, decoded by hand: only the fields above, everything else skipped. One pass
// over the bytes with a cursor, no objects but the record; the strings that repeat from record to
// record (stream names, event types) are decoded once and shared.

let bytes: Buffer = Buffer.alloc(0);
let at = 0;

function varint(): number {
  // Up to 2^53 exactly: positions, revisions and lengths never come near it.
  let byte = bytes[at++]!;
  if (byte < 0x80) return byte;
  let result = byte & 0x7f;
  let scale = 128;
  for (;;) {
    byte = bytes[at++]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result;
    scale *= 128;
  }
}

function skip(wireType: number): void {
  if (wireType === 0) varint();
  else if (wireType === 1) at += 8;
  else if (wireType === 2) {
    const length = varint(); // read before `at` is: the length moves the cursor
    at += length;
  } else if (wireType === 5) at += 4;
  else throw new Error(`unexpected protobuf wire type ${wireType}`);
}

/** Short strings that recur (stream names, event types), by their bytes. */
const interned = new Map<number, { bytes: Buffer; text: string }[]>();
const INTERNED_MAX = 4096;
let internedCount = 0;

function text(start: number, end: number, intern: boolean): string {
  if (!intern || end - start > 64) return bytes.toString('utf8', start, end);
  let hash = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  const candidates = interned.get(hash);
  if (candidates)
    for (const candidate of candidates)
      if (bytes.compare(candidate.bytes, 0, candidate.bytes.length, start, end) === 0) return candidate.text;
  const value = bytes.toString('utf8', start, end);
  // Bounded: a log of endless distinct names decodes them afresh rather than growing this.
  if (internedCount < INTERNED_MAX) {
    internedCount++;
    const entry = { bytes: Buffer.from(bytes.subarray(start, end)), text: value };
    if (candidates) candidates.push(entry);
    else interned.set(hash, [entry]);
  }
  return value;
}

const TYPE = Buffer.from('type');
const CONTENT_TYPE = Buffer.from('content-type');
const CREATED = Buffer.from('created');
const JSON_CONTENT = Buffer.from('application/json');

const sameBytes = (constant: Buffer, start: number, end: number) =>
  end - start === constant.length && bytes.compare(constant, 0, constant.length, start, end) === 0;

/**
 * Moves past other fields to the next embedded message numbered `field` before `end`: the cursor is
 * then at its first byte, and its end is returned; undefined (the cursor at `end`) when there is none.
 */
function seekMessage(field: number, end: number): number | undefined {
  while (at < end) {
    const key = varint();
    if (key === ((field << 3) | 2)) return varint() + at;
    skip(key & 7);
  }
  return undefined;
}

/** A ReadResp: its event, or what it signals; undefined for a checkpoint or anything else. */
function decodeResponse(message: Buffer): LeanRecord | Signal | undefined {
  bytes = message;
  at = 0;
  while (at < message.length) {
    const key = varint();
    switch (key) {
      case (1 << 3) | 2: {
        const recordEnd = seekMessage(1, varint() + at);
        return recordEnd === undefined ? undefined : decodeRecordedEvent(recordEnd);
      }
      case (2 << 3) | 2:
        return 'confirmation';
      case (8 << 3) | 2:
        return 'caughtUp';
      case (9 << 3) | 2:
        return 'fellBehind';
      default:
        skip(key & 7);
    }
  }
  return undefined;
}

/** A ReadResp's event, or undefined for any other content (confirmation, checkpoint, caught-up …). */
export function decodeReadResp(message: Buffer): LeanRecord | undefined {
  const content = decodeResponse(message);
  return typeof content === 'object' ? content : undefined;
}

const EMPTY = Buffer.alloc(0);

function decodeRecordedEvent(end: number): LeanRecord {
  const record: LeanRecord = {
    id: '',
    stream: '',
    revision: 0,
    position: 0,
    type: '<no-event-type-provided>',
    isJson: false,
    createdMs: 0,
    data: EMPTY,
    metadata: EMPTY,
  };
  while (at < end) {
    const key = varint();
    switch (key) {
      case (1 << 3) | 2: {
        const uuidEnd = varint() + at;
        record.id = decodeUuid(uuidEnd);
        at = uuidEnd;
        break;
      }
      case (2 << 3) | 2: {
        const identifierEnd = varint() + at;
        const nameEnd = seekMessage(3, identifierEnd);
        if (nameEnd !== undefined) record.stream = text(at, nameEnd, true);
        at = identifierEnd;
        break;
      }
      case (3 << 3) | 0:
        record.revision = varint();
        break;
      case (5 << 3) | 0:
        record.position = varint();
        break;
      case (6 << 3) | 2:
        decodeMetadataEntry(varint() + at, record);
        break;
      case (7 << 3) | 2: {
        const length = varint();
        record.metadata = bytes.subarray(at, at + length);
        at += length;
        break;
      }
      case (8 << 3) | 2: {
        const length = varint();
        record.data = bytes.subarray(at, at + length);
        at += length;
        break;
      }
      default:
        skip(key & 7);
    }
  }
  return record;
}

/** One entry of the record's map<string, string>: the keys are compared as bytes, only a wanted value is decoded. */
function decodeMetadataEntry(end: number, record: LeanRecord): void {
  let keyStart = 0;
  let keyEnd = 0;
  let valueStart = 0;
  let valueEnd = 0;
  while (at < end) {
    const k = varint();
    if (k === ((1 << 3) | 2)) {
      keyEnd = varint() + at;
      keyStart = at;
      at = keyEnd;
    } else if (k === ((2 << 3) | 2)) {
      valueEnd = varint() + at;
      valueStart = at;
      at = valueEnd;
    } else skip(k & 7);
  }
  if (sameBytes(TYPE, keyStart, keyEnd)) record.type = text(valueStart, valueEnd, true);
  else if (sameBytes(CONTENT_TYPE, keyStart, keyEnd)) record.isJson = sameBytes(JSON_CONTENT, valueStart, valueEnd);
  else if (sameBytes(CREATED, keyStart, keyEnd)) record.createdMs = ticksToMs(valueStart, valueEnd);
}

/** .NET ticks (100 ns) in decimal digits to whole milliseconds, rounded down as the client does. */
function ticksToMs(start: number, end: number): number {
  let ms = 0;
  for (let i = start; i < end - 4; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return 0;
    ms = ms * 10 + digit;
  }
  return ms;
}

function decodeUuid(end: number): string {
  let most = 0n;
  let least = 0n;
  while (at < end) {
    const key = varint();
    if (key === ((2 << 3) | 2)) {
      const stringEnd = varint() + at;
      return text(at, stringEnd, false);
    }
    if (key !== ((1 << 3) | 2)) {
      skip(key & 7);
      continue;
    }
    // Structured: two signed 64-bit halves (only when asked for; the adapter asks for strings).
    const structuredEnd = varint() + at;
    while (at < structuredEnd) {
      const k = varint();
      if (k === ((1 << 3) | 0)) most = bigVarint();
      else if (k === ((2 << 3) | 0)) least = bigVarint();
      else skip(k & 7);
    }
  }
  const hex =
    BigInt.asUintN(64, most).toString(16).padStart(16, '0') + BigInt.asUintN(64, least).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function bigVarint(): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = bytes[at++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return result;
    shift += 7n;
  }
}

/** The record's `created` as an ISO instant, as the client makes it (whole milliseconds). */
export const createdIso = (record: LeanRecord): string => new Date(record.createdMs).toISOString();
