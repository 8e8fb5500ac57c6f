/**
 * Objects keyed by untrusted strings (thread titles, author names, words, guids; issue 18, item 2). A plain `{}`
 * answers `constructor`, `toString` or `hasOwnProperty` from Object.prototype and treats `__proto__` as its
 * prototype: a thread titled "constructor" was filed under a function and lost. A dictionary has no prototype,
 * so every key is just a key; JSON.stringify writes it like any object, and `toDict` restores one from JSON.
 * Prefer a Map where the value is not stored as JSON.
 */
export type Dict<T> = Record<string, T>;

export function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

/** A dictionary holding the own enumerable entries of `value` (e.g. JSON read back from a store). */
export function toDict<T>(value: Record<string, T> | null | undefined): Dict<T> {
  const out = dict<T>();
  // Object.entries lists an own "__proto__" (JSON.parse defines it as a plain key); on a null-prototype object,
  // assigning it creates a plain key too.
  if (value) for (const [k, v] of Object.entries(value)) out[k] = v;
  return out;
}

/** The value stored under `key`, never one inherited from Object.prototype. */
export function own<T>(record: Record<string, T> | null | undefined, key: string): T | undefined {
  return record && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
