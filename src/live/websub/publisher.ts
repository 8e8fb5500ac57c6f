import type { Config } from "../../config/index.js";
import type { Logger } from "../../logger.js";
import type { Fetcher } from "../../net/types.js";
import { globalIds } from "../../model/ids.js";
import { feedLinks, feedPath, RIVER_PATH } from "../../syndication/links.js";
import { FEED_FORMATS } from "../../syndication/model.js";

/**
 * WebSub publisher side: our syndication feeds announce `websub.hubUrl` (rel="hub", src/syndication/render.ts),
 * and when one of them changes (new articles of a source, new posts in a thread; the river with either) the
 * hub is told with `hub.mode=publish&hub.url=<feed URL>`, the de-facto publish ping most hubs accept (the
 * Recommendation leaves publishing to the hub). Pings go through the guarded fetcher and are debounced per
 * feed URL (`websub.publishDebounceMs`), so a burst of changes is one ping per feed.
 */
export interface WebSubPublisher {
  sourceChanged(sourceId: string): void;
  threadChanged(forumSourceId: string, threadKey: string): void;
  /** Sends what is waiting now (tests, shutdown). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function createWebSubPublisher(deps: { config: Config; fetcher: Fetcher; logger: Logger }): WebSubPublisher {
  const { config } = deps;
  const hub = config.websub.hubUrl;
  const log = deps.logger.child({ component: "websub-publisher" });
  const waiting = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();

  const topics = (path: string) => FEED_FORMATS.map((format) => feedLinks(config, path)[format]);

  function queue(urls: string[]): void {
    if (!hub) return;
    for (const url of urls) waiting.add(url);
    if (!timer) {
      timer = setTimeout(() => void flush(), config.websub.publishDebounceMs);
      timer.unref();
    }
  }

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const urls = [...waiting];
    waiting.clear();
    sending = sending.then(async () => {
      for (const url of urls) {
        try {
          await deps.fetcher.fetch({
            url: hub!,
            post: { contentType: "application/x-www-form-urlencoded", body: new URLSearchParams({ "hub.mode": "publish", "hub.url": url }).toString() },
            maxBytes: 64 * 1024,
          });
        } catch (err) {
          log.warn({ hub, url, err: (err as Error).message }, "websub: hub did not accept the publish ping");
        }
      }
    });
    return sending;
  }

  return {
    sourceChanged(sourceId) {
      queue([...topics(feedPath("sources", globalIds.source(sourceId))), ...topics(RIVER_PATH)]);
    },
    threadChanged(forumSourceId, threadKey) {
      queue([...topics(feedPath("threads", globalIds.thread(forumSourceId, threadKey))), ...topics(RIVER_PATH)]);
    },
    flush,
    async stop() {
      if (waiting.size) await flush();
      await sending;
    },
  };
}
