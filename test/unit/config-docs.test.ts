import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderConfigurationPage } from "../../scripts/config-docs.js";
import { fromRoot } from "../../src/paths.js";

describe("docs/configuration.md", () => {
  it("is exactly what the config schema renders (run `npm run docs:config` after changing src/config)", () => {
    expect(readFileSync(fromRoot("docs", "configuration.md"), "utf8")).toBe(renderConfigurationPage());
  });

  it("has a row for every environment variable and every section of the schema", () => {
    const page = renderConfigurationPage();
    for (const env of ["PORT", "CROSSWIRE_DATA_DIR", "CROSSWIRE_REDIS_URL", "CROSSWIRE_WEBSUB_HUB_URL", "CROSSWIRE_ADMIN_TOKEN"]) expect(page).toContain(`\`${env}\``);
    for (const key of ["`limits.maxCost`", "`websub.publishDebounceMs`", "`forums[discourse].postBatchSize`", "`sources[].pollIntervalSeconds`"]) expect(page).toContain(key);
  });
});
