import { describe, expect, it } from "vitest";
import { httpUrlOrNull } from "../../src/urls/index.js";

/** httpUrlOrNull (src/urls/index.ts) remembers its answers: asked again, it must say the same, hostile input included. */
describe("httpUrlOrNull", () => {
  const cases: Array<[string, string | null]> = [
    ["https://outlet.example/story", "https://outlet.example/story"],
    ["  http://outlet.example/a?b=c  ", "http://outlet.example/a?b=c"],
    ["javascript:alert(1)", null],
    ["java\tscript:alert(1)", null],
    ["data:text/html,<script>alert(1)</script>", null],
    ["https://", null],
    ["//outlet.example/protocol-relative", null],
    [`https://outlet.example/${"a".repeat(5000)}`, null],
    [`https://outlet.example/${"b".repeat(2000)}`, `https://outlet.example/${"b".repeat(2000)}`],
  ];

  it("answers every case the same the first and the second time", () => {
    for (const round of [1, 2]) {
      for (const [raw, expected] of cases) expect(httpUrlOrNull(raw), `${round}: ${raw.slice(0, 40)}`).toBe(expected);
    }
  });

  it("stays right past its bound of remembered answers", () => {
    for (let i = 0; i < 12_000; i++) expect(httpUrlOrNull(`https://outlet.example/${i}`)).toBe(`https://outlet.example/${i}`);
    expect(httpUrlOrNull("javascript:alert(1)")).toBeNull();
    expect(httpUrlOrNull("https://outlet.example/0")).toBe("https://outlet.example/0");
  });
});
