import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startTestGateway, type TestGateway } from "./helpers/gateway.js";

/**
 * End-to-end check of the offline GraphQL Playground in a real (headless) Chromium:
 * the page renders from the gateway's own assets, runs its default query through its own UI,
 * and never reaches for the network beyond the loopback gateway.
 */

const CHROMIUM = "/usr/bin/chromium";
const TEST_TIMEOUT = 60_000;
const SCREENSHOT = path.resolve(import.meta.dirname, "..", "test-output", "playground.png");

/**
 * The Playground's play button: a styled-components <div> (generated class names, no `.execute-button`),
 * whose title is the one stable hook.
 */
const EXECUTE_BUTTON = '.graphiql-wrapper.active [title="Execute Query (Ctrl-Enter)"]';
/** The query editor: the CodeMirror that is not read-only (the result pane is a read-only CodeMirror). */
const EDITOR = ".graphiql-wrapper.active .CodeMirror";

let gw: TestGateway;
let browser: Browser;

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
    let host = "";
    try {
      host = new URL(url).hostname;
    } catch {
      /* data:, blob: … have no host worth checking */
    }
    const loopback = host === "127.0.0.1" || host === "localhost" || host === "[::1]";
    if (!loopback && !url.startsWith("data:") && !url.startsWith("blob:")) {
      external.push(url);
      return route.abort();
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(String(err?.stack ?? err)));
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  return { context, page, external, pageErrors, consoleErrors };
}

/** Waits for the Playground app to mount and its query editor (CodeMirror) to render the default query. */
async function waitForEditor(page: Page): Promise<void> {
  await page.waitForSelector(EDITOR, { state: "visible", timeout: 45_000 });
  await page.waitForFunction(
    (selector) =>
      Array.from(document.querySelectorAll(selector)).some((el) => {
        const cm = (el as any).CodeMirror;
        return cm && !cm.getOption("readOnly") && /forums/.test(cm.getValue());
      }),
    EDITOR,
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
  gw = await startTestGateway();
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
}, TEST_TIMEOUT);

describe("GraphQL Playground in a browser (offline)", () => {
  it(
    "GET /playground renders the editor and runs the demo query from the play button",
    async () => {
      const { context, page, external, pageErrors, consoleErrors } = await openPage();
      try {
        const response = await page.goto(`${gw.url}/playground`, { waitUntil: "load", timeout: 45_000 });
        expect(response?.status()).toBe(200);
        await waitForEditor(page);

        // The schema is fetched by introspection after mount; clicking play before the app is idle still
        // works, but wait for the button itself to be ready.
        const button = page.locator(EXECUTE_BUTTON);
        await button.waitFor({ state: "visible", timeout: 30_000 });
        await button.click();

        await page.waitForFunction(
          (selector) =>
            Array.from(document.querySelectorAll(selector))
              .map((el) => (el as any).CodeMirror)
              .some((cm) => cm && cm.getOption("readOnly") && /"(data|errors)"/.test(cm.getValue())),
          EDITOR,
          { timeout: 30_000 },
        );
        const text = await resultText(page);
        expect(text).toContain('"forums"');
        expect(text).toContain('"World Politics"');
        expect(text).not.toContain('"errors"');

        // The result pane shows it too (its first lines are on screen).
        const visible = await page.locator(".graphiql-wrapper.active").innerText();
        expect(visible).toContain("World Politics");

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
        const response = await page.goto(`${gw.url}/graphql`, { waitUntil: "load", timeout: 45_000 });
        expect(response?.status()).toBe(200);
        expect(response?.headers()["content-type"]).toMatch(/text\/html/);
        await waitForEditor(page);

        expect(pageErrors, `page errors:\n${pageErrors.join("\n")}`).toEqual([]);
        expect(external, `non-loopback requests:\n${external.join("\n")}`).toEqual([]);
        if (consoleErrors.length > 0) console.warn(`browser console errors on /graphql:\n${consoleErrors.join("\n")}`);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT,
  );
});
