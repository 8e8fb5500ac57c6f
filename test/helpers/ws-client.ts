import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

/**
 * A real graphql-ws client (graphql-transport-ws over the `ws` package) for the subscription tests, with a
 * subscription handle that queues what arrives so a test can await the next event or the error.
 */
export interface TestSubscription {
  /** The next `next` payload (waits up to `timeoutMs`). */
  next(timeoutMs?: number): Promise<{ data?: any; errors?: any[]; receivedAt: number }>;
  /** Payloads received so far and not yet taken by next(). */
  readonly received: Array<{ data?: any; errors?: any[]; receivedAt: number }>;
  /** Resolves with the errors of an `error` message, or rejects with the close event if the socket closed. */
  readonly error: Promise<any[]>;
  dispose(): void;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, "ws")}/graphql`;
}

export function connect(httpUrl: string, connectionParams?: Record<string, unknown>): Client & { closed: Promise<{ code: number; reason: string }> } {
  let closedWith!: (e: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (closedWith = r));
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {}, // the tests assert on `closed` instead of a console line
    ...(connectionParams ? { connectionParams } : {}),
    on: { closed: (event) => closedWith({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }) },
  });
  return Object.assign(client, { closed });
}

export function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}): TestSubscription {
  const received: Array<{ data?: any; errors?: any[]; receivedAt: number }> = [];
  const waiters: Array<() => void> = [];
  let onError!: (errors: any[]) => void;
  let onFail!: (e: unknown) => void;
  const error = new Promise<any[]>((resolve, reject) => {
    onError = resolve;
    onFail = reject;
  });
  error.catch(() => {});
  const dispose = client.subscribe({ query, variables }, {
    next: (value) => {
      received.push({ ...(value as object), receivedAt: Date.now() });
      waiters.splice(0).forEach((w) => w());
    },
    error: (err) => (Array.isArray(err) ? onError(err) : onFail(err)),
    complete: () => {},
  });
  return {
    received,
    error,
    dispose,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length === 0) {
        if (Date.now() > deadline) throw new Error(`no subscription event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received.shift()!;
    },
  };
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An RSS 2.0 feed with the given items (and optionally a WebSub hub and self link). */
export function rssFeed(items: Array<{ guid: string; title: string; link: string; summary?: string }>, links: { hub?: string; self?: string } = {}): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Fixture live feed</title><link>https://liveblog.example/</link>
${links.hub ? `<atom:link rel="hub" href="${esc(links.hub)}"/>` : ""}${links.self ? `<atom:link rel="self" href="${esc(links.self)}" type="application/rss+xml"/>` : ""}
${items.map((i) => `<item><guid>${esc(i.guid)}</guid><title>${esc(i.title)}</title><link>${esc(i.link)}</link><description>${esc(i.summary ?? i.title)}</description><pubDate>Wed, 25 Nov 2026 08:00:00 GMT</pubDate></item>`).join("\n")}
</channel></rss>`;
}
