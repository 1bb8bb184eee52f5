/**
 * The page's only way to the ledger: the API, with the key in the
 * Authorization header and never in a URL. Answers are kept with their ETag and
 * revalidated (If-None-Match), so an unchanged ledger costs a 304 and no body.
 */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export class Api {
  #key;
  /** url → { etag, body } */
  #kept = new Map();

  constructor(key) {
    this.#key = key;
  }

  #headers(extra = {}) {
    return { authorization: `Bearer ${this.#key}`, ...extra };
  }

  /** GET a JSON answer; a 304 answers the kept body. */
  async get(url) {
    const kept = this.#kept.get(url);
    const response = await fetch(url, {
      headers: this.#headers(kept ? { 'if-none-match': kept.etag } : {}),
      cache: 'no-store',
    });
    if (response.status === 304 && kept) return kept.body;
    if (!response.ok) {
      const problem = await response.json().catch(() => undefined);
      throw new ApiError(response.status, problem);
    }
    const body = await response.json();
    const etag = response.headers.get('etag');
    if (etag) this.#kept.set(url, { etag, body });
    return body;
  }

  /**
   * Follows /v1/positions/stream (Server-Sent Events) with fetch and a streamed
   * body: EventSource cannot send the Authorization header. Calls `onPosition`
   * with each position; resolves when the stream ends, rejects on failure.
   */
  async follow(onPosition, signal) {
    const response = await fetch('/v1/positions/stream', {
      headers: this.#headers({ accept: 'text/event-stream' }),
      signal,
      cache: 'no-store',
    });
    if (!response.ok || !response.body) throw new ApiError(response.status, undefined);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\n').find((line) => line.startsWith('data:'));
        if (!data) continue; // a keep-alive comment
        const position = JSON.parse(data.slice(5)).position;
        if (Number.isInteger(position)) onPosition(position);
      }
    }
  }
}
