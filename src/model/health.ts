/**
 * How a source is doing (Source.health, Forum.source.health), one shape for feeds and forums, so a frontend can
 * say a source is down instead of silently showing old news.
 */
export type HealthStatus = "OK" | "PENDING" | "DEGRADED" | "FAILING" | "DISABLED";

export interface HealthRecord {
  status: HealthStatus;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  /** A sentence a forum admin understands; technical detail is in the logs. */
  lastError: string | null;
  consecutiveFailures: number;
  /** Items the gateway keeps for this source (articles, forum-feed posts); 0 where the backend keeps them itself. */
  itemCount: number;
}

/** The record of a source never attempted yet. */
export function pendingHealth(): HealthRecord {
  return { status: "PENDING", lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, itemCount: 0 };
}
