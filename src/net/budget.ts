import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { FetchError, networkCode } from "./errors.js";

/**
 * Shared politeness for every outbound request of the process: at most `perHost` requests in flight to one
 * host and `global` in all, queued in arrival order; and a host that answered 429/503 is left alone
 * until its Retry-After (or `defaultBackoffMs`) has passed, instead of being retried blindly.
 *
 * A 403 or 404 is about one resource (a private post, a hidden profile, a page behind a paywall), never about
 * the host: it sets no backoff. A request for a URL a client chose (`clientChosen`: Query.unfurl, a link in a
 * post) obeys the host's backoff and open circuit but never changes them, whatever it answers: otherwise
 * anyone could take a news source offline by asking for a URL of its host that answers 429 or 500. A 429/503
 * it gets backs off only the client-chosen requests to that host (unfurls stay polite to a rate-limited site).
 */
export interface HostBudget {
  run<T>(host: string, url: string, task: () => Promise<T>, options?: { clientChosen?: boolean }): Promise<T>;
  /** Hosts whose breaker or backoff state is kept (bounded by MAX_TRACKED_HOSTS each). */
  trackedHosts(): number;
}

export interface BudgetOptions {
  perHost: number;
  global: number;
  /**
   * Requests in flight for client-chosen URLs. They run in a lane of their own (own global and per-host
   * counts): 40 slow-drip unfurls once held all 32 shared slots, and an admin refreshSource took 14 s instead
   * of 19 ms. Operator-chosen requests (feed polls, forum reads, admin calls) never wait for a client's.
   * Default: `global`, in its own lane.
   */
  clientGlobal?: number;
  defaultBackoffMs: number;
  /** Consecutive upstream failures (network, timeout, 5xx) that open a host's circuit. */
  breakerThreshold: number;
  /** How long an open circuit fails fast before one trial request is let through. */
  breakerOpenMs: number;
  now?: () => number;
}

/**
 * Failures that say the upstream is down, not that this one request was bad. A name that does not resolve
 * (ENOTFOUND) is not one: it fails at once without touching any server, the unfurler caches it as a negative
 * answer, and counting it would keep a breaker (several KB) for every made-up host name anyone links.
 */
const upstreamDown = (error: Error) =>
  error instanceof FetchError &&
  ((error.code === "NETWORK" && networkCode(error) !== "ENOTFOUND") || error.code === "TIMEOUT" || (error.code === "HTTP_STATUS" && (error.status ?? 0) >= 500));

/** Statuses that speak for the whole host (a rate limit, an overload); 403 and 404 speak for one resource. */
const BACKOFF_STATUSES = new Set([429, 503]);

/**
 * Most hosts whose failure state (breaker, backoff) is remembered. Anyone can make the gateway fetch from
 * any number of host names (unfurl a link, post one), so the maps are pruned: a host's state is dropped as
 * soon as it says nothing (closed breaker after a success, backoff expired, nothing in flight), and past this
 * many hosts the oldest idle ones are forgotten (which at worst lets a forgotten host be tried once more).
 */
export const MAX_TRACKED_HOSTS = 5_000;

// Long on purpose (~113 lines): one closure over the per-host maps (slots, backoff, breaker) and the client lane,
// which every method reads and prunes together; splitting it would hand the maps around in an object.
export function createHostBudget(options: BudgetOptions): HostBudget {
  const now = options.now ?? Date.now;
  // Slots are counted per lane: "op|host" and "client|host" (see BudgetOptions.clientGlobal).
  const active = new Map<string, number>();
  const globalActive = { op: 0, client: 0 };
  const globalCap = { op: options.global, client: options.clientGlobal ?? options.global };
  type Lane = keyof typeof globalActive;
  const waiting: Array<{ host: string; lane: Lane; start: () => void }> = [];
  const blockedUntil = new Map<string, { until: number; status: number }>();
  /** Backoffs set by client-chosen requests: they hold back client-chosen requests only. */
  const clientBlockedUntil = new Map<string, { until: number; status: number }>();
  // One circuit breaker per host (cockatiel): after `breakerThreshold` failures in a row, requests to the
  // host fail at once for `breakerOpenMs`, then a single trial decides whether it closes again.
  const breakers = new Map<string, CircuitBreakerPolicy>();
  const breakerFor = (host: string) => {
    let breaker = breakers.get(host);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(upstreamDown), {
        halfOpenAfter: options.breakerOpenMs,
        breaker: new ConsecutiveBreaker(options.breakerThreshold),
      });
      breakers.set(host, breaker);
    }
    return breaker;
  };

  const slot = (lane: Lane, host: string) => `${lane}|${host}`;
  const inFlight = (host: string) => (active.get(slot("op", host)) ?? 0) + (active.get(slot("client", host)) ?? 0);
  const canStart = (host: string, lane: Lane) => globalActive[lane] < globalCap[lane] && (active.get(slot(lane, host)) ?? 0) < options.perHost;

  const acquire = (host: string, lane: Lane) => {
    active.set(slot(lane, host), (active.get(slot(lane, host)) ?? 0) + 1);
    globalActive[lane] += 1;
  };

  // A waiter's slot is taken here, before it is woken: counting it only once it resumes would let every
  // waiter that pump() wakes in one pass start at once (46 requests in flight to one host with a cap of 4).
  function pump(): void {
    for (let i = 0; i < waiting.length; ) {
      const entry = waiting[i]!;
      if (canStart(entry.host, entry.lane)) {
        waiting.splice(i, 1);
        acquire(entry.host, entry.lane);
        entry.start();
      } else {
        i += 1;
      }
    }
  }

  function forgetIdle(host: string, lane: Lane, countedFailure: boolean): void {
    if ((active.get(slot(lane, host)) ?? 0) === 0) active.delete(slot(lane, host));
    if (inFlight(host) > 0) return;
    for (const map of [blockedUntil, clientBlockedUntil]) {
      const blocked = map.get(host);
      if (blocked && blocked.until <= now()) map.delete(host);
    }
    // A closed breaker after an outcome it did not count as a failure holds no failure count: it is the same as a
    // new one. (Its consecutive count is reset by a success; a request that failed for a reason other than the
    // upstream being down, such as a name that does not resolve, was never counted.)
    if (!countedFailure && breakers.get(host)?.state === CircuitState.Closed) breakers.delete(host);
    for (const map of [breakers, blockedUntil, clientBlockedUntil] as Array<Map<string, unknown>>) {
      if (map.size <= MAX_TRACKED_HOSTS) continue;
      for (const oldest of map.keys()) {
        if (map.size <= MAX_TRACKED_HOSTS) break;
        if (inFlight(oldest) === 0) map.delete(oldest);
      }
    }
  }

  return {
    async run(host, url, task, runOptions = {}) {
      for (const map of runOptions.clientChosen ? [blockedUntil, clientBlockedUntil] : [blockedUntil]) {
        const expired = map.get(host);
        if (expired && expired.until <= now()) map.delete(host);
      }
      const blocked = blockedUntil.get(host) ?? (runOptions.clientChosen ? clientBlockedUntil.get(host) : undefined);
      if (blocked && blocked.until > now()) {
        const at = new Date(blocked.until).toISOString().slice(11, 16);
        throw new FetchError("HOST_BACKOFF", url, `not asking ${host} again before ${at} UTC: it answered HTTP ${blocked.status}`, {
          retryAfterMs: blocked.until - now(),
        });
      }
      const lane: Lane = runOptions.clientChosen ? "client" : "op";
      if (canStart(host, lane)) acquire(host, lane);
      else await new Promise<void>((start) => waiting.push({ host, lane, start }));
      let countedFailure = false;
      try {
        if (runOptions.clientChosen) {
          // Observes the host's state without changing it: no breaker is created for it, no failure counted.
          if (breakers.get(host)?.state === CircuitState.Open) throw new BrokenCircuitError();
          return await task();
        }
        return await breakerFor(host).execute(() => task());
      } catch (error) {
        countedFailure = !runOptions.clientChosen && error instanceof Error && upstreamDown(error);
        if (error instanceof BrokenCircuitError) {
          throw new FetchError("CIRCUIT_OPEN", url, `not asking ${host} for now: its last ${options.breakerThreshold} requests failed (retrying after ${Math.round(options.breakerOpenMs / 1000)} s)`);
        }
        if (error instanceof FetchError && error.code === "HTTP_STATUS" && BACKOFF_STATUSES.has(error.status ?? 0)) {
          (runOptions.clientChosen ? clientBlockedUntil : blockedUntil).set(host, { until: now() + (error.retryAfterMs ?? options.defaultBackoffMs), status: error.status! });
        }
        throw error;
      } finally {
        active.set(slot(lane, host), (active.get(slot(lane, host)) ?? 1) - 1);
        globalActive[lane] -= 1;
        forgetIdle(host, lane, countedFailure);
        pump();
      }
    },
    trackedHosts: () => new Set([...breakers.keys(), ...blockedUntil.keys(), ...clientBlockedUntil.keys()]).size,
  };
}
