import { spawnSync } from "node:child_process";

/** Whether xmllint (Debian: libxml2-utils) is on PATH; tests that need it skip with a message when it is not. */
export const XMLLINT = spawnSync("xmllint", ["--version"]).status === 0;
export const XMLLINT_MISSING = "xmllint is not installed (apt-get install -y libxml2-utils): our own RSS/Atom are not checked by it";

/** xmllint --noout on a document: "" when well-formed, else its complaint. Never loads a DTD or the network. */
export function xmllint(text: string): string {
  const run = spawnSync("xmllint", ["--noout", "--nonet", "-"], { input: text, encoding: "utf8" });
  return run.status === 0 ? "" : run.stderr || `exit ${run.status}`;
}
