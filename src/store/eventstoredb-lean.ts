/**
 * Lean $all reads for the EventStoreDB adapter's long catch-ups (a first start, a rebuild, the id
 * index on open). `@eventstore/db-client` v6 decodes every ReadResp into google-protobuf objects,
 * then into a resolved event whose data and metadata it JSON-parses, and its `readAll` cannot ask
 * the server for a filter. Here the same Read call goes over the client's own channel (its
 * connection handling, credentials and reconnects) with a server-side filter in the request, and
 * each response is decoded straight from the wire bytes into what a fold or the index needs: the
 * data and metadata stay bytes until the caller parses the part it reads.
 *
 * Wire format: event_store.client.streams.ReadResp (streams.proto in the client's `protos/`):
 * ReadResp.event = 1 → ReadEvent.event = 1 → RecordedEvent { id = 1 (UUID: structured = 1 |
 * string = 2), stream_identifier = 2 (stream_name = 3), stream_revision = 3, prepare_position = 4,
 * commit_position = 5, metadata = 6 (map<string, string>: type, content-type, created), custom_metadata = 7,
 * data = 8 }. Any other content (a checkpoint, a caught-up) decodes to undefined.
 */
import { Readable } from 'node:stream';
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
  contentType: string;
  /** .NET ticks (100 ns since the Unix epoch), as the server sends them. */
  created: string;
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
  makeServerStreamRequest(
    method: string,
    serialize: (value: InstanceType<typeof streamsPb.ReadReq>) => Buffer,
    deserialize: (bytes: Buffer) => LeanRecord | undefined,
    argument: InstanceType<typeof streamsPb.ReadReq>,
    metadata: unknown,
    options: object,
  ): Readable & { cancel(): void };
}

/** A read in flight: its records as a stream, cancellable as the client's own reads are. */
export interface LeanRead extends AsyncIterable<LeanRecord> {
  destroy(error?: Error): void;
  cancel(): Promise<void>;
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
  const request = readRequest(from, count, filter);
  const internals = client as unknown as ClientInternals;
  const open = internals.GRPCStreamCreator(streamsGrpc.StreamsClient, 'readAllLean', (grpcClient) =>
    grpcClient.makeServerStreamRequest(
      READ_PATH,
      (value) => Buffer.from(value.serializeBinary()),
      decodeReadResp,
      request,
      ...(internals.callArguments({}, { deadline: Infinity }) as [unknown, object]),
    ),
  );
  const out = new Readable({ objectMode: true, read() {} });
  let call: (Readable & { cancel(): void }) | undefined;
  open().then(
    (opened) => {
      call = opened as Readable & { cancel(): void };
      if (out.destroyed) return call.cancel();
      opened.on('data', (record: LeanRecord | undefined) => {
        if (record) out.push(record);
      });
      opened.on('end', () => out.push(null));
      // A cancellation of our own is not an error; anything else, as the client's reads report it.
      opened.on('error', (error: Error & { code?: number }) => {
        if (error.code === 1 && out.destroyed) return;
        out.destroy(convertToCommandError(error));
      });
    },
    (error: Error) => out.destroy(error),
  );
  return Object.assign(out, {
    cancel: () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          call?.cancel();
          resolve();
        }),
      ),
  }) as unknown as LeanRead;
}

function readRequest(from: number | 'start', count: number, filter: LeanFilter | undefined) {
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
  options.setCount(String(count));
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

// ---- Protocol buffers, decoded by hand: only the fields above, everything else skipped.

/** A cursor over one message's bytes. */
class Wire {
  at: number;
  constructor(
    readonly bytes: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.at = start;
  }

  varint(): number {
    // Up to 2^53 exactly: positions, revisions and lengths never come near it.
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = this.bytes[this.at++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
    }
  }

  /** The [start, end) of a length-delimited field's value. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.at;
    this.at += length;
    return [start, this.at];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.at += 8;
    else if (wireType === 2) this.span();
    else if (wireType === 5) this.at += 4;
    else throw new Error(`unexpected protobuf wire type ${wireType}`);
  }

  text([start, end]: [number, number]): string {
    return this.bytes.toString('utf8', start, end);
  }
}

/** A ReadResp's event, or undefined for any other content (confirmation, checkpoint, caught-up …). */
export function decodeReadResp(bytes: Buffer): LeanRecord | undefined {
  const resp = new Wire(bytes, 0, bytes.length);
  while (resp.at < resp.end) {
    const key = resp.varint();
    if (key !== ((1 << 3) | 2)) {
      resp.skip(key & 7);
      continue;
    }
    const [start, end] = resp.span();
    const readEvent = new Wire(bytes, start, end);
    while (readEvent.at < readEvent.end) {
      const inner = readEvent.varint();
      if (inner !== ((1 << 3) | 2)) {
        readEvent.skip(inner & 7);
        continue;
      }
      const [recordStart, recordEnd] = readEvent.span();
      return decodeRecordedEvent(new Wire(bytes, recordStart, recordEnd));
    }
  }
  return undefined;
}

const EMPTY = Buffer.alloc(0);

function decodeRecordedEvent(wire: Wire): LeanRecord {
  const record: LeanRecord = {
    id: '',
    stream: '',
    revision: 0,
    position: 0,
    type: '<no-event-type-provided>',
    contentType: 'application/octet-stream',
    created: '0',
    data: EMPTY,
    metadata: EMPTY,
  };
  while (wire.at < wire.end) {
    const key = wire.varint();
    const field = key >>> 3;
    switch (field) {
      case 1:
        record.id = decodeUuid(new Wire(wire.bytes, ...wire.span()));
        break;
      case 2: {
        const identifier = new Wire(wire.bytes, ...wire.span());
        while (identifier.at < identifier.end) {
          const k = identifier.varint();
          if (k === ((3 << 3) | 2)) record.stream = identifier.text(identifier.span());
          else identifier.skip(k & 7);
        }
        break;
      }
      case 3:
        record.revision = wire.varint();
        break;
      case 5:
        record.position = wire.varint();
        break;
      case 6: {
        const entry = new Wire(wire.bytes, ...wire.span());
        let name = '';
        let value = '';
        while (entry.at < entry.end) {
          const k = entry.varint();
          if (k === ((1 << 3) | 2)) name = entry.text(entry.span());
          else if (k === ((2 << 3) | 2)) value = entry.text(entry.span());
          else entry.skip(k & 7);
        }
        if (name === 'type') record.type = value;
        else if (name === 'content-type') record.contentType = value;
        else if (name === 'created') record.created = value;
        break;
      }
      case 7:
        record.metadata = wire.bytes.subarray(...wire.span());
        break;
      case 8:
        record.data = wire.bytes.subarray(...wire.span());
        break;
      default:
        wire.skip(key & 7);
    }
  }
  return record;
}

function decodeUuid(wire: Wire): string {
  let most = 0n;
  let least = 0n;
  while (wire.at < wire.end) {
    const key = wire.varint();
    if (key === ((2 << 3) | 2)) return wire.text(wire.span());
    if (key !== ((1 << 3) | 2)) {
      wire.skip(key & 7);
      continue;
    }
    // Structured: two signed 64-bit halves (only when asked for; the adapter asks for strings).
    const structured = new Wire(wire.bytes, ...wire.span());
    while (structured.at < structured.end) {
      const k = structured.varint();
      if (k === ((1 << 3) | 0)) most = bigVarint(structured);
      else if (k === ((2 << 3) | 0)) least = bigVarint(structured);
      else structured.skip(k & 7);
    }
  }
  const hex =
    BigInt.asUintN(64, most).toString(16).padStart(16, '0') + BigInt.asUintN(64, least).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function bigVarint(wire: Wire): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = wire.bytes[wire.at++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return result;
    shift += 7n;
  }
}

/** The record's `created` as an ISO instant, as the client makes it (whole milliseconds, rounded down). */
export function createdIso(created: string): string {
  // Ticks are 100 ns: dropping the last four digits is the client's BigInt division, without BigInt.
  const ms = created.length > 4 ? Number(created.slice(0, -4)) : 0;
  return new Date(Number.isFinite(ms) ? ms : 0).toISOString();
}
