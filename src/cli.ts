#!/usr/bin/env node
import "reflect-metadata";
import { writeFile } from "node:fs/promises";
import { printCrosswireSchema } from "../resolvers/index.js";
import { SCHEMA_FILE } from "../schema/build.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { createLogger } from "./logger.js";
import { createGateway } from "./app/index.js";
import { explainListenError, lockDataDir, StartupError } from "./server/startup.js";
import { OpmlError } from "./opml/index.js";
import { importOpmlIntoConfig, sourcesFromOpmlFile } from "./opml/import.js";

class UsageError extends Error {}

const USAGE = `Usage: crosswire [command]

Commands:
  serve          start the gateway (default); configured by environment variables and CROSSWIRE_CONFIG
  import-opml FILE [CONFIG]
                 add the subscriptions of an OPML file to the sources of a JSON config file
                 (default: $CROSSWIRE_CONFIG, else ./crosswire.json; created if missing)
  emit-schema    write the GraphQL schema the code defines to schema/schema.graphql
  help           show this text
`;

async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const opml = sourcesFromOpmlFile(config);
  for (const skipped of opml.skipped) logger.warn({ opmlFile: config.opmlFile, ...skipped }, "OPML subscription skipped");
  // Before anything opens the stores: a second gateway on this data dir stops here (startup.ts).
  const lock = lockDataDir(config);
  process.once("exit", () => lock.release());
  const gateway = await createGateway({ config, logger, extraSources: opml.sources });
  let address;
  try {
    address = await gateway.listen();
  } catch (err) {
    await gateway.stop().catch(() => {});
    throw explainListenError(err, config);
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  logger.info(
    { address: `${host}:${address.port}`, dataDir: config.dataDir },
    `crosswire listening: GraphQL at http://localhost:${address.port}/graphql, Playground at http://localhost:${address.port}/playground`,
  );

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    gateway.stop().then(
      () => {
        logger.info("stopped cleanly");
        logger.flush?.();
        process.exitCode = 0;
      },
      (err: unknown) => {
        logger.error({ err }, "error during shutdown");
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? "serve";
  switch (command) {
    case "serve":
      return serve();
    case "import-opml": {
      const file = argv[1];
      if (!file) throw new UsageError("import-opml needs the path of an OPML file");
      const target = argv[2] ?? process.env.CROSSWIRE_CONFIG ?? "crosswire.json";
      const defaults = loadConfig({}).sources;
      const { sources, skipped } = importOpmlIntoConfig(file, target, defaults);
      for (const s of sources) process.stdout.write(`added   ${s.id}  ${s.url}\n`);
      for (const s of skipped) process.stdout.write(`skipped ${s.title}  ${s.url}: ${s.reason}\n`);
      process.stdout.write(`${sources.length} added, ${skipped.length} skipped; wrote ${target}\n`);
      if (!process.env.CROSSWIRE_CONFIG || process.env.CROSSWIRE_CONFIG !== target) {
        process.stdout.write(`start the gateway with CROSSWIRE_CONFIG=${target} to use it\n`);
      }
      return;
    }
    case "emit-schema":
      await writeFile(SCHEMA_FILE, await printCrosswireSchema());
      process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
      return;
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`crosswire: unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof OpmlError) {
    process.stderr.write(`crosswire: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (err instanceof StartupError) {
    // The environment's to fix (a port in use, a data dir held): one sentence, exit 1 like any failed start.
    process.stderr.write(`crosswire: ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`crosswire: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`crosswire: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
