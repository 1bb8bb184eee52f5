/**
 * Kept answers. Dashboards poll the same few questions every few seconds, and
 * an answer depends only on the position and the request, so it is kept per
 * (position, url): first its text (no view to rebuild, no schema to
 * serialise); then, once it has gone out, its bytes and the headers the
 * pipeline gave it after the request was let through (content type, security
 * headers, ETag, Cache-Control, position, the log's tree). The freshness hook
 * (freshness.ts) sends a kept answer again as it was, straight after the key
 * is checked and the 304 test: one header block written once, instead of
 * validation, the handler and each onSend hook adding its headers one by one.
 *
 * What a kept answer replays is what the full pipeline sent for the same
 * position and url, so no header can go missing; the headers of the request
 * itself (its id, CORS, rate limits, X-Ledger-Stale: set before the handler)
 * are taken from the request being answered.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Header names and values, in pairs, as `ServerResponse.writeHead` takes them. */
export type HeaderFields = (string | string[])[];

interface KeptAnswer {
  /** The JSON text, until the answer has gone out once. */
  text?: string;
  /** Once the answer has gone out: its bytes, and the headers it went out with. */
  body?: Buffer;
  head?: HeaderFields;
}

/** An answer that can be sent again as it was. */
export interface SendableAnswer {
  body: Buffer;
  head: HeaderFields;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

export const answerKey = (position: number, url: string) => `${position} ${url}`;

export class AnswerCache {
  private readonly answers = new Map<string, KeptAnswer>();
  private size = 0;
  /**
   * Bounded by the text kept, not only by count: on a long history one inventory answer is about
   * 100 kB, and an auditor's sweep over many dates must not hold tens of MB of answers nobody
   * asks for again. The oldest answers go first.
   */
  constructor(
    private readonly capacity = 512,
    private readonly maxChars = 8_000_000,
  ) {}

  get(key: string, compute: () => unknown): string {
    const kept = this.answers.get(key);
    if (kept !== undefined) return kept.text ?? kept.body!.toString();
    const text = JSON.stringify(compute());
    if (text.length > this.maxChars) return text;
    this.makeRoom(text.length);
    this.answers.set(key, { text });
    this.size += text.length;
    return text;
  }

  /** Keeps the headers an answer went out with (`head`), and its bytes in place of its text. */
  keepHead(key: string, head: HeaderFields): void {
    const kept = this.answers.get(key);
    if (kept?.text === undefined) return;
    const body = Buffer.from(kept.text);
    this.size += body.length - kept.text.length;
    this.answers.set(key, { body, head });
  }

  /** The answer kept under `key`, if it has gone out once and can be sent again as it was. */
  sendable(key: string): SendableAnswer | undefined {
    const kept = this.answers.get(key);
    return kept?.head === undefined ? undefined : (kept as SendableAnswer);
  }

  /** Characters (or, once sent, bytes) of answers kept. */
  get chars(): number {
    return this.size;
  }

  private makeRoom(length: number): void {
    while (this.answers.size >= this.capacity || (this.size + length > this.maxChars && this.answers.size > 0)) {
      const [oldest, kept] = this.answers.entries().next().value as [string, KeptAnswer];
      this.answers.delete(oldest);
      this.size -= kept.text?.length ?? kept.body!.length;
    }
  }
}

/** The headers set on a reply so far, as name, value pairs. */
export function headerFields(headers: Record<string, unknown>, except?: ReadonlySet<string>): HeaderFields {
  const fields: HeaderFields = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || except?.has(name)) continue;
    fields.push(name, Array.isArray(value) ? value.map(String) : String(value));
  }
  return fields;
}

/** The request's own headers (set before the handler), then the kept answer's block, and its bytes. */
export function sendAgain(reply: FastifyReply, answer: SendableAnswer): void {
  const fields = headerFields(reply.getHeaders());
  for (let i = 0; i < answer.head.length; i++) fields.push(answer.head[i]!);
  // Written on the response itself: Fastify's onSend hooks already ran, for the answer kept.
  // The onResponse hooks (metrics, the request's log line) still run when it is finished.
  reply.hijack();
  reply.raw.writeHead(200, fields);
  reply.raw.end(answer.body);
}

/** What a request answered from the cache remembers, to keep the headers its answer goes out with. */
export interface AnswerToKeep {
  key: string;
  /** The headers already set when the handler ran: the request's own, not the answer's. */
  before: ReadonlySet<string>;
}

/** Sends a projection answer from the cache (computing it on a miss) and, for a GET, asks to keep its headers. */
export function sendCachedAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  answers: AnswerCache,
  position: number,
  compute: () => unknown,
): FastifyReply {
  const key = answerKey(position, request.url);
  const text = answers.get(key, compute);
  if (request.method === 'GET') request.answerToKeep = { key, before: new Set(Object.keys(reply.getHeaders())) };
  return reply.type(JSON_TYPE).send(text);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by sendCachedAnswer: the answer's headers are kept once it has gone out. */
    answerToKeep: AnswerToKeep | undefined;
  }
}
