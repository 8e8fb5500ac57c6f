/**
 * A subscription's own queue: pub/sub events (each a batch: a poll's new articles, a sync's new posts)
 * unpacked into the items the subscription delivers, filtered, and held until the operation has executed
 * the previous one. At most `maxQueued` items wait (subscriptions.maxQueuedEvents); one more means the
 * subscription cannot keep up, and the stream ends with a SlowConsumerError (src/live/server.ts then closes
 * the connection with the slow-consumer close code) instead of growing without bound.
 */
export class SlowConsumerError extends Error {
  override name = "SlowConsumerError";
}

export function subscriptionStream<E, T>(
  source: AsyncIterable<unknown>,
  unpack: (event: E) => readonly T[],
  maxQueued: number,
): AsyncIterableIterator<T> {
  const events = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  type Waiter = { resolve(r: IteratorResult<T>): void; reject(e: unknown): void };
  let waiting = null as Waiter | null;
  let failure: unknown = null;
  let finished = false;

  const finish = (error: unknown = null) => {
    if (finished) return;
    finished = true;
    failure = error;
    void events.return?.();
    if (waiting) {
      const w = waiting;
      waiting = null;
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
      failure = null;
    }
  };

  void (async () => {
    try {
      for (;;) {
        const next = await events.next();
        if (next.done || finished) break;
        for (const item of unpack(next.value as E)) {
          if (waiting) {
            const w = waiting;
            waiting = null;
            w.resolve({ value: item, done: false });
          } else if (queue.length >= maxQueued) {
            throw new SlowConsumerError(`more than ${maxQueued} events waited for this subscription (subscriptions.maxQueuedEvents)`);
          } else {
            queue.push(item);
          }
        }
      }
      finish();
    } catch (err) {
      queue.length = 0;
      finish(err);
    }
  })();

  const done = (): Promise<IteratorResult<T>> => {
    queue.length = 0;
    finish();
    return Promise.resolve({ value: undefined, done: true });
  };
  return {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
      if (failure) {
        const error = failure;
        failure = null;
        return Promise.reject(error);
      }
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return: done,
    throw: done,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
