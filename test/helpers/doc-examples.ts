import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fromRoot } from "../../src/paths.js";

/** Code blocks of README.md and docs/**\/*.md: what test/integration/readme.test.ts runs and jit.test.ts compares. */
export interface Example {
  file: string;
  line: number;
  lang: string;
  text: string;
  mark: { kind: "not-run" | "known-failing"; reason: string } | null;
}

export const RUNNABLE = new Set(["graphql", "sh", "bash", "shell"]);

export function markdownFiles(): string[] {
  const docs: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".md")) docs.push(path.relative(fromRoot(), full));
    }
  };
  walk(fromRoot("docs"));
  return ["README.md", ...docs.sort()];
}

export function extractExamples(file: string, markdown: string): Example[] {
  const lines = markdown.split("\n");
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    const lang = open[1]!.toLowerCase();
    let prev = i - 1;
    while (prev >= 0 && lines[prev]!.trim() === "") prev--;
    const marker = prev >= 0 ? /^<!--\s*(not-run|known-failing):\s*(.*?)\s*-->$/.exec(lines[prev]!.trim()) : null;
    if (RUNNABLE.has(lang)) {
      examples.push({
        file,
        line: i + 1,
        lang,
        text: lines.slice(i + 1, end).join("\n"),
        mark: marker ? { kind: marker[1] as "not-run" | "known-failing", reason: marker[2]! } : null,
      });
    }
    i = end;
  }
  return examples;
}

