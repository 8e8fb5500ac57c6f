import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";

const tmp = () => mkdtempSync(path.join(tmpdir(), "crosswire-config-"));

describe("configuration", () => {
  it("has working defaults with no environment and no file", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, dataDir: "./data", pagination: { maxFirst: 100, defaultFirst: 20 }, debug: false });
  });

  it("reads a config file and lets the environment override it", () => {
    const file = path.join(tmp(), "crosswire.json");
    writeFileSync(file, JSON.stringify({ port: 5000, pagination: { maxFirst: 50 } }));
    const config = loadConfig({ CROSSWIRE_CONFIG: file, PORT: "6000", CROSSWIRE_DEBUG: "true" });
    expect(config.port).toBe(6000);
    expect(config.debug).toBe(true);
    expect(config.pagination).toEqual({ maxFirst: 50, defaultFirst: 20 });
  });

  it("names the bad key and what it expected", () => {
    expect(() => loadConfig({ PORT: "forty" })).toThrow(/PORT: expected an integer, got "forty"/);
    expect(() => loadConfig({ CROSSWIRE_DEBUG: "maybe" })).toThrow(/CROSSWIRE_DEBUG: expected true or false/);
    const file = path.join(tmp(), "bad.json");
    writeFileSync(file, JSON.stringify({ pagination: { maxFirts: 10 }, logLevel: "loud", port: 70000 }));
    let message = "";
    try {
      loadConfig({ CROSSWIRE_CONFIG: file });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain("unknown key pagination.maxFirts");
    expect(message).toMatch(/logLevel: .*"fatal"/);
    expect(message).toMatch(/port: .*65535/);
    expect(message).toContain(file);
  });

  it("refuses a default page size above the maximum", () => {
    expect(() => loadConfig({ CROSSWIRE_DEFAULT_PAGE_SIZE: "500" })).toThrow(/defaultFirst must not exceed maxFirst/);
  });

  it("reports an unreadable or non-JSON config file by name", () => {
    expect(() => loadConfig({ CROSSWIRE_CONFIG: "/nonexistent/crosswire.json" })).toThrow(/CROSSWIRE_CONFIG: cannot read/);
    const file = path.join(tmp(), "broken.json");
    writeFileSync(file, "{ port: ");
    expect(() => loadConfig({ CROSSWIRE_CONFIG: file })).toThrow(/is not valid JSON/);
  });
});
