import { httpUrlOrNull } from "../src/urls/index.js";
import { Ctx, FieldResolver, Query, Resolver, Root } from "type-graphql";
import { Forum } from "../schema/forum.js";
import { ForumBackendKind, ForumSourceInfo } from "../schema/forum-source.js";
import { HealthStatus, SourceHealth } from "../schema/news.js";
import type { ForumSource } from "../sources/forum.js";
import type { Context } from "../src/context.js";
import { describeForumSource, forumSourceHealth } from "../src/forums/index.js";

function toInfo(source: ForumSource): ForumSourceInfo {
  const info = describeForumSource(source);
  return Object.assign(new ForumSourceInfo(), { ...info, url: httpUrlOrNull(info.url), kind: info.kind.toUpperCase() as ForumBackendKind });
}

@Resolver(() => Forum)
export class ForumSourceFieldResolver {
  @FieldResolver(() => ForumSourceInfo, { description: "Which backend serves this forum, with its health." })
  source(@Root() forum: Forum, @Ctx() ctx: Context): ForumSourceInfo {
    const source = ctx.forums.get(forum.sourceId);
    // Forums only come from configured sources, so a miss here is a bug, not user input.
    if (!source) throw new Error(`no forum source "${forum.sourceId}" is configured`);
    return toInfo(source);
  }
}

@Resolver(() => ForumSourceInfo)
export class ForumSourceResolver {
  @Query(() => [ForumSourceInfo], { description: "Every forum backend, the local store first; each answers for its health even when it is down." })
  forumSources(@Ctx() ctx: Context): ForumSourceInfo[] {
    return [...ctx.forums.values()].map(toInfo);
  }

  @FieldResolver(() => SourceHealth, {
    nullable: true,
    description:
      "itemCount: posts the gateway keeps for this source (forum-feed, forum-discourse's fetched posts); 0 for the local store. " +
      "Null, with an error, only when the store holding the health record does not answer.",
  })
  async health(@Root() info: ForumSourceInfo, @Ctx() ctx: Context): Promise<SourceHealth> {
    const record = await forumSourceHealth(ctx.forums.get(info.id)!);
    const date = (v: string | null) => (v ? new Date(v) : null);
    return {
      status: record.status as HealthStatus,
      lastSuccessAt: date(record.lastSuccessAt),
      lastAttemptAt: date(record.lastAttemptAt),
      lastError: record.lastError,
      consecutiveFailures: record.consecutiveFailures,
      itemCount: record.itemCount,
    };
  }
}
