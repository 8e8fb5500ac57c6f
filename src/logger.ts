import pino, { type Logger } from "pino";
import type { Config } from "./config/index.js";

export type { Logger };

/** JSON lines (pino) for machines; pino-pretty when a person is watching a terminal. */
export function createLogger(config: Pick<Config, "logLevel">, destination?: pino.DestinationStream): Logger {
  if (destination) return pino({ level: config.logLevel, base: { app: "crosswire" } }, destination);
  const pretty = process.stdout.isTTY === true;
  return pino({
    level: config.logLevel,
    base: { app: "crosswire" },
    ...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss" } } } : {}),
  });
}
