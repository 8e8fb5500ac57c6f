import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cruise, type IForbiddenRuleType, type IViolation } from "dependency-cruiser";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, "../..");
// The rules `npm run lint` and .ci/run apply, read from the one config file.
const config = require(path.join(ROOT, ".dependency-cruiser.cjs")) as { forbidden: IForbiddenRuleType[] };

/** Runs the project's rules over `files` inside `baseDir`; returns "rule: from → to" for each violation. */
async function violations(baseDir: string, files: string[]): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(baseDir); // dependency-cruiser's paths, and so the rules' path patterns, are relative to the cwd
  try {
    const result = await cruise(files, {
      validate: true,
      ruleSet: { forbidden: config.forbidden },
      tsPreCompilationDeps: true,
      doNotFollow: { path: "node_modules" },
      exclude: { path: "^(node_modules|dist)/" },
    }, { extensions: [".ts", ".js"] });
    if (typeof result.output === "string") throw new Error(`unexpected reporter output: ${result.output.slice(0, 200)}`);
    return result.output.summary.violations.map((v: IViolation) => `${v.rule.name}: ${v.from} → ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

/** A throwaway tree laid out like the repository, so the rules' paths apply to it. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "crosswire-deps-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  made.push(dir);
  return dir;
}
const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("dependency rules (.dependency-cruiser.cjs)", () => {
  it("fail when src/model imports resolvers/", async () => {
    const dir = tree({
      "src/model/paging.ts": 'import { toPageRequest } from "../../resolvers/pagination.js";\nexport const x = toPageRequest;\n',
      "resolvers/pagination.ts": "export const toPageRequest = 1;\n",
    });
    expect(await violations(dir, ["src", "resolvers"])).toEqual([
      "model-imports-nothing-of-ours: src/model/paging.ts → resolvers/pagination.ts",
    ]);
  });

  it("fail on an import cycle, and on an adapter importing a resolver or a transport", async () => {
    const dir = tree({
      "src/a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
      "src/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n',
      "sources/rss/index.ts": 'import { x } from "../../resolvers/mappers.js";\nimport { y } from "../../src/server/apollo.js";\nexport const z = [x, y];\n',
      "resolvers/mappers.ts": "export const x = 1;\n",
      "src/server/apollo.ts": "export const y = 2;\n",
    });
    const found = await violations(dir, ["src", "sources", "resolvers"]);
    expect(found).toEqual(expect.arrayContaining([
      "sources-stay-below-graphql-and-transports: sources/rss/index.ts → resolvers/mappers.ts",
      "sources-stay-below-graphql-and-transports: sources/rss/index.ts → src/server/apollo.ts",
      expect.stringMatching(/^no-cycles: src\/(a|b)\.ts → src\/(a|b)\.ts$/),
    ]));
  });

  it("fail when syndication imports a resolver, or a resolver imports src/net or an adapter's implementation", async () => {
    const dir = tree({
      "src/syndication/feeds.ts": 'import { r } from "../../resolvers/river.js";\nexport const f = r;\n',
      "resolvers/river.ts": 'import { n } from "../src/net/index.js";\nimport { s } from "../sources/rss/index.js";\nimport type { C } from "../sources/forum.js";\nexport const r: C = [n, s];\n',
      "src/net/index.ts": "export const n = 1;\n",
      "sources/rss/index.ts": "export const s = 2;\n",
      "sources/forum.ts": "export type C = number[];\n",
    });
    expect((await violations(dir, ["src", "resolvers", "sources"])).sort()).toEqual([
      "resolvers-never-fetch: resolvers/river.ts → src/net/index.ts",
      "resolvers-use-source-contracts-only: resolvers/river.ts → sources/rss/index.ts",
      "syndication-never-imports-resolvers: src/syndication/feeds.ts → resolvers/river.ts",
    ]);
  });

  it("pass on the real tree: no cycle and no layer broken in src, schema, resolvers and sources", async () => {
    expect(await violations(ROOT, ["src", "schema", "resolvers", "sources"])).toEqual([]);
  }, 120_000);
});
