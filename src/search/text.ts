/**
 * Words as story grouping sees them: lower-cased, accents folded, stop words dropped, plural and verb endings
 * trimmed by a small deterministic stemmer. Full-text search does not use this: FTS5 has its own tokenizer
 * (`porter unicode61 remove_diacritics 2`), so this only has to make two outlets' wordings of one event meet.
 */

// Function words, and the verbs of attribution every news story uses ("said", "told").
const STOP_WORDS = new Set(
  (
    "a about above after again against all also am an and any are as at be been before being below between both but by " +
    "can could did do does doing down during each few for from further had has have having he her here hers him his how " +
    "i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own " +
    "same she should so some such than that the their theirs them then there these they this those through to too under " +
    "until up very was we were what when where which while who whom why will with would you your yours " +
    "said says say saying told tell according new one two three its it's amid after over per via since yet still however " +
    "would could may might must shall also just like including mr ms mrs"
  ).split(/\s+/),
);

/** Letters and digits of any script; everything else separates words. */
const WORD = /[\p{L}\p{N}]+/gu;
const HAS_WORD = /[\p{L}\p{N}]/u;

/** Lower case without diacritics (NFKD, combining marks removed). */
export function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();
}

/** True when `text` holds at least one letter or digit (the only characters FTS5's tokenizer keeps). */
export function hasWord(text: string): boolean {
  return HAS_WORD.test(text);
}

/** Grouping terms of a text, in order (repeats kept: counts are term frequencies). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const match of fold(text).matchAll(WORD)) {
    const word = match[0];
    if (word.length < 2 || STOP_WORDS.has(word)) continue;
    // Bare numbers of one or two digits are dates and counts every story has; longer ones (4,200 evacuated) are facts.
    if (/^\d+$/.test(word) && word.length < 3) continue;
    out.push(stem(word));
  }
  return out;
}

/**
 * A light suffix stripper (plurals, -ing, -ed, -ly), enough to make "floods"/"flooding"/"flooded" one term.
 * Deliberately conservative: a wrong merge costs precision, a missed one only a little similarity.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ss|us|is)$/.test(w)) {
    // "class", "status", "crisis": not plurals
  } else if (/(ches|shes|xes|sses|zes)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith("s") && !w.endsWith("ss")) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith("ing")) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith("ed") && !w.endsWith("eed")) w = undouble(w.slice(0, -2));
  else if (w.length > 5 && w.endsWith("ly")) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** "stopp" → "stop", "plann" → "plan" (but "fall" and "pass" keep their double letters). */
function undouble(w: string): string {
  return /([^aeiouls])\1$/.test(w) ? w.slice(0, -1) : w;
}
