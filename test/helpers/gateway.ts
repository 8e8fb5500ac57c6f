import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { LookupFunction } from "node:net";
import path from "node:path";
import pino from "pino";
import { loadConfig, type ConfigInput } from "../../src/config/index.js";
import { createGateway, type Gateway } from "../../src/server/index.js";
import type { LoaderOptions } from "../../src/loaders/index.js";

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  /** POST a GraphQL request (with extra headers, e.g. an admin token); returns status and parsed JSON body. */
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** A real gateway on 127.0.0.1 with a fresh data directory (the demo forum is seeded unless told otherwise). */
export async function startTestGateway(
  overrides: ConfigInput = {},
  options: { dataDir?: string; loaderOptions?: LoaderOptions; lookup?: LookupFunction } = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "crosswire-test-"));
  // Tests never reach beyond loopback: no default (real) sources, and no unfurling of cited links unless a
  // test configures `unfurl` itself (with a fake DNS and a fixture server).
  const config = loadConfig({}, {
    port: 0, host: "127.0.0.1", dataDir, logLevel: "silent", sources: [], unfurl: { enabled: false }, ...overrides,
  });
  const gateway = await createGateway({
    config,
    logger: pino({ level: "silent" }),
    ...(options.loaderOptions ? { loaderOptions: options.loaderOptions } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const address = await gateway.listen();
  const url = `http://127.0.0.1:${address.port}`;
  return {
    gateway,
    url,
    dataDir,
    async graphql(query, variables, headers = {}) {
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await gateway.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
