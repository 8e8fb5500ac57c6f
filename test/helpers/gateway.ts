import "reflect-metadata";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { LookupFunction } from "node:net";
import path from "node:path";
import pino from "pino";
import { loadConfig, type ConfigInput } from "../../src/config/index.js";
import { createGateway, type Gateway } from "../../src/app/index.js";
import type { LoaderOptions } from "../../src/loaders/index.js";
import { fromRoot } from "../../src/paths.js";

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
    port: 0, host: "127.0.0.1", dataDir, logLevel: "silent", sources: [], unfurl: { enabled: false },
    // Every test runs its documents through graphql-jit, not only those sent twice (test/integration/jit.test.ts
    // compares the two executors).
    execution: { jitCompileAfter: 1 },
    ...overrides,
  });
  const gateway = await createGateway({
    config,
    logger: pino({ level: "silent" }),
    ...(options.loaderOptions ? { loaderOptions: options.loaderOptions } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const address = await gateway.listen();
  // The articles' search catch-up starts on the turn after listen() and reads the article rows: tests that count
  // statements or backend calls start once it is done.
  await new Promise((resolve) => setImmediate(resolve));
  await gateway.search.whenIdle();
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

/**
 * `node dist/src/cli.js serve` with exactly `env` (and PATH): `listening` resolves with the port from the
 * "listening" log line, or rejects with everything logged if the process exits first.
 */
export function spawnServe(env: Record<string, string>) {
  const child = spawn(process.execPath, [fromRoot("dist", "src", "cli.js"), "serve"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = output.match(/"address":"[^"]*:(\d+)"/);
      if (match) {
        clearInterval(timer);
        resolve(Number(match[1]));
      }
    }, 20);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited before listening:\n${output}`));
    });
  });
  return { child, listening, exited, output: () => output };
}

/** A gateway in its own process (the built CLI, `serve`), configured by a JSON file as in production. */
export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process logged (pino JSON lines). */
  output(): string;
  graphql(query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  /** SIGTERM and wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/**
 * Starts `dist/src/cli.js serve` with `config` written to a temporary file (CROSSWIRE_CONFIG); resolves once it
 * listens. Set `port` in config, or leave it 0 and the port is read from the "listening" log line.
 */
export async function startGatewayProcess(config: Record<string, unknown>): Promise<GatewayProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-proc-"));
  const file = path.join(dir, "crosswire.json");
  writeFileSync(file, JSON.stringify({ host: "127.0.0.1", port: 0, logLevel: "info", dataDir: path.join(dir, "data"), ...config }));
  const { child, listening, exited, output } = spawnServe({ CROSSWIRE_CONFIG: file });
  const port = await listening;
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    output,
    async graphql(query, variables) {
      const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
