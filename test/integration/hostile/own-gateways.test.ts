import { describe } from "vitest";
import { callerCases } from "./callers.cases.js";
import { contentCases } from "./content.cases.js";

/**
 * The hostile-content and hostile-caller classes (issue 18). Each case starts and stops gateways of its own (two
 * for the CPU-time comparison, one per fetch-lane or budget setting), so they run here, outside hostile.test.ts's
 * memory window: that bound is about what hostile input leaves behind in long-lived gateways, and a gateway
 * started and closed inside the window leaves native allocations (SQLite, worker threads) that glibc keeps in
 * the process — measured: 92 MB of RSS growth with the heap up only 14 MB when these ran inside the window.
 */
describe("hostile input, cases with gateways of their own", () => {
  contentCases();
  callerCases();
});
