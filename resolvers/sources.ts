import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../src/context.js";
import { BadUserInputError } from "../src/model/errors.js";
import { decodeIdArgument, parseGlobalId } from "../src/model/ids.js";
import { emptyHealth } from "../src/model/news.js";
import { ArticleConnection, HealthStatus, Source, SourceHealth, SourceKind } from "../schema/news.js";
import { sourceKind } from "./mappers.js";
import { articlePage, TimeWindowArgs } from "./articles.js";
import { loadSource, requireAdmin } from "./source-lookup.js";
import { articleIndex } from "../src/read/articles.js";

@Resolver(() => Source)
export class SourceResolver {
  @Query(() => [Source], { description: "Every news source, with its health: the config file's (and demo feeds) first, then those added through the admin API (`origin` says which)." })
  async sources(@Ctx() ctx: Context): Promise<Source[]> {
    const all = await Promise.all([...ctx.news.sources.keys()].map((slug) => loadSource(ctx, slug)));
    return all.filter((s): s is Source => s !== null);
  }

  @Query(() => Source, {
    nullable: true,
    description: "A news source by its global ID or by its slug (the id in configuration, as the `/feeds/sources/<slug>` routes take it).",
  })
  async source(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Source | null> {
    if (ctx.news.sources.has(id)) return loadSource(ctx, id);
    const parsed = parseGlobalId(id);
    if (typeof parsed === "string") throw new BadUserInputError("id", `no source has the slug "${id.slice(0, 100)}", and it is not a Source ID either (${parsed})`);
    return loadSource(ctx, decodeIdArgument("id", id, "Source").key);
  }

  @FieldResolver(() => SourceKind, { description: "Format detected at the last successful poll, else the configured one." })
  async kind(@Root() source: Source, @Ctx() ctx: Context): Promise<SourceKind> {
    if (source.kind !== undefined) return source.kind;
    const feed = ctx.news.sources.get(source.slug);
    const health = (await ctx.loaders.news.health.load(source.slug)) ?? null;
    return feed ? sourceKind(feed.config, health) : ((health?.format ?? "RSS") as SourceKind);
  }

  @FieldResolver(() => SourceHealth)
  async health(@Root() source: Source, @Ctx() ctx: Context): Promise<SourceHealth> {
    const record = (await ctx.loaders.news.health.load(source.slug)) ?? emptyHealth();
    const date = (v: string | null) => (v ? new Date(v) : null);
    return {
      status: (source.enabled ? record.status : "DISABLED") as HealthStatus,
      lastSuccessAt: date(record.lastSuccessAt),
      lastAttemptAt: date(record.lastAttemptAt),
      lastError: record.lastError,
      consecutiveFailures: record.consecutiveFailures,
      itemCount: record.itemCount,
    };
  }

  @FieldResolver(() => ArticleConnection, { description: "Articles from this source, newest first, including those no longer in its feed." })
  async articles(@Root() source: Source, @Args(() => TimeWindowArgs) args: TimeWindowArgs, @Ctx() ctx: Context) {
    return articlePage(ctx, await articleIndex(ctx.loaders.news, [source.slug]), args, args);
  }

  @Mutation(() => Source, { description: "Polls a source now (admin token required). Returns it with its new health." })
  async refreshSource(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Source> {
    requireAdmin(ctx);
    const slug = decodeIdArgument("id", id, "Source").key;
    if (!ctx.news.sources.has(slug)) throw new BadUserInputError("id", `no source "${slug}" is configured`);
    await ctx.news.refresh(slug);
    return (await loadSource(ctx, slug, true))!;
  }

  @Mutation(() => [Source], { description: "Polls every enabled source now (admin token required)." })
  async refreshAllSources(@Ctx() ctx: Context): Promise<Source[]> {
    requireAdmin(ctx);
    const slugs = [...ctx.news.sources.values()].filter((s) => s.config.enabled).map((s) => s.config.id);
    await Promise.all(slugs.map((slug) => ctx.news.refresh(slug)));
    return (await Promise.all(slugs.map((slug) => loadSource(ctx, slug, true)))).filter((s): s is Source => s !== null);
  }
}

