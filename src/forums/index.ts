import type { HealthRecord } from "../model/health.js";
import type { ForumSource, ForumSourceKind } from "../../sources/forum.js";
import { leaseExclusive, localExclusive, type Exclusive } from "../cluster/lock.js";
import type { Lease } from "../cluster/types.js";

/**
 * The forum toolkit: what forum adapters (sources/forum-*) and resolvers share, with no wiring. Adapters import
 * it (and health.ts, paging.ts, post-index.ts beside it); src/app/forums.ts builds the sources from config.
 */

/** The lock a source's post index writes under: this process only, or the cluster's Redis lock `forum-index:<id>`. */
export function postIndexLock(cluster: { lease: Lease; leaseTtlMs: number } | null | undefined, sourceId: string): Exclusive {
  return cluster ? leaseExclusive(cluster.lease, `forum-index:${sourceId}`, cluster.leaseTtlMs * 2) : localExclusive();
}

/** What Forum.source says about a backend. */
export interface ForumSourceInfo {
  id: string;
  kind: ForumSourceKind;
  name: string;
  url: string | null;
}

const LOCAL_NAME = "Local forum";

export function describeForumSource(source: ForumSource): ForumSourceInfo {
  return { id: source.id, kind: source.kind, name: source.name ?? LOCAL_NAME, url: source.url ?? null };
}

/** A source without a health method (the embedded store) answers or throws on each call: it is reported OK. */
export async function forumSourceHealth(source: ForumSource): Promise<HealthRecord> {
  if (source.health) return source.health();
  return { status: "OK", lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, itemCount: 0 };
}
