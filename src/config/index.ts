import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * The whole configuration surface. Every key is documented in README.md ("Configuration"); a key added here
 * without a README row is a bug. Precedence: defaults < config file (CROSSWIRE_CONFIG) < environment.
 */
const ConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(4000),
    /** Interface to listen on; unset means Node's default (all interfaces, IPv6 and IPv4). */
    host: z.string().min(1).optional(),
    dataDir: z.string().min(1).default("./data"),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Puts stack traces into GraphQL error responses. Never in production. */
    debug: z.boolean().default(false),
    pagination: z
      .object({
        defaultFirst: z.number().int().min(1).max(10_000).default(20),
        maxFirst: z.number().int().min(1).max(10_000).default(100),
      })
      .strict()
      .default({ defaultFirst: 20, maxFirst: 100 })
      .refine((p) => p.defaultFirst <= p.maxFirst, {
        message: "defaultFirst must not exceed maxFirst",
      }),
    http: z
      .object({
        bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
        shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
      })
      .strict()
      .default({ bodyLimitBytes: 1024 * 1024, shutdownTimeoutMs: 10_000 }),
    forum: z
      .object({
        /** Seed the bundled demo forum into an empty local store on first start. */
        seedDemo: z.boolean().default(true),
      })
      .strict()
      .default({ seedDemo: true }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

type EnvKind = "int" | "bool" | "string";
/** Environment variables and the config key each one sets. */
export const ENV_KEYS: ReadonlyArray<{ env: string; key: string; kind: EnvKind }> = [
  { env: "PORT", key: "port", kind: "int" },
  { env: "HOST", key: "host", kind: "string" },
  { env: "CROSSWIRE_DATA_DIR", key: "dataDir", kind: "string" },
  { env: "CROSSWIRE_LOG_LEVEL", key: "logLevel", kind: "string" },
  { env: "CROSSWIRE_DEBUG", key: "debug", kind: "bool" },
  { env: "CROSSWIRE_DEFAULT_PAGE_SIZE", key: "pagination.defaultFirst", kind: "int" },
  { env: "CROSSWIRE_MAX_PAGE_SIZE", key: "pagination.maxFirst", kind: "int" },
  { env: "CROSSWIRE_BODY_LIMIT_BYTES", key: "http.bodyLimitBytes", kind: "int" },
  { env: "CROSSWIRE_SHUTDOWN_TIMEOUT_MS", key: "http.shutdownTimeoutMs", kind: "int" },
  { env: "CROSSWIRE_SEED_DEMO", key: "forum.seedDemo", kind: "bool" },
];

function parseEnvValue(name: string, raw: string, kind: EnvKind): unknown {
  switch (kind) {
    case "string":
      return raw;
    case "int": {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name}: expected an integer, got "${raw}"`);
      return Number(raw.trim());
    }
    case "bool": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off", ""].includes(v)) return false;
      throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
    }
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function describeIssues(error: z.ZodError, origin: string): string {
  const lines = error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join(".") : "(top level)";
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => (issue.path.length ? `${where}.${k}` : k));
      return `  - unknown key ${keys.join(", ")} (check the spelling against README.md "Configuration")`;
    }
    return `  - ${where}: ${issue.message}`;
  });
  return `Invalid configuration (${origin}):\n${lines.join("\n")}`;
}

/**
 * Builds the configuration from the environment and the optional config file, validated once at start.
 * Throws ConfigError with one line per bad key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  let raw: Record<string, unknown> = {};
  const origins: string[] = ["defaults"];
  const file = env.CROSSWIRE_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(`CROSSWIRE_CONFIG: cannot read "${file}": ${(err as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`CROSSWIRE_CONFIG: "${file}" is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`CROSSWIRE_CONFIG: "${file}" must hold a JSON object`);
    }
    origins.push(`config file ${path.resolve(file)}`);
  }
  for (const { env: name, key, kind } of ENV_KEYS) {
    const value = env[name];
    if (value !== undefined) {
      setPath(raw, key, parseEnvValue(name, value, kind));
      origins.push(name);
    }
  }
  raw = deepMerge(raw, overrides as Record<string, unknown>);
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(result.error, origins.join(" + ")));
  return result.data;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && prev && typeof prev === "object" && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
