/**
 * Reading values out of parser output. Parser objects are never spread or merged into ours (xml2js output
 * can carry own `__proto__` keys): each field is read, type-checked and copied.
 */
const MAX_TEXT = 100_000;

export function text(value: unknown): string | null {
  let v = value;
  if (Array.isArray(v)) v = v[0];
  if (typeof v === "object" && v !== null && Object.prototype.hasOwnProperty.call(v, "_")) v = (v as { _: unknown })._;
  if (typeof v !== "string") return null;
  const trimmed = v.trim();
  return trimmed.length ? trimmed.slice(0, MAX_TEXT) : null;
}

export function list(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const entry of value) {
    const t = text(entry) ?? (typeof entry === "object" && entry !== null ? text((entry as { $?: { term?: unknown } }).$?.term) : null);
    if (t && !out.includes(t)) out.push(t.slice(0, 200));
    if (out.length >= 20) break;
  }
  return out;
}
