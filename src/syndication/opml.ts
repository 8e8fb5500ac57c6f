import type { Context } from "../context.js";
import { renderOpml } from "../opml/index.js";
import { globalIds } from "../model/ids.js";
import { feedLinks, feedPath, isHttpUrl } from "./links.js";

/**
 * `/feeds/sources.opml`: every configured source (demo feeds included), as crosswire's own RSS feed of that source
 * (`/feeds/sources/<id>.rss`), not the upstream URL: it is the copy that keeps articles after they leave the
 * upstream feed, comes sanitized, and is reachable wherever the gateway is (the demo outlets' URLs are not).
 * `htmlUrl` is the source's homepage; a source's categories are folder outlines around it.
 */
export function sourcesOpml(ctx: Context, createdAt: Date): string {
  const sources = [...ctx.news.sources.values()].map(({ config }) => ({
    name: config.name,
    url: feedLinks(ctx.config, feedPath("sources", globalIds.source(config.id))).rss,
    homepage: isHttpUrl(config.homepage) ? config.homepage : null,
    categories: config.categories ?? [],
  }));
  return renderOpml("crosswire sources", sources, createdAt);
}
