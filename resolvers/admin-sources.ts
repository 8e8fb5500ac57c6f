import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import {
  AddForumInput, AddSourceInput, AddSourcePayload, FeedCandidate, ForumKind, OpmlImportReport, OpmlLine, RemoveSourcePayload, StoredForum, UpdateSourceInput,
} from "../schema/admin-sources.js";
import type { SourceKind } from "../schema/news.js";
import type { Context } from "../src/context.js";
import { CrosswireError, ErrorCode } from "../src/model/errors.js";
import { parseGlobalId } from "../src/model/ids.js";
import type { FeedSourceConfig } from "../src/model/news.js";
import type { SourceAdmin } from "../src/model/source-admin.js";
import { httpUrlOrNull } from "../src/urls/index.js";
import { toSource } from "./mappers.js";
import { requireAdmin } from "./source-lookup.js";

function admin(ctx: Context): SourceAdmin {
  requireAdmin(ctx);
  if (!ctx.sourceAdmin) throw new CrosswireError(ErrorCode.FORBIDDEN, "sources managed at runtime are off (storedSources.enabled is false)");
  return ctx.sourceAdmin;
}

/** A Source ID or a slug. */
function slugOf(id: string): string {
  const parsed = parseGlobalId(id);
  return typeof parsed === "string" || parsed.type !== "Source" ? id : parsed.key;
}

const source = (config: FeedSourceConfig) => toSource(config, null);

@Resolver()
export class AdminSourcesResolver {
  @Mutation(() => AddSourcePayload, { description: "Adds a news source from a feed or page URL and polls it once (admin token). Several feeds on the page: `candidates`, nothing stored." })
  async addSource(@Arg("input", () => AddSourceInput) input: AddSourceInput, @Ctx() ctx: Context): Promise<AddSourcePayload> {
    const result = await admin(ctx).addSource(input);
    return Object.assign(new AddSourcePayload(), {
      source: result.source ? source(result.source) : null,
      candidates: result.candidates.map((c) => Object.assign(new FeedCandidate(), { url: c.url, title: c.title, format: c.format as SourceKind | null })),
    });
  }

  @Mutation(() => AddSourcePayload, { description: "Changes a stored source (admin token); config-file sources are read-only (SOURCE_READ_ONLY)." })
  async updateSource(@Arg("id", () => ID) id: string, @Arg("input", () => UpdateSourceInput) input: UpdateSourceInput, @Ctx() ctx: Context): Promise<AddSourcePayload> {
    const config = await admin(ctx).updateSource(slugOf(id), input);
    return Object.assign(new AddSourcePayload(), { source: source(config), candidates: [] });
  }

  @Mutation(() => RemoveSourcePayload, { description: "Removes a stored source (admin token); `deleteArticles` says whether its articles go too." })
  async removeSource(@Arg("id", () => ID) id: string, @Arg("deleteArticles", () => Boolean) deleteArticles: boolean, @Ctx() ctx: Context): Promise<RemoveSourcePayload> {
    return Object.assign(new RemoveSourcePayload(), await admin(ctx).removeSource(slugOf(id), deleteArticles));
  }

  @Mutation(() => StoredForum, { description: "Adds a remote forum (Discourse site or forum feed) after checking its URL answers as one (admin token)." })
  async addForum(@Arg("input", () => AddForumInput) input: AddForumInput, @Ctx() ctx: Context): Promise<StoredForum> {
    const forum = await admin(ctx).addForum({ ...input, kind: input.kind === ForumKind.DISCOURSE ? "discourse" : "feed" });
    return Object.assign(new StoredForum(), { ...forum, kind: forum.kind === "discourse" ? ForumKind.DISCOURSE : ForumKind.FEED });
  }

  @Mutation(() => ID, { description: "Removes a stored remote forum (admin token); returns its id." })
  async removeForum(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    return (await admin(ctx).removeForum(id)).id;
  }

  @Mutation(() => OpmlImportReport, { description: "Stores the subscriptions of an OPML document (folders become categories) and reports what was added, skipped and failed (admin token)." })
  async importOpml(@Arg("opml", () => String) opml: string, @Ctx() ctx: Context): Promise<OpmlImportReport> {
    const report = await admin(ctx).importOpml(opml);
    // A failed line's URL is the file's text (javascript:, relative paths): given back only when it is http(s).
    const line = (l: { outline: string; url: string | null; reason: string }) => Object.assign(new OpmlLine(), { ...l, url: httpUrlOrNull(l.url) });
    return Object.assign(new OpmlImportReport(), { added: report.added.map(source), skipped: report.skipped.map(line), failed: report.failed.map(line) });
  }
}
