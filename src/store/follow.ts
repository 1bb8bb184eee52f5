/**
 * Following the store through its faults. A subscription ends when the store
 * fails under it (a read error, a dropped connection that could not be
 * resumed); the writer and the projector must not end with it. `followStore`
 * subscribes again from the last event delivered, with backoff, for as long
 * as the failures are store faults, so every event is delivered once and in
 * order across outages. Any other error is a bug in a fold: it is reported
 * once and following stops, because folding past it would be wrong.
 */
import { isStoreFault, StoreFault } from './faults.js';
import type { EventStore, SubscribeHandlers, Subscription } from './port.js';

export interface FollowHandlers extends SubscribeHandlers {
  /** A store fault ended the subscription; it is retried after `retryInMs`. */
  onFault?(fault: StoreFault, retryInMs: number): void;
  /** Delivery resumed after a fault. */
  onRecovered?(): void;
}

export interface FollowOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Runs an observer's hook (onFault, onRecovered): what it throws is dropped, so a failing report never stops the feed. */
function quietly(hook: (() => void) | undefined): void {
  try {
    hook?.();
  } catch {
    // Reporting is the hook's whole job; the feed goes on without it.
  }
}

export function followStore(
  store: EventStore,
  after: number,
  handlers: FollowHandlers,
  options: FollowOptions = {},
): Subscription {
  const initial = options.initialBackoffMs ?? 100;
  const max = options.maxBackoffMs ?? 5000;
  let position = after;
  let delay = initial;
  let closed = false;
  let faulted = false;
  let caughtUp = false;
  let current: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;

  const subscribe = () => {
    if (closed) return;
    current = store.subscribeToAll(position, {
      ...(handlers.streams ? { streams: handlers.streams } : {}),
      onEvent: (event) => {
        if (event.globalPosition <= position) return; // delivered before the fault
        if (faulted) {
          faulted = false;
          delay = initial;
          quietly(() => handlers.onRecovered?.());
        }
        const pending = handlers.onEvent(event);
        if (pending === undefined) {
          position = event.globalPosition;
          return;
        }
        return pending.then(() => {
          position = event.globalPosition;
        });
      },
      onCaughtUp: (at) => {
        if (faulted) {
          faulted = false;
          delay = initial;
          quietly(() => handlers.onRecovered?.());
        }
        if (caughtUp) return;
        caughtUp = true;
        handlers.onCaughtUp?.(at);
      },
      onError: (error) => {
        if (closed) return;
        if (!isStoreFault(error)) {
          closed = true;
          handlers.onError?.(error);
          return;
        }
        faulted = true;
        const wait = delay;
        delay = Math.min(delay * 2, max);
        const previous = current;
        current = undefined;
        void previous?.close().catch(() => undefined);
        timer = setTimeout(subscribe, wait);
        quietly(() => handlers.onFault?.(error, wait));
      },
    });
  };
  subscribe();

  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await current?.close();
    },
  };
}
