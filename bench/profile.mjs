/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by package (or crosswire
 * folder), the functions with the most self time, and the functions with the most inclusive time.
 */
import path from "node:path";

function area(url, root) {
  if (!url) return "(native / V8)";
  if (url.startsWith("node:")) return "node internals";
  const file = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = file.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = file.slice(nm + "/node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const relative = path.relative(root, file);
  if (!relative.startsWith("..")) {
    const parts = relative.split(path.sep);
    return parts[0] === "dist" ? `crosswire ${parts.slice(1, -1).join("/") || parts[1]}` : relative;
  }
  return file;
}

function label(frame, root) {
  const file = frame.url.startsWith("file://") ? decodeURIComponent(new URL(frame.url).pathname) : frame.url;
  const nm = file.lastIndexOf("/node_modules/");
  const where = nm >= 0 ? file.slice(nm + "/node_modules/".length) : file.startsWith(root) ? path.relative(root, file) : file;
  return `${frame.functionName || "(anonymous)"} ${where ? `${where}:${frame.lineNumber + 1}` : ""}`.trim();
}

/**
 * @param {object} profile a parsed .cpuprofile
 * @param {string} root the repository root (paths are shown relative to it)
 * @param {{ from?: number, to?: number }} [window] only samples stamped in [from, to] (µs, V8's monotonic clock):
 *   the workload, without start-up and shutdown
 * @param {number} [top] functions listed
 * @param {number} [items] units of work done in the window (items ingested): every line then also says µs per item
 * @returns {string | null} null when the thread was busy less than 0.1 s in the window
 */
export function summarizeProfile(profile, root, { from = -Infinity, to = Infinity } = {}, top = 25, items = 0) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from && at <= to) self.set(id, (self.get(id) ?? 0) + delta);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  const idle = [...idleIds].reduce((n, id) => n + (self.get(id) ?? 0), 0);
  const busy = total - idle;
  if (busy < 100_000) return null;

  const areas = new Map();
  const selfByFn = new Map();
  for (const [id, us] of self) {
    if (idleIds.has(id)) continue;
    const node = byId.get(id);
    const frame = node.callFrame;
    const name = ["(garbage collector)", "(program)"].includes(frame.functionName) ? frame.functionName : area(frame.url, root);
    areas.set(name, (areas.get(name) ?? 0) + us);
    const key = label(frame, root);
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
  }

  // Inclusive time per function, counting each stack once even when the function recurses.
  const inclusive = new Map();
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  for (const [id, us] of self) {
    if (idleIds.has(id)) continue;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at).callFrame, root);
      if (seen.has(key) || key.startsWith("(root)")) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }

  const perItem = (us) => (items ? `  ${(us / items).toFixed(1).padStart(6)} µs/item` : "");
  const pct = (us) => `${((us / busy) * 100).toFixed(1).padStart(5)} %${perItem(us)}`;
  const list = (map, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${pct(us)}  ${k}`)
      .join("\n");
  return [
    `busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled (the rest idle)${items ? `: ${(busy / items).toFixed(0)} µs per item (${items} items)` : ""}`,
    "",
    "self time by package / crosswire folder:",
    list(areas, 20),
    "",
    `top ${top} functions by self time:`,
    list(selfByFn, top),
    "",
    `top ${top} functions by inclusive time:`,
    list(inclusive, top),
  ].join("\n");
}
