import type { Context } from "../src/context.js";
import { UnauthenticatedError } from "../src/model/errors.js";
import { Source } from "../schema/news.js";
import { toSource } from "./mappers.js";

/**
 * A configured source by slug, with its health (fresh from the store when asked, else through the loader; `withHealth`
 * false: none, `kind` then loads it only if asked).
 */
export async function loadSource(ctx: Context, slug: string, fresh = false, withHealth = true): Promise<Source | null> {
  const feed = ctx.news.sources.get(slug);
  if (!feed) return null;
  if (!withHealth) return toSource(feed.config, undefined);
  const health = fresh ? (await ctx.news.store.health([slug]))[0] ?? null : await ctx.loaders.news.health.load(slug);
  return toSource(feed.config, health);
}


export function requireAdmin(ctx: Context): void {
  if (!ctx.config.adminToken) throw new UnauthenticatedError("admin operations are disabled: no adminToken is configured");
  if (!ctx.isAdmin) throw new UnauthenticatedError("this operation needs the admin token: send `Authorization: Bearer <adminToken>`");
}

