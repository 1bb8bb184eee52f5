/**
 * Keeps `process.nextTick` fast on Node 20 for the life of the process.
 *
 * Node 20 makes each tick object with an object literal whose first keys are computed (two symbols),
 * so V8 builds its shape from the root map of empty literals, one weak transition a key. When a full
 * collection finds no tick object alive (an idle moment: the queue is empty), it clears those
 * shapes, and the next tick object gets new ones. The literal's inline caches count every new shape
 * as another: after three such collections they turn megamorphic for good, and every `nextTick` call
 * goes through V8's generic property definition. By hand: 220-227 ns a call against 28-33 ns before
 * the collections; in the service after its start (whose collections are exactly such moments),
 * 213-251 ns against 25-27 ns in a bare Fastify process. A request makes several ticks, and a 304
 * is little else.
 *
 * One tick object kept alive keeps its shapes, so later tick objects reuse them and the caches stay
 * monomorphic. It must be kept before the first full collection: a cache never leaves megamorphic.
 * Node 26 makes tick objects with a class, whose shape no collection clears; there this costs one
 * small object and changes nothing.
 */
import { executionAsyncResource } from 'node:async_hooks';

let kept: object | undefined;

/**
 * Resolves with the tick object of a `nextTick` made now (the resource a tick's callback runs in),
 * and keeps it for the life of the process. Call it first thing at start.
 */
export function keepTickShape(): Promise<object> {
  return new Promise((resolve) =>
    process.nextTick(() => {
      kept ??= executionAsyncResource();
      resolve(kept);
    }),
  );
}
