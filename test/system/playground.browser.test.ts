import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { toGlobalId } from "../../src/model/ids.js";
import { DEFAULT_PLAYGROUND_QUERY, PLAYGROUND_TABS } from "../../src/server/playground.js";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { rssFeed, until } from "../helpers/ws-client.js";

/**
 * End-to-end check of the offline GraphQL Playground in a real (headless) Chromium:
 * the page renders from the gateway's own assets, runs its default query through its own UI,
 * and never reaches for the network beyond the loopback gateway.
 */

const CHROMIUM = "/usr/bin/chromium";
const TEST_TIMEOUT = 60_000;
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCREENSHOT = path.resolve(REPO_ROOT, "test-output", "playground.png");

/**
 * The Playground's play button: a styled-components <div> (generated class names, no `.execute-button`),
 * whose title is the one stable hook.
 */
const EXECUTE_BUTTON = '.graphiql-wrapper.active [title="Execute Query (Ctrl-Enter)"]';
/**
 * Every CodeMirror of the open tab. The query editor is the one that is not read-only; the result pane
 * is the read-only one (the variables/headers editors hold no "forums").
 */
const EDITOR = ".graphiql-wrapper.active .CodeMirror";

let gw: TestGateway;
let browser: Browser;
/** A news source the live-subscription test makes publish a new article (refreshSource with the admin token). */
let fixture: FixtureServer;
let wireFeed = rssFeed([{ guid: "wire-0", title: "Background", link: "https://wire.example/background" }]);
const ADMIN = "playground-admin-token-0123456789";

function isLoopback(url: string): boolean {
  if (url.startsWith("data:") || url.startsWith("blob:")) return true;
  try {
    const host = new URL(url).hostname;
    return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
  } catch {
    return false;
  }
}

/** A fresh context+page with every non-loopback request aborted and recorded, and page errors collected. */
async function openPage(): Promise<{
  context: BrowserContext;
  page: Page;
  external: string[];
  pageErrors: string[];
  consoleErrors: string[];
}> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const external: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    external.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  // context.route() does not see WebSockets (e.g. a subscriptions endpoint): record those separately.
  page.on("websocket", (ws) => {
    if (!isLoopback(ws.url())) external.push(ws.url());
  });
  page.on("pageerror", (err) => pageErrors.push(String(err?.stack ?? err)));
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  return { context, page, external, pageErrors, consoleErrors };
}

/** Waits for the Playground app to mount and its query editor (CodeMirror) to render; returns the editor's text. */
async function waitForEditor(page: Page): Promise<string> {
  await page.waitForSelector(EDITOR, { state: "visible", timeout: 45_000 });
  const handle = await page.waitForFunction(
    (selector) => {
      for (const el of Array.from(document.querySelectorAll(selector))) {
        const cm = (el as any).CodeMirror;
        if (cm && !cm.getOption("readOnly") && /ThreadWithNews/.test(cm.getValue())) return cm.getValue() as string;
      }
      return null;
    },
    EDITOR,
    { timeout: 45_000 },
  );
  return (await handle.jsonValue()) as string;
}

/** Once mounted, the Playground introspects its endpoint (/graphql); resolves with that response. */
function waitForIntrospection(page: Page) {
  return page.waitForResponse(
    (res) =>
      res.request().method() === "POST" &&
      new URL(res.url()).pathname === "/graphql" &&
      (res.request().postData() ?? "").includes("__schema"),
    { timeout: 45_000 },
  );
}

/** The text of the result pane: the read-only CodeMirror's content (read from CodeMirror, not its lazily rendered DOM). */
async function resultText(page: Page): Promise<string> {
  return page.evaluate(
    (selector) =>
      Array.from(document.querySelectorAll(selector))
        .map((el) => (el as any).CodeMirror)
        .filter((cm) => cm && cm.getOption("readOnly"))
        .map((cm) => cm.getValue() as string)
        .join("\n"),
    EDITOR,
  );
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the Playground browser tests need it. Install it with: apt-get install -y chromium`,
    );
  }
  fixture = await startFixtureServer();
  fixture.route("/wire.xml", (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(wireFeed));
  gw = await startTestGateway({
    adminToken: ADMIN,
    net: { allowPrivateNetworks: true },
    news: { poll: false },
    sources: [{ id: "wire", name: "Wire Service", url: fixture.url("/wire.xml") }],
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}, TEST_TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  await fixture?.close();
}, TEST_TIMEOUT);

describe("GraphQL Playground in a browser (offline)", () => {
  it(
    "GET /playground renders the editor and runs the demo query from the play button",
    async () => {
      const { context, page, external, pageErrors, consoleErrors } = await openPage();
      try {
        const introspection = waitForIntrospection(page);
        const response = await page.goto(`${gw.url}/playground`, { waitUntil: "load", timeout: 45_000 });
        expect(response?.status()).toBe(200);
        expect((await waitForEditor(page)).trim()).toBe(DEFAULT_PLAYGROUND_QUERY.trim());
        expect((await introspection).status()).toBe(200);

        const button = page.locator(EXECUTE_BUTTON);
        await button.waitFor({ state: "visible", timeout: 30_000 });
        // A real mouse click at the button's centre. Not locator.click(): while the app is busy right after
        // mount, Playwright may find the button "not stable", and its retries scroll the panes to alternative
        // alignments (start/center), leaving the layout shifted in the screenshot. The button does not move.
        const box = await button.boundingBox();
        expect(box, "execute button has no layout box").not.toBeNull();
        const x = box!.x + box!.width / 2;
        const y = box!.y + box!.height / 2;
        const hit = await button.evaluate((el, [px, py]) => el.contains(document.elementFromPoint(px!, py!)), [x, y]);
        expect(hit, "something covers the execute button").toBe(true);
        // The query must go out from the page itself: catch the POST the click makes (not the introspection one).
        const queryResponse = page.waitForResponse(
          (res) =>
            res.request().method() === "POST" &&
            new URL(res.url()).pathname === "/graphql" &&
            (res.request().postData() ?? "").includes("ThreadWithNews"),
          { timeout: 30_000 },
        );
        await page.mouse.click(x, y);
        expect((await queryResponse).status()).toBe(200);

        await page.waitForFunction(
          (selector) =>
            Array.from(document.querySelectorAll(selector))
              .map((el) => (el as any).CodeMirror)
              .some((cm) => cm && cm.getOption("readOnly") && /"(data|errors?)"/.test(cm.getValue())),
          EDITOR,
          { timeout: 30_000 },
        );
        const text = await resultText(page);
        expect(text).toContain('"thread"');
        expect(text).toContain('"World Politics"');
        expect(text).toContain('"citations"');
        expect(text).not.toContain('"errors"');

        // The result pane shows it too (its first lines are on screen).
        const visible = await page.locator(".graphiql-wrapper.active").innerText();
        expect(visible).toContain("World Politics");

        await page.mouse.move(5, 5); // off the play button, so the screenshot shows it un-hovered
        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });

        expect(pageErrors, `page errors:\n${pageErrors.join("\n")}`).toEqual([]);
        expect(external, `non-loopback requests:\n${external.join("\n")}`).toEqual([]);
        if (consoleErrors.length > 0) console.warn(`browser console errors on /playground:\n${consoleErrors.join("\n")}`);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "a browser GET /graphql lands on the same Playground",
    async () => {
      const { context, page, external, pageErrors, consoleErrors } = await openPage();
      try {
        const introspection = waitForIntrospection(page);
        const response = await page.goto(`${gw.url}/graphql`, { waitUntil: "load", timeout: 45_000 });
        expect(response?.status()).toBe(200);
        expect(response?.headers()["content-type"]).toMatch(/text\/html/);
        expect((await waitForEditor(page)).trim()).toBe(DEFAULT_PLAYGROUND_QUERY.trim());
        expect((await introspection).status()).toBe(200);
        await expect(page.locator(EXECUTE_BUTTON).isVisible()).resolves.toBe(true);

        expect(pageErrors, `page errors:\n${pageErrors.join("\n")}`).toEqual([]);
        expect(external, `non-loopback requests:\n${external.join("\n")}`).toEqual([]);
        if (consoleErrors.length > 0) console.warn(`browser console errors on /graphql:\n${consoleErrors.join("\n")}`);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT,
  );
  it(
    "runs the live subscription tab over WebSocket and shows an article stored meanwhile in the result pane",
    async () => {
      const { context, page, external, pageErrors } = await openPage();
      try {
        await page.goto(`${gw.url}/playground`, { waitUntil: "load", timeout: 45_000 });
        await waitForEditor(page);
        // The showcase tabs, in order.
        for (const tab of PLAYGROUND_TABS) await page.getByText(tab.name, { exact: true }).first().waitFor({ timeout: 30_000 });
        await page.getByText("Live: new articles", { exact: true }).first().click();
        await page.waitForFunction(
          (selector) => Array.from(document.querySelectorAll(selector)).some((el) => /subscription NewArticles/.test((el as any).CodeMirror?.getValue() ?? "")),
          EDITOR,
          { timeout: 30_000 },
        );
        const socket = page.waitForEvent("websocket", { timeout: 30_000 });
        await page.locator(EXECUTE_BUTTON).click();
        const ws = await socket;
        expect(new URL(ws.url()).pathname).toBe("/graphql");
        await until(() => gw.gateway.live.subscriptions!.active() === 1, "the Playground's subscription to start", 30_000);

        wireFeed = rssFeed([{ guid: "wire-1", title: "Harbour reopens after the storm", link: "https://wire.example/harbour-reopens" }]);
        const refreshed = await gw.graphql(`mutation($id: ID!) { refreshSource(id: $id) { health { status } } }`, { id: toGlobalId("Source", "wire", "wire") }, { authorization: `Bearer ${ADMIN}` });
        expect(refreshed.body.data.refreshSource.health.status).toBe("OK");

        await page.waitForFunction(
          (selector) =>
            Array.from(document.querySelectorAll(selector))
              .map((el) => (el as any).CodeMirror)
              .some((cm) => cm && cm.getOption("readOnly") && /Harbour reopens after the storm/.test(cm.getValue())),
          EDITOR,
          { timeout: 30_000 },
        );
        const text = await resultText(page);
        expect(text).toContain('"articleAdded"');
        expect(text).toContain('"Wire Service"');
        expect(text).not.toContain("Could not connect");
        await page.mouse.move(5, 5);
        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-subscription.png") });
        expect(pageErrors, `page errors:\n${pageErrors.join("\n")}`).toEqual([]);
        expect(external, `non-loopback requests:\n${external.join("\n")}`).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT,
  );
});
