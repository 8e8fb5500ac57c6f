import type { HealthRecord } from "./health.js";

/**
 * How one upstream answer moves a source's health, for feeds (sources/rss) and remote forums (src/forums/health.ts)
 * alike: a success resets the failures; a failure counts one more and says why. A source that has answered
 * before and failed fewer than 3 times in a row is DEGRADED, else FAILING.
 */
const FAILING_AFTER = 3;

export function afterSuccess<H extends HealthRecord>(before: H, at: Date): H {
  return { ...before, status: "OK", lastAttemptAt: at.toISOString(), lastSuccessAt: at.toISOString(), lastError: null, consecutiveFailures: 0 };
}

/** `lastError` is the whole sentence (the caller says what was kept); `whenText` gives its time the usual way. */
export function afterFailure<H extends HealthRecord>(before: H, at: Date, lastError: string): H {
  const failures = before.consecutiveFailures + 1;
  return {
    ...before,
    status: before.lastSuccessAt && failures < FAILING_AFTER ? "DEGRADED" : "FAILING",
    lastAttemptAt: at.toISOString(),
    lastError,
    consecutiveFailures: failures,
  };
}

/** "(at 2026-11-23 12:03 UTC)", as health sentences give the time of a failure. */
export function whenText(at: Date): string {
  return `(at ${at.toISOString().slice(0, 16).replace("T", " ")} UTC)`;
}
