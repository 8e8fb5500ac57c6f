// Lists functions longer than a threshold (default 50 lines) under the given folders, using the TypeScript
// compiler's own parser (no ts-morph). Usage: node scripts/function-lengths.mjs [--min 50] dir...
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const args = process.argv.slice(2);
let min = 50;
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--min") min = Number(args[++i]);
  else dirs.push(args[i]);
}
const files = [];
const walk = (p) => {
  if (!fs.existsSync(p)) return;
  if (fs.statSync(p).isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
  else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) files.push(p);
};
dirs.forEach(walk);
const rows = [];
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const lines = end - start + 1;
      if (lines > min) {
        const name = node.name?.getText(sf) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : "<anonymous>");
        rows.push({ lines, where: `${file}:${start + 1}`, name });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
rows.sort((a, b) => b.lines - a.lines);
for (const r of rows) console.log(`${String(r.lines).padStart(4)}  ${r.name}  ${r.where}`);
console.log(`${rows.length} functions over ${min} lines`);
