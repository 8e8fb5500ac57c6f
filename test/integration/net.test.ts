import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFetcher, decodeText, FetchError } from "../../src/net/index.js";
import type { FetchErrorCode, FetchResult } from "../../src/net/types.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";

const RSS_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "rss");
const fixture = (name: string) => path.join(RSS_FIXTURES, name);
const MiB = 1024 * 1024;

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

/** Fetchers in these tests may reach the fixture server on 127.0.0.1, except where a test says otherwise. */
const local = (options: Parameters<typeof createFetcher>[0] = {}) =>
  createFetcher({ allowPrivateNetworks: true, timeoutMs: 5_000, ...options });

async function fetchError(promise: Promise<FetchResult>, code: FetchErrorCode): Promise<FetchError> {
  const error = await promise.then(
    (value: FetchResult) => {
      throw new Error(`expected a ${code} FetchError, got HTTP ${value.status} with ${value.bytes.length} bytes`);
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(FetchError);
  expect((error as FetchError).code, (error as FetchError).message).toBe(code);
  return error as FetchError;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("successful fetches", () => {
  it("returns body, media type, charset and validators, and sends the expected request headers", async () => {
    server.route("/feed.xml", {
      headers: {
        "content-type": 'Application/RSS+XML; Charset="ISO-8859-1"',
        etag: '"v1"',
        "last-modified": "Fri, 20 Nov 2026 07:40:00 GMT",
      },
      body: "<rss/>",
    });
    const result = await local({ userAgent: "crosswire-test/1" }).fetch({ url: server.url("/feed.xml") });
    expect(result).toEqual({
      status: 200,
      url: server.url("/feed.xml"),
      bytes: Buffer.from("<rss/>"),
      contentType: "application/rss+xml",
      charset: "iso-8859-1",
      etag: '"v1"',
      lastModified: "Fri, 20 Nov 2026 07:40:00 GMT",
      bodySkipped: false,
    });
    const sent = server.requests.at(-1)!.headers;
    expect(sent["user-agent"]).toBe("crosswire-test/1");
    expect(sent.accept).toMatch(/^application\/rss\+xml, application\/atom\+xml/);
    expect(sent["accept-encoding"]).toBe("gzip, deflate, br");
    expect(sent["if-none-match"]).toBeUndefined();
  });

  it("answers 304 with empty bytes when the validators match, and the server really received them", async () => {
    const etag = '"abc"';
    const lastModified = "Thu, 19 Nov 2026 10:00:00 GMT";
    server.route("/conditional", (req, res) => {
      if (req.headers["if-none-match"] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { etag, "last-modified": lastModified, "content-type": "application/atom+xml" });
      res.end("<feed/>");
    });
    const fetcher = local();
    const first = await fetcher.fetch({ url: server.url("/conditional") });
    expect(first.status).toBe(200);
    const validators = { etag: first.etag, lastModified: first.lastModified };
    const second = await fetcher.fetch({ url: server.url("/conditional"), ...validators });
    expect(second).toMatchObject({ status: 304, etag, lastModified });
    expect(second.bytes.length).toBe(0);
    const sent = server.requests.at(-1)!.headers;
    expect(sent["if-none-match"]).toBe(etag);
    expect(sent["if-modified-since"]).toBe(lastModified);
  });

  it("treats a 304 to an unconditional request as an error", async () => {
    server.route("/unasked-304", { status: 304 });
    const error = await fetchError(local().fetch({ url: server.url("/unasked-304") }), "HTTP_STATUS");
    expect(error.status).toBe(304);
  });

  it.each(["gzip", "deflate", "br"])("decodes a %s-encoded body transparently", async (encoding) => {
    const xml = readFileSync(fixture("rss2-basic.xml"));
    const compress = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync }[encoding]!;
    server.route(`/compressed-${encoding}`, {
      headers: { "content-encoding": encoding, "content-type": "application/rss+xml" },
      body: compress(xml),
    });
    const result = await local().fetch({ url: server.url(`/compressed-${encoding}`) });
    expect(result.bytes.equals(xml)).toBe(true);
  });
});

describe("redirects", () => {
  beforeAll(() => {
    for (let i = 1; i <= 6; i++) {
      server.route(`/hop${i}`, { status: i % 2 ? 301 : 307, headers: { location: i === 6 ? "/end" : `/hop${i + 1}` } });
    }
    server.route("/end", { headers: { "content-type": "text/xml" }, body: "<end/>" });
  });

  it("follows a chain of 3 (relative Locations) to the final URL", async () => {
    const result = await local().fetch({ url: server.url("/hop4") });
    expect(result.url).toBe(server.url("/end"));
    expect(result.bytes.toString()).toBe("<end/>");
  });

  it("refuses a 6th redirect with maxRedirects 5", async () => {
    const before = server.hits("/end");
    const url = server.url("/hop1");
    const error = await fetchError(local({ maxRedirects: 5 }).fetch({ url }), "TOO_MANY_REDIRECTS");
    expect(error.message).toContain("net.maxRedirects");
    expect(server.hits("/end")).toBe(before);
    await expect(local({ maxRedirects: 6 }).fetch({ url })).resolves.toMatchObject({ status: 200 });
  });

  it("refuses a redirect to file:///etc/passwd", async () => {
    server.route("/to-file", { status: 302, headers: { location: "file:///etc/passwd" } });
    const error = await fetchError(local().fetch({ url: server.url("/to-file") }), "BAD_URL");
    expect(error.message).toContain("file:");
    expect(error.message).toContain("only http: and https:");
  });

  it("stops a redirect loop as soon as a URL comes round again", async () => {
    server.route("/loop-a", { status: 302, headers: { location: "/loop-b" } });
    server.route("/loop-b", { status: 302, headers: { location: server.url("/loop-a?again") } });
    server.route("/loop-c", (req, res) => {
      // Hostile: a fresh URL every time, so only the redirect limit can end it.
      const n = Number(new URL(req.url!, "http://x").searchParams.get("n") ?? 0);
      res.writeHead(302, { location: `/loop-c?n=${n + 1}` }).end();
    });
    await fetchError(local().fetch({ url: server.url("/loop-a?again") }), "TOO_MANY_REDIRECTS");
    expect([server.hits("/loop-a"), server.hits("/loop-b")]).toEqual([1, 1]);
    await fetchError(local({ maxRedirects: 3 }).fetch({ url: server.url("/loop-c") }), "TOO_MANY_REDIRECTS");
    expect(server.hits("/loop-c")).toBe(4);
  });
});

describe("address filtering (allowPrivateNetworks false)", () => {
  let port: number;
  beforeAll(() => {
    port = Number(server.host.split(":")[1]);
    server.route("/", { body: "private" });
    server.route("/x", { body: "private x" });
  });

  it.each([
    "http://127.0.0.1:PORT/",
    "http://localhost:PORT/",
    "http://[::1]:PORT/",
    "http://2130706433:PORT/",
    "http://0x7f.1:PORT/",
    "http://0177.0.0.1:PORT/",
    "http://[::ffff:127.0.0.1]:PORT/",
    "http://0.0.0.0:PORT/",
    "http://169.254.169.254/",
  ])("refuses %s before any request is sent", async (template) => {
    const before = server.requests.length;
    const url = template.replace("PORT", String(port));
    const error = await fetchError(createFetcher({ timeoutMs: 3_000 }).fetch({ url }), "BLOCKED_ADDRESS");
    expect(error.message).toMatch(
      /^refused to connect to .+ for http:\/\/.+; set net\.allowPrivateNetworks to allow it$/,
    );
    expect(server.requests.length).toBe(before);
  });

  it("names the address a hostname resolved to", async () => {
    const error = await fetchError(createFetcher().fetch({ url: `http://localhost:${port}/` }), "BLOCKED_ADDRESS");
    expect(error.message).toBe(
      `refused to connect to localhost at 127.0.0.1 (loopback/private address) for http://localhost:${port}/; ` +
        "set net.allowPrivateNetworks to allow it",
    );
  });

  it("reaches a private host listed in allowHosts", async () => {
    const result = await createFetcher({ allowHosts: ["localhost"] }).fetch({ url: `http://localhost:${port}/` });
    expect(result.bytes.toString()).toBe("private");
  });

  it("checks every redirect hop: an allowed host redirecting to a private address is refused", async () => {
    server.route("/to-private", { status: 302, headers: { location: `http://127.0.0.1:${port}/x` } });
    const before = server.hits("/x");
    const fetcher = createFetcher({ allowHosts: ["localhost"] });
    const error = await fetchError(fetcher.fetch({ url: `http://localhost:${port}/to-private` }), "BLOCKED_ADDRESS");
    expect(error.url).toBe(`http://127.0.0.1:${port}/x`);
    expect(server.hits("/to-private")).toBe(1);
    expect(server.hits("/x")).toBe(before);
  });
});

describe("size limits", () => {
  it("refuses a declared Content-Length over maxBytes without waiting for the body", async () => {
    server.route("/huge-declared", (_req, res) => {
      res.writeHead(200, { "content-length": String(50 * 1024 * MiB) });
      res.write("x"); // and nothing more: only an early refusal can answer before the timeout
    });
    const started = Date.now();
    const error = await fetchError(local({ maxBytes: MiB }).fetch({ url: server.url("/huge-declared") }), "TOO_LARGE");
    expect(error.message).toContain(`${MiB} bytes (net.maxBytes)`);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("stops a never-ending chunked body at maxBytes, and the server sees the connection closed", async () => {
    let serverSaw: Promise<void> = Promise.resolve();
    server.route("/endless", (req, res) => {
      serverSaw = new Promise((resolve) => req.socket.once("close", () => resolve()));
      res.writeHead(200, { "content-type": "application/rss+xml" }); // no length: chunked
      const chunk = Buffer.alloc(64 * 1024, "a");
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    await fetchError(local({ maxBytes: MiB }).fetch({ url: server.url("/endless") }), "TOO_LARGE");
    await expect(withTimeout(serverSaw, 1_000)).resolves.toBe("done");
  });

  it("stops a gzip bomb (200 MiB of zeros) at 1 MiB quickly and with bounded memory", async () => {
    const bomb = await gzipZeros(200);
    expect(bomb.length).toBeLessThan(MiB);
    server.route("/bomb", { headers: { "content-encoding": "gzip", "content-type": "text/xml" }, body: bomb });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
    const started = Date.now();
    try {
      await fetchError(local({ maxBytes: MiB }).fetch({ url: server.url("/bomb") }), "TOO_LARGE");
    } finally {
      clearInterval(sampler);
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(rssPeak - rssBefore).toBeLessThan(100 * MiB);
  });
});

describe("timeouts", () => {
  it("gives up on slow headers at timeoutMs and really closes the socket", async () => {
    let serverSaw: Promise<void> = Promise.resolve();
    server.route("/slow-headers", (req, res) => {
      serverSaw = new Promise((resolve) => req.socket.once("close", () => resolve()));
      setTimeout(() => res.destroyed || res.end("too late"), 2_000);
    });
    const started = Date.now();
    const error = await fetchError(local({ timeoutMs: 300 }).fetch({ url: server.url("/slow-headers") }), "TIMEOUT");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.message).toContain("300 ms (net.timeoutMs)");
    await expect(withTimeout(serverSaw, 1_000)).resolves.toBe("done");
  });

  it("counts the TLS handshake in connectTimeoutMs: a server that accepts and never speaks is cut off", async () => {
    const silent = net.createServer(); // accepts TCP, never answers the ClientHello
    const closed: Array<Promise<void>> = [];
    silent.on("connection", (socket) => {
      closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
      socket.resume(); // read (and drop) the ClientHello, or the client's FIN is never noticed
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const fetcher = local({ connectTimeoutMs: 200, timeoutMs: 5_000 });
      const error = await fetchError(fetcher.fetch({ url: `https://127.0.0.1:${port}/feed` }), "TIMEOUT");
      expect(error.message).toBe(
        `could not connect to 127.0.0.1:${port} within 200 ms (net.connectTimeoutMs) ` +
          `for https://127.0.0.1:${port}/feed`,
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(closed).toHaveLength(1);
      await expect(withTimeout(closed[0]!, 1_000)).resolves.toBe("done");
    } finally {
      silent.close();
    }
  });

  it("applies to a delayMs fixture the same way", async () => {
    server.route("/delayed", { delayMs: 2_000, body: "late" });
    await fetchError(local({ timeoutMs: 300 }).fetch({ url: server.url("/delayed") }), "TIMEOUT");
  });

  it("cuts off a body that drips one byte at a time (each read is quick, the whole is not)", async () => {
    server.route("/drip", (req, res) => {
      res.writeHead(200, { "content-type": "text/xml" });
      const timer = setInterval(() => res.write("."), 200);
      req.socket.once("close", () => clearInterval(timer));
    });
    const started = Date.now();
    const error = await fetchError(local({ timeoutMs: 1_000 }).fetch({ url: server.url("/drip") }), "TIMEOUT");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.url).toBe(server.url("/drip"));
  });
});

describe("HTTP and network failures", () => {
  it.each([404, 500])("reports HTTP %i with its status", async (status) => {
    server.route(`/status-${status}`, { status, body: "nope" });
    const error = await fetchError(local().fetch({ url: server.url(`/status-${status}`) }), "HTTP_STATUS");
    expect(error.status).toBe(status);
    const reason = status === 404 ? "Not Found" : "Internal Server Error";
    expect(error.message).toBe(`${server.url(`/status-${status}`)} answered HTTP ${status} ${reason}`);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it("reads Retry-After in seconds (429) and as an HTTP date (503)", async () => {
    server.route("/busy", { status: 429, headers: { "retry-after": "120" } });
    const inSeconds = await fetchError(local().fetch({ url: server.url("/busy") }), "HTTP_STATUS");
    expect(inSeconds).toMatchObject({ status: 429, retryAfterMs: 120_000 });

    server.route("/down", { status: 503, headers: { "retry-after": new Date(Date.now() + 60_000).toUTCString() } });
    const asDate = await fetchError(local().fetch({ url: server.url("/down") }), "HTTP_STATUS");
    expect(asDate.retryAfterMs).toBeGreaterThan(57_000);
    expect(asDate.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("reports a refused connection as NETWORK", async () => {
    const port = await freePort();
    const error = await fetchError(local().fetch({ url: `http://127.0.0.1:${port}/feed` }), "NETWORK");
    expect(error.message).toBe(`could not connect to 127.0.0.1:${port}: ECONNREFUSED`);
  });

  it("reports a connection cut mid-body as NETWORK", async () => {
    server.route("/cut", (_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("only part of it", () => res.destroy());
    });
    await fetchError(local().fetch({ url: server.url("/cut") }), "NETWORK");
  });

  it.each([
    ["ftp://example.org/feed", "ftp:"],
    ["file:///etc/passwd", "file:"],
    ["not a url", "not a valid absolute URL"],
    ["http://user:secret@example.org/feed", "credentials"],
  ])("refuses %s as BAD_URL", async (url, expected) => {
    const error = await fetchError(local().fetch({ url }), "BAD_URL");
    expect(error.message).toContain(expected);
    expect(error.message).not.toContain("secret");
  });

  it("checks options once, naming each bad one", () => {
    expect(() => createFetcher({ timeoutMs: -1, maxRedirects: 1.5, allowHosts: ["http://x.example/"] })).toThrow(
      /timeoutMs: expected an integer >= 1, got -1\n- maxRedirects: .*\n- allowHosts: .*"http:\/\/x\.example\/"/,
    );
  });
});

describe("decodeText", () => {
  it("follows an XML declaration of windows-1252 and rewrites it to UTF-8", () => {
    const text = decodeText(readFileSync(fixture("windows-1252-declared.xml")), null, "xml");
    expect(text).toContain("Café “quoted” – dash");
    expect(text).toContain("4 € – “for now”");
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  });

  it("uses the charset from the header over the XML default (ISO-8859-1, fetched over HTTP)", async () => {
    server.serveFile("/latin1.xml", fixture("iso-8859-1-no-declaration.xml"), {
      "content-type": "application/rss+xml; charset=ISO-8859-1",
    });
    const result = await local().fetch({ url: server.url("/latin1.xml") });
    expect(result.charset).toBe("iso-8859-1");
    const text = decodeText(result.bytes, result.charset, "xml");
    expect(text).toContain("Zürich");
    // Without the header the bytes are not UTF-8: the reader's fallback (windows-1252, issue 16 item 8) reads them.
    expect(decodeText(result.bytes, null, "xml")).toContain("Zürich");
    expect(decodeText(result.bytes, null, "xml")).not.toContain("\uFFFD");
  });

  it("lets a BOM win over the header and strips it", () => {
    const text = decodeText(readFileSync(fixture("utf8-bom.xml")), "windows-1252", "xml");
    expect(text.startsWith("\uFEFF")).toBe(false);
    expect(text.startsWith("<?xml")).toBe(true);
    expect(text).toContain("Fixture News – UTF-8 with BOM");
  });

  it("decodes UTF-16LE with a BOM", () => {
    const xml = '<?xml version="1.0" encoding="UTF-16"?><a>Zürich</a>';
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, "utf16le")]);
    expect(decodeText(bytes, null, "xml")).toBe('<?xml version="1.0" encoding="UTF-8"?><a>Zürich</a>');
  });

  it.each([
    ['<meta charset="windows-1252">', "meta charset"],
    ['<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', "http-equiv"],
  ])("reads an HTML %s", (meta) => {
    const bytes = iconv.encode(`<!DOCTYPE html><html><head>${meta}<title>“Café”</title></head></html>`, "windows-1252");
    expect(decodeText(bytes, null, "html")).toContain("<title>“Café”</title>");
  });

  it("treats an ISO-8859-1 label as windows-1252, as browsers do", () => {
    expect(decodeText(Buffer.from([0x93, 0x68, 0x69, 0x94]), "iso-8859-1", "json")).toBe("“hi”");
  });

  it("falls back to UTF-8 for unknown charset names instead of throwing", () => {
    const bytes = Buffer.from('<?xml version="1.0" encoding="x-made-up"?><a>Zürich</a>', "utf8");
    expect(decodeText(bytes, "also-made-up", "xml")).toContain("<a>Zürich</a>");
    expect(decodeText(Buffer.from('{"city":"Zürich"}'), "bogus", "json")).toBe('{"city":"Zürich"}');
  });
});

describe("fixture server", () => {
  it("answers 404 for unknown paths, counts hits and ignores the query when routing", async () => {
    const res = await fetch(server.url("/nowhere?x=1"));
    expect(res.status).toBe(404);
    expect(server.hits("/nowhere")).toBe(1);
  });
});

async function gzipZeros(mebibytes: number): Promise<Buffer> {
  const gzip = zlib.createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on("data", (part: Buffer) => parts.push(part));
  const done = new Promise((resolve) => gzip.on("end", resolve));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < mebibytes; i++) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once("drain", resolve));
  }
  gzip.end();
  await done;
  return Buffer.concat(parts);
}

function withTimeout(promise: Promise<void>, ms: number): Promise<"done" | "timed out"> {
  return Promise.race([
    promise.then(() => "done" as const),
    new Promise<"timed out">((resolve) => setTimeout(() => resolve("timed out"), ms)),
  ]);
}

describe("the shared host budget", () => {
  it("never has more than perHostConcurrency requests in flight to one host, nor more than the global cap", async () => {
    const { createHostBudget } = await import("../../src/net/budget.js");
    const budget = createHostBudget({ perHost: 4, global: 6, defaultBackoffMs: 1000, breakerThreshold: 5, breakerOpenMs: 1000 });
    const inFlight = new Map<string, number>();
    let globalNow = 0;
    let maxPerHost = 0;
    let maxGlobal = 0;
    const task = (host: string) => async () => {
      inFlight.set(host, (inFlight.get(host) ?? 0) + 1);
      globalNow += 1;
      maxPerHost = Math.max(maxPerHost, inFlight.get(host)!);
      maxGlobal = Math.max(maxGlobal, globalNow);
      await new Promise((r) => setTimeout(r, 5));
      inFlight.set(host, inFlight.get(host)! - 1);
      globalNow -= 1;
    };
    await Promise.all([
      ...Array.from({ length: 20 }, () => budget.run("a.example", "http://a.example/", task("a.example"))),
      ...Array.from({ length: 20 }, () => budget.run("b.example", "http://b.example/", task("b.example"))),
    ]);
    expect(maxPerHost).toBe(4);
    expect(maxGlobal).toBe(6);
  });

  it("forgets hosts that say nothing, keeps a failing host's breaker until the cap, and never tracks more than MAX_TRACKED_HOSTS", async () => {
    const { createHostBudget, MAX_TRACKED_HOSTS } = await import("../../src/net/budget.js");
    const { FetchError } = await import("../../src/net/errors.js");
    const budget = createHostBudget({ perHost: 4, global: 64, defaultBackoffMs: 1000, breakerThreshold: 2, breakerOpenMs: 60_000 });
    const ok = async () => "ok";
    const down = (host: string) => async () => {
      throw new FetchError("NETWORK", `http://${host}/`, "refused", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
    };
    const unresolved = (host: string) => async () => {
      throw new FetchError("NETWORK", `http://${host}/`, "no such host", { cause: Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }) });
    };
    for (let i = 0; i < 100; i++) await budget.run(`ok${i}.example`, "http://x/", ok);
    for (let i = 0; i < 100; i++) await budget.run(`nx${i}.example`, "http://x/", unresolved(`nx${i}.example`)).catch(() => undefined);
    expect(budget.trackedHosts()).toBe(0);
    // a host that is down keeps its count: the second failure opens its circuit
    for (let i = 0; i < 2; i++) await budget.run("down.example", "http://down.example/", down("down.example")).catch(() => undefined);
    expect(budget.trackedHosts()).toBe(1);
    await expect(budget.run("down.example", "http://down.example/", ok)).rejects.toMatchObject({ code: "CIRCUIT_OPEN" });
    for (let i = 0; i < MAX_TRACKED_HOSTS + 50; i++) await budget.run(`d${i}.example`, "http://x/", down(`d${i}.example`)).catch(() => undefined);
    expect(budget.trackedHosts()).toBe(MAX_TRACKED_HOSTS);
  });
});
