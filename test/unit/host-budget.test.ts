import { describe, expect, it } from "vitest";
import { createHostBudget } from "../../src/net/budget.js";
import { FetchError } from "../../src/net/errors.js";

const budget = () => createHostBudget({ perHost: 4, global: 32, defaultBackoffMs: 60_000, breakerThreshold: 5, breakerOpenMs: 30_000 });
const answered = (status: number, url = "https://news.example/x") => () =>
  Promise.reject(new FetchError("HTTP_STATUS", url, `${url} answered HTTP ${status}`, { status }));
const ok = () => Promise.resolve("ok");

describe("host budget: which answers put a host into backoff", () => {
  it("leaves a host alone after a 403 or a 404: they concern one resource, so the next request is sent", async () => {
    const b = budget();
    for (const status of [403, 404, 403, 404]) await expect(b.run("news.example", "https://news.example/private", answered(status))).rejects.toMatchObject({ status });
    await expect(b.run("news.example", "https://news.example/feed", ok)).resolves.toBe("ok");
  });

  it("backs a host off after a 429 from a URL the operator configured", async () => {
    const b = budget();
    await expect(b.run("news.example", "https://news.example/feed", answered(429))).rejects.toMatchObject({ status: 429 });
    await expect(b.run("news.example", "https://news.example/feed", ok)).rejects.toMatchObject({ code: "HOST_BACKOFF" });
  });

  it("never lets a client-chosen URL put a host into backoff or open its circuit, whatever it answers", async () => {
    for (const statuses of [[429], [503], [500, 500, 500, 500, 500, 500, 500, 500]]) {
      const b = budget();
      for (const status of statuses) {
        await expect(b.run("news.example", "https://news.example/chosen", answered(status), { clientChosen: true })).rejects.toMatchObject({ status });
      }
      await expect(b.run("news.example", "https://news.example/feed", ok)).resolves.toBe("ok");
    }
  });

  it("backs off only other client-chosen URLs after a client-chosen URL answered 429: unfurls stay polite, the feed is fetched", async () => {
    const b = budget();
    await expect(b.run("news.example", "https://news.example/chosen", answered(429), { clientChosen: true })).rejects.toMatchObject({ status: 429 });
    await expect(b.run("news.example", "https://news.example/other", ok, { clientChosen: true })).rejects.toMatchObject({ code: "HOST_BACKOFF" });
    await expect(b.run("news.example", "https://news.example/feed", ok)).resolves.toBe("ok");
  });

  it("still makes a client-chosen URL wait out a backoff the host asked for", async () => {
    const b = budget();
    await expect(b.run("news.example", "https://news.example/feed", answered(429))).rejects.toMatchObject({ status: 429 });
    await expect(b.run("news.example", "https://news.example/chosen", ok, { clientChosen: true })).rejects.toMatchObject({ code: "HOST_BACKOFF" });
  });
});
