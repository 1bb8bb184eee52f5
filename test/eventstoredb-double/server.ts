/**
 * An in-process gRPC server that speaks EventStoreDB's Streams and
 * ServerFeatures protocol, built from the service definitions that
 * `@eventstore/db-client` ships, so the real client — its serialization, its
 * choice between BatchAppend and Append, its error mapping, its subscription
 * handling — runs end to end against it. Not a database: one process, memory
 * only, no ACLs, no stream metadata enforcement. FIDELITY.md lists what it
 * reproduces and where each behaviour lives in the EventStoreDB server.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import featuresPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import {
  EXPECTED_ANY,
  EXPECTED_NO_STREAM,
  EXPECTED_STREAM_EXISTS,
  TransactionLog,
  type ExpectedVersion,
  type LogRecord,
  type ProposedEvent,
  type WriteOutcome,
} from './log.js';

// The generated messages use the client's own google-protobuf (3.x): Any, Empty
// and Timestamp must come from that copy to serialise inside its messages.
const requireFromClient = createRequire(
  createRequire(import.meta.url).resolve('@eventstore/db-client/generated/status_pb.js'),
);
const { Any } = requireFromClient('google-protobuf/google/protobuf/any_pb') as {
  Any: new () => { pack(serialized: Uint8Array, typeName: string): void };
};
const { Empty: GoogleEmpty } = requireFromClient('google-protobuf/google/protobuf/empty_pb') as {
  Empty: new () => never;
};

const { ReadReq, ReadResp, AppendResp, BatchAppendResp } = streamsPb;
type ReadReq = InstanceType<typeof ReadReq>;
type ReadResp = InstanceType<typeof ReadResp>;
type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof AppendResp>;
type BatchAppendReq = InstanceType<typeof streamsPb.BatchAppendReq>;
type BatchAppendResp = InstanceType<typeof BatchAppendResp>;
type FilterOptions = InstanceType<typeof ReadReq.Options.FilterOptions>;

const SERVER_VERSION = '24.10.0';

/** Round trips as a client pays for them, and what they carried. */
export interface CallCounts {
  /** Read calls that are not subscriptions (stream and $all reads, metadata reads). */
  reads: number;
  /** Records those reads returned. */
  recordsRead: number;
  /** Subscriptions opened (each one long call). */
  subscriptions: number;
  /** Records subscriptions delivered (catch-up and live). */
  recordsPushed: number;
  /** Append requests: each Append call, and each request on a BatchAppend stream. */
  appends: number;
  /** ServerFeatures calls. */
  features: number;
}

const noCalls = (): CallCounts => ({
  reads: 0,
  recordsRead: 0,
  subscriptions: 0,
  recordsPushed: 0,
  appends: 0,
  features: 0,
});
const DEFAULT_SEARCH_WINDOW = 32;

/** A fault to answer the next matching call with: a gRPC status plus the `exception` trailer the server sets. */
export interface InjectedFault {
  method: 'append' | 'batchAppend' | 'read';
  code: grpc.status;
  exception: string;
  details?: string;
  metadata?: Record<string, string>;
  /** Only a call on this stream (`$all` for $all reads and subscriptions). */
  stream?: string;
}

export interface DoubleOptions {
  /** Advertise BatchAppend in ServerFeatures (the client then prefers it). Default true. */
  batchAppend?: boolean;
  /** Entries in the server's recent-event-id cache, which is all `any` appends are checked against. */
  idCacheSize?: number;
  /** The version ServerFeatures reports. Default 24.10.0. */
  serverVersion?: string;
}

export class EventStoreDbDouble {
  readonly log: TransactionLog;
  batchAppendAdvertised: boolean;
  /** Calls by method name, to see which append path the client chose. */
  readonly calls = new Map<string, number>();
  /** Round trips and records, since the start or the last `resetCounts()`. */
  counts: CallCounts = noCalls();
  serverVersion: string;
  private server: grpc.Server | undefined;
  private port = 0;
  private faults: InjectedFault[] = [];
  private appendHook: (() => Promise<unknown>) | undefined;
  private readonly liveCalls = new Set<() => void>();
  private readonly hungCalls = new Set<() => void>();
  /** Appends still to store and then lose their reply for (see dropNextAppendReply). */
  private repliesToDrop = 0;
  /** Which calls are accepted and never answered (see stall). */
  private stalledCalls: 'none' | 'all' | 'appends' = 'none';
  /** Appends stored whose reply was dropped, for tests to check against. */
  readonly droppedReplies: { stream: string; ids: string[] }[] = [];

  constructor(options: DoubleOptions = {}) {
    this.log = new TransactionLog(options.idCacheSize);
    this.batchAppendAdvertised = options.batchAppend ?? true;
    this.serverVersion = options.serverVersion ?? SERVER_VERSION;
    // A fresh server's $all is never empty: bootstrap records come first, so filters matter.
    this.log.writeSystemEvent('$settings', '$settings');
    this.log.writeSystemEvent('$users', '$UserCreated');
  }

  /** Starts counting afresh; returns what was counted until now. */
  resetCounts(): CallCounts {
    const counted = this.counts;
    this.counts = noCalls();
    return counted;
  }

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  async start(): Promise<this> {
    const server = new grpc.Server();
    server.addService(STREAMS_SERVICE, {
      read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => this.read(call),
      append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) =>
        this.append(call, callback),
      batchAppend: (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => this.batchAppend(call),
    } as unknown as grpc.UntypedServiceImplementation);
    server.addService(featuresGrpc.ServerFeaturesService, {
      getSupportedMethods: (
        _call: unknown,
        callback: grpc.sendUnaryData<InstanceType<typeof featuresPb.SupportedMethods>>,
      ) => {
        this.counts.features++;
        if (this.stalled('features')) return this.hang(() => callback(unavailable('the node stopped')));
        callback(null, this.supportedMethods());
      },
    } as unknown as grpc.UntypedServiceImplementation);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.port}`, grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
    return this;
  }

  /** Kills every connection and call (as a node restart or a network cut would), then listens again on the same port. */
  async dropConnections(): Promise<void> {
    this.stopServer();
    await this.start();
  }

  /**
   * The node goes down: every connection and call is cut and the port refuses
   * connections until `start()`, which listens on the same port with the same log.
   */
  async stop(): Promise<void> {
    this.stopServer();
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /**
   * The next append (either path) is stored, and then every connection is cut
   * before its reply leaves: the client cannot know whether it was written.
   * The node listens again at once.
   */
  dropNextAppendReply(): void {
    this.repliesToDrop++;
  }

  /**
   * While on, the node accepts every call and answers none (a hung server or a
   * network path that swallows packets): only a deadline ends the wait. With
   * 'appends', reads are answered and appends are neither stored nor answered.
   */
  stall(on: boolean | 'appends'): void {
    this.stalledCalls = on === 'appends' ? 'appends' : on ? 'all' : 'none';
    if (on) return;
    // Recovered: the calls it swallowed fail (UNAVAILABLE), as after a restart, and are not stored.
    for (const release of this.hungCalls) release();
    this.hungCalls.clear();
  }

  private stalled(method: 'append' | 'read' | 'features'): boolean {
    return this.stalledCalls === 'all' || (this.stalledCalls === 'appends' && method === 'append');
  }

  /** Stores the append and cuts every connection instead of answering, when one is due. */
  private dropReplyAfter(stream: string, events: ProposedEvent[], write: () => WriteOutcome): boolean {
    if (this.repliesToDrop === 0) return false;
    this.repliesToDrop--;
    const outcome = write();
    if (outcome.kind !== 'wrong-expected-version') this.droppedReplies.push({ stream, ids: events.map((e) => e.id) });
    // Not inside the handler: cutting a call from within its own callback leaves grpc-js half-done.
    setImmediate(() => void this.dropConnections().catch(() => undefined));
    return true;
  }

  /** Keeps the call open, unanswered, until the node stops or stops stalling. */
  private hang(end: () => void): void {
    const stop = () => {
      this.liveCalls.delete(stop);
      this.hungCalls.delete(stop);
      end();
    };
    this.liveCalls.add(stop);
    this.hungCalls.add(stop);
  }

  /**
   * Before the next append is decided, `hook` runs and is awaited: another replica's write that
   * lands just ahead of it, so the append meets a wrong expected version.
   */
  beforeNextAppend(hook: () => Promise<unknown>): void {
    this.appendHook = hook;
  }

  /** The next call to `method` fails with this fault. */
  injectFault(fault: InjectedFault): void {
    this.faults.push(fault);
  }

  async close(): Promise<void> {
    this.stopServer();
  }

  private stopServer(): void {
    for (const stop of this.liveCalls) stop();
    this.liveCalls.clear();
    this.hungCalls.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  private takeFault(method: InjectedFault['method'], stream?: string): grpc.ServiceError | undefined {
    const at = this.faults.findIndex((f) => f.method === method && (f.stream === undefined || f.stream === stream));
    if (at < 0) return undefined;
    const [fault] = this.faults.splice(at, 1);
    const metadata = new grpc.Metadata();
    metadata.set('exception', fault!.exception);
    for (const [key, value] of Object.entries(fault!.metadata ?? {})) metadata.set(key, value);
    return Object.assign(new Error(fault!.details ?? fault!.exception), {
      code: fault!.code,
      details: fault!.details ?? fault!.exception,
      metadata,
    });
  }

  private supportedMethods() {
    const method = (service: string, name: string, features: string[] = []) => {
      const m = new featuresPb.SupportedMethod();
      m.setServiceName(service);
      m.setMethodName(name);
      m.setFeaturesList(features);
      return m;
    };
    const streams = 'event_store.client.streams.streams';
    const methods = [
      method(streams, 'read', ['position', 'events', 'all']),
      method(streams, 'append'),
      method('event_store.client.server_features.serverfeatures', 'getsupportedmethods'),
    ];
    if (this.batchAppendAdvertised) methods.push(method(streams, 'batchappend'));
    const supported = new featuresPb.SupportedMethods();
    supported.setMethodsList(methods);
    supported.setEventStoreServerVersion(this.serverVersion);
    return supported;
  }

  // ---- Append (client streaming): options first, then one message per event.

  private append(
    call: grpc.ServerReadableStream<AppendReq, AppendResp>,
    callback: grpc.sendUnaryData<AppendResp>,
  ): void {
    this.count('append');
    this.counts.appends++;
    const messages: AppendReq[] = [];
    call.on('data', (message: AppendReq) => messages.push(message));
    call.on('error', () => undefined);
    call.on('end', () => {
      if (this.stalled('append')) return this.hang(() => callback(unavailable('the node stopped')));
      const fault = this.takeFault('append');
      if (fault) return callback(fault);
      const options = messages[0]?.getOptions();
      if (!options) return callback(invalidArgument('the first message must carry options'));
      const stream = streamName(options.getStreamIdentifier());
      const Case = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
      const expected: ExpectedVersion =
        {
          [Case.ANY]: EXPECTED_ANY,
          [Case.NO_STREAM]: EXPECTED_NO_STREAM,
          [Case.STREAM_EXISTS]: EXPECTED_STREAM_EXISTS,
        }[options.getExpectedStreamRevisionCase() as number] ?? Number(options.getRevision());
      let events: ProposedEvent[];
      try {
        events = messages.slice(1).map((m) => proposed(m.getProposedMessage()));
      } catch (error) {
        return callback(error as grpc.ServiceError);
      }
      const hook = this.appendHook;
      this.appendHook = undefined;
      if (hook) return void hook().then(() => this.answerAppend(stream, expected, events, callback));
      this.answerAppend(stream, expected, events, callback);
    });
  }

  private answerAppend(
    stream: string,
    expected: ExpectedVersion,
    events: ProposedEvent[],
    callback: grpc.sendUnaryData<AppendResp>,
  ): void {
    {
      const write = () => this.log.write(stream, expected, events);
      if (this.dropReplyAfter(stream, events, write)) return;
      const outcome = write();
      const response = new AppendResp();
      if (outcome.kind === 'wrong-expected-version') {
        // Since 20.6.1 the server answers a wrong expected version inside a successful response.
        const wrong = new AppendResp.WrongExpectedVersion();
        if (outcome.currentRevision === undefined) wrong.setCurrentNoStream(new sharedPb.Empty());
        else wrong.setCurrentRevision(String(outcome.currentRevision));
        if (expected === EXPECTED_ANY) wrong.setExpectedAny(new sharedPb.Empty());
        else if (expected === EXPECTED_STREAM_EXISTS) wrong.setExpectedStreamExists(new sharedPb.Empty());
        else if (expected === EXPECTED_NO_STREAM) wrong.setExpectedNoStream(new sharedPb.Empty());
        else wrong.setExpectedRevision(String(expected));
        response.setWrongExpectedVersion(wrong);
        return callback(null, response);
      }
      const success = new AppendResp.Success();
      if (outcome.lastRevision < 0) success.setNoStream(new sharedPb.Empty());
      else success.setCurrentRevision(String(outcome.lastRevision));
      if (outcome.lastPosition < 0) success.setNoPosition(new sharedPb.Empty());
      else {
        const position = new AppendResp.Position();
        position.setCommitPosition(String(outcome.lastPosition));
        position.setPreparePosition(String(outcome.lastPosition));
        success.setPosition(position);
      }
      response.setSuccess(success);
      callback(null, response);
    }
  }

  // ---- BatchAppend (bidi): requests by correlation id, possibly split in chunks until is_final.

  private batchAppend(call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    this.count('batchAppend');
    const pending = new Map<
      string,
      { options: InstanceType<typeof streamsPb.BatchAppendReq.Options>; events: ProposedEvent[] }
    >();
    const stop = () => call.end();
    this.liveCalls.add(stop);
    call.on('error', () => this.liveCalls.delete(stop));
    call.on('end', () => {
      this.liveCalls.delete(stop);
      call.end();
    });
    call.on('data', (request: BatchAppendReq) => {
      const correlation = request.getCorrelationId();
      const key = correlation?.getString() ?? '';
      const options = request.getOptions();
      let batch = pending.get(key);
      if (!batch) {
        if (!options) return;
        batch = { options, events: [] };
        pending.set(key, batch);
      }
      for (const message of request.getProposedMessagesList()) batch.events.push(proposed(message));
      if (!request.getIsFinal()) return;
      pending.delete(key);
      this.counts.appends++;
      // The whole bidi call fails on release: the client rejects every batch it still waits for.
      if (this.stalled('append')) return this.hang(() => call.emit('error', unavailable('the node stopped')));

      const fault = this.takeFault('batchAppend');
      if (fault) {
        call.emit('error', fault);
        return;
      }
      const stream = streamName(batch.options.getStreamIdentifier());
      const Case = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;
      const expected: ExpectedVersion =
        {
          [Case.ANY]: EXPECTED_ANY,
          [Case.NO_STREAM]: EXPECTED_NO_STREAM,
          [Case.STREAM_EXISTS]: EXPECTED_STREAM_EXISTS,
        }[batch.options.getExpectedStreamPositionCase() as number] ?? Number(batch.options.getStreamPosition());
      const events = batch.events;
      const batchOptions = batch.options;
      const answer = () => {
        const write = () => this.log.write(stream, expected, events);
        if (this.dropReplyAfter(stream, events, write)) return;
        const outcome = write();
        call.write(batchAppendResponse(correlation, batchOptions, expected, outcome));
      };
      const hook = this.appendHook;
      this.appendHook = undefined;
      if (hook) return void hook().then(answer);
      answer();
    });
  }

  // ---- Read (server streaming): stream and $all reads, and subscriptions.

  private read(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    this.count('read');
    if (this.stalled('read')) return this.hang(() => call.emit('error', unavailable('the node stopped')));
    const options = call.request.getOptions();
    if (!options) return void call.emit('error', invalidArgument('options are required'));
    const fault = this.takeFault(
      'read',
      options.hasStream() ? streamName(options.getStream()!.getStreamIdentifier()) : '$all',
    );
    if (fault) {
      call.emit('error', fault);
      return;
    }
    const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
    const filter = options.hasFilter() ? compileFilter(options.getFilter()!) : undefined;
    const subscription = options.hasSubscription();
    if (subscription) this.counts.subscriptions++;
    else this.counts.reads++;
    const send = (record: LogRecord) => {
      if (subscription) this.counts.recordsPushed++;
      else this.counts.recordsRead++;
      // Bytes or a message: the service's serializer takes both (STREAMS_SERVICE).
      call.write(encodedEvent(record, structuredIds) as ReadResp);
    };

    if (subscription) return this.subscribe(call, options, filter, send);

    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    let limit = Number(options.getCount());
    if (options.hasStream()) {
      const streamOptions = options.getStream()!;
      const name = streamName(streamOptions.getStreamIdentifier());
      const records = this.log.stream(name);
      if (!records) {
        // A missing stream is a message, then a normal end of the call.
        const notFound = new ReadResp.StreamNotFound();
        notFound.setStreamIdentifier(streamOptions.getStreamIdentifier());
        const response = new ReadResp();
        response.setStreamNotFound(notFound);
        call.write(response);
        return void call.end();
      }
      const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
      const revisionCase = streamOptions.getRevisionOptionCase();
      const from =
        revisionCase === Case.START
          ? 0
          : revisionCase === Case.END
            ? records.length - 1
            : Number(streamOptions.getRevision());
      if (backwards) {
        for (let r = Math.min(from, records.length - 1); r >= 0 && limit > 0; r--, limit--) send(records[r]!);
      } else {
        for (let r = from; r < records.length && limit > 0; r++, limit--) send(records[r]!);
      }
      return void call.end();
    }

    const all = options.getAll()!;
    const records = this.log.records;
    const Case = ReadReq.Options.AllOptions.AllOptionCase;
    const commit =
      all.getAllOptionCase() === Case.POSITION ? Number(all.getPosition()!.getCommitPosition()) : undefined;
    if (backwards) {
      // Backwards from a position: records before it; from the end: everything.
      const start =
        all.getAllOptionCase() === Case.START
          ? -1
          : commit === undefined
            ? records.length - 1
            : lastBefore(records, commit);
      for (let i = start; i >= 0 && limit > 0; i--) {
        if (filter && !filter(records[i]!)) continue;
        send(records[i]!);
        limit--;
      }
    } else {
      // Forwards from a position is inclusive: the record at that position comes first.
      const start =
        all.getAllOptionCase() === Case.END
          ? records.length
          : commit === undefined
            ? 0
            : firstAtOrAfter(records, commit);
      for (let i = start; i < records.length && limit > 0; i++) {
        if (filter && !filter(records[i]!)) continue;
        send(records[i]!);
        limit--;
      }
    }
    call.end();
  }

  private subscribe(
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    options: InstanceType<typeof ReadReq.Options>,
    filter: CompiledFilter | undefined,
    send: (record: LogRecord) => void,
  ): void {
    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(randomUUID());
    const confirm = new ReadResp();
    confirm.setConfirmation(confirmation);
    call.write(confirm);

    let considered = 0;
    const consider = (record: LogRecord) => {
      if (!filter || filter(record)) send(record);
      considered++;
      if (filter && considered % filter.checkpointEvery === 0) {
        const checkpoint = new ReadResp.Checkpoint();
        checkpoint.setCommitPosition(String(record.position));
        checkpoint.setPreparePosition(String(record.position));
        const response = new ReadResp();
        response.setCheckpoint(checkpoint);
        call.write(response);
      }
    };

    let catchUp: readonly LogRecord[];
    if (options.hasStream()) {
      const streamOptions = options.getStream()!;
      const records = this.log.stream(streamName(streamOptions.getStreamIdentifier())) ?? [];
      const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
      const revisionCase = streamOptions.getRevisionOptionCase();
      // A subscription starts after (not at) the given revision.
      catchUp =
        revisionCase === Case.START
          ? records
          : revisionCase === Case.END
            ? []
            : records.slice(Number(streamOptions.getRevision()) + 1);
    } else {
      const all = options.getAll()!;
      const Case = ReadReq.Options.AllOptions.AllOptionCase;
      const records = this.log.records;
      // A subscription starts after (not at) the given position.
      catchUp =
        all.getAllOptionCase() === Case.START
          ? records.slice()
          : all.getAllOptionCase() === Case.END
            ? []
            : records.slice(firstAfter(records, Number(all.getPosition()!.getCommitPosition())));
    }
    const streamOnly = options.hasStream() ? streamName(options.getStream()!.getStreamIdentifier()) : undefined;
    for (const record of catchUp) consider(record);
    const caughtUp = new ReadResp();
    caughtUp.setCaughtUp(new ReadResp.CaughtUp());
    call.write(caughtUp);

    // Live: everything appended from now on, in log order.
    const unsubscribe = this.log.onAppended((record) => {
      if (streamOnly === undefined || record.stream === streamOnly) consider(record);
    });
    const stop = () => {
      unsubscribe();
      this.liveCalls.delete(stop);
    };
    this.liveCalls.add(stop);
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  }
}

export async function startEventStoreDbDouble(options: DoubleOptions = {}): Promise<EventStoreDbDouble> {
  return new EventStoreDbDouble(options).start();
}

// ---- Messages

function streamName(identifier: InstanceType<typeof sharedPb.StreamIdentifier> | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

function proposed(
  message:
    | InstanceType<typeof streamsPb.AppendReq.ProposedMessage>
    | InstanceType<typeof streamsPb.BatchAppendReq.ProposedMessage>
    | undefined,
): ProposedEvent {
  if (!message) throw invalidArgument('a proposed message is required');
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  // The server requires both keys and names the missing one in the `exception` trailer.
  if (type === undefined) throw requiredMetadata('type');
  if (contentType === undefined) throw requiredMetadata('content-type');
  return {
    id: uuidString(message.getId()),
    type,
    contentType,
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

function uuidString(uuid: InstanceType<typeof sharedPb.UUID> | undefined): string {
  if (!uuid) return randomUUID();
  if (uuid.hasStructured()) {
    const s = uuid.getStructured()!;
    const hex =
      BigInt.asUintN(64, BigInt(s.getMostSignificantBits())).toString(16).padStart(16, '0') +
      BigInt.asUintN(64, BigInt(s.getLeastSignificantBits())).toString(16).padStart(16, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  // The server parses ids as Guids and always writes them back in lowercase "D" format.
  const text = uuid.getString();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) {
    throw invalidArgument(`invalid event id ${text}`);
  }
  return text.toLowerCase();
}

/**
 * The Streams service as the client's definitions describe it, but for one thing: a read may
 * write a response already serialised. A record never changes once written, so its ReadResp is
 * encoded once and kept (a server does not pay JavaScript protobuf objects per record read; this
 * keeps the double's cost per record read from swamping what is measured on the client side).
 */
const STREAMS_SERVICE = {
  ...streamsGrpc.StreamsService,
  read: {
    ...streamsGrpc.StreamsService.read,
    responseSerialize: (value: ReadResp | Buffer) =>
      Buffer.isBuffer(value) ? value : Buffer.from(value.serializeBinary()),
  },
};

const encodedRecords = new WeakMap<LogRecord, Buffer>();

function encodedEvent(record: LogRecord, structuredIds: boolean): Buffer | ReadResp {
  if (structuredIds) return eventResponse(record, true);
  let encoded = encodedRecords.get(record);
  if (!encoded) {
    encoded = Buffer.from(eventResponse(record, false).serializeBinary());
    encodedRecords.set(record, encoded);
  }
  return encoded;
}

function eventResponse(record: LogRecord, structuredIds: boolean): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  if (structuredIds) {
    const hex = record.id.replaceAll('-', '');
    const structured = new sharedPb.UUID.Structured();
    structured.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
    structured.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
    id.setStructured(structured);
  } else {
    id.setString(record.id);
  }
  recorded.setId(id);
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(Buffer.from(record.stream, 'utf8'));
  recorded.setStreamIdentifier(identifier);
  // uint64 on the wire, strings in the generated objects.
  recorded.setStreamRevision(String(record.revision));
  recorded.setCommitPosition(String(record.position));
  recorded.setPreparePosition(String(record.position));
  const metadata = recorded.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('content-type', record.contentType);
  metadata.set('created', record.created.toString());
  recorded.setData(record.data);
  recorded.setCustomMetadata(record.metadata);
  const event = new ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(String(record.position));
  const response = new ReadResp();
  response.setEvent(event);
  return response;
}

function batchAppendResponse(
  correlation: InstanceType<typeof sharedPb.UUID> | undefined,
  options: InstanceType<typeof streamsPb.BatchAppendReq.Options>,
  expected: ExpectedVersion,
  outcome: WriteOutcome,
): BatchAppendResp {
  const response = new BatchAppendResp();
  response.setCorrelationId(correlation);
  response.setStreamIdentifier(options.getStreamIdentifier());
  if (expected === EXPECTED_ANY) response.setAny(new GoogleEmpty());
  else if (expected === EXPECTED_NO_STREAM) response.setNoStream(new GoogleEmpty());
  else if (expected === EXPECTED_STREAM_EXISTS) response.setStreamExists(new GoogleEmpty());
  else response.setStreamPosition(String(expected));

  if (outcome.kind === 'wrong-expected-version') {
    // Errors travel as a google.rpc.Status whose detail is a packed Any.
    const detail = new sharedPb.WrongExpectedVersion();
    if (outcome.currentRevision === undefined) detail.setCurrentNoStream(new GoogleEmpty());
    else detail.setCurrentStreamRevision(String(outcome.currentRevision));
    if (expected === EXPECTED_ANY) detail.setExpectedAny(new GoogleEmpty());
    else if (expected === EXPECTED_NO_STREAM) detail.setExpectedNoStream(new GoogleEmpty());
    else if (expected === EXPECTED_STREAM_EXISTS) detail.setExpectedStreamExists(new GoogleEmpty());
    else detail.setExpectedStreamPosition(String(expected));
    const any = new Any();
    any.pack(detail.serializeBinary(), 'event_store.client.WrongExpectedVersion');
    const status = new statusPb.Status();
    status.setCode(9); // google.rpc.Code.FAILED_PRECONDITION
    status.setMessage('WrongExpectedVersion');
    status.setDetails(any as never);
    response.setError(status);
    return response;
  }
  const success = new BatchAppendResp.Success();
  if (outcome.lastRevision < 0) success.setNoStream(new GoogleEmpty());
  else success.setCurrentRevision(String(outcome.lastRevision));
  if (outcome.lastPosition < 0) success.setNoPosition(new GoogleEmpty());
  else {
    const position = new sharedPb.AllStreamPosition();
    position.setCommitPosition(String(outcome.lastPosition));
    position.setPreparePosition(String(outcome.lastPosition));
    success.setPosition(position);
  }
  response.setSuccess(success);
  return response;
}

function unavailable(details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() });
}

function invalidArgument(details: string): grpc.ServiceError {
  return Object.assign(new Error(details), {
    code: grpc.status.INVALID_ARGUMENT,
    details,
    metadata: new grpc.Metadata(),
  });
}

function requiredMetadata(key: string): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'missing-required-metadata-property');
  metadata.set('required-properties', key);
  return Object.assign(new Error(`missing ${key}`), {
    code: grpc.status.INVALID_ARGUMENT,
    details: `Missing required metadata property: ${key}`,
    metadata,
  });
}

// ---- Filters and positions

type CompiledFilter = ((record: LogRecord) => boolean) & { checkpointEvery: number };

function compileFilter(options: FilterOptions): CompiledFilter {
  const onType = options.hasEventType();
  const expression = onType ? options.getEventType()! : options.getStreamIdentifier()!;
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  const prefixes = expression.getPrefixList();
  const test = (record: LogRecord) => {
    const value = onType ? record.type : record.stream;
    if (regex) return regex.test(value);
    return prefixes.length === 0 || prefixes.some((p) => value.startsWith(p));
  };
  // A checkpoint every window of considered events, times the client's multiplier.
  const window = options.hasMax() ? options.getMax() : DEFAULT_SEARCH_WINDOW;
  return Object.assign(test, {
    checkpointEvery: Math.max(1, window * Math.max(1, options.getCheckpointintervalmultiplier())),
  });
}

function firstAtOrAfter(records: readonly LogRecord[], position: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid]!.position < position) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const firstAfter = (records: readonly LogRecord[], position: number): number => {
  const at = firstAtOrAfter(records, position);
  return records[at]?.position === position ? at + 1 : at;
};

const lastBefore = (records: readonly LogRecord[], position: number): number => firstAtOrAfter(records, position) - 1;
