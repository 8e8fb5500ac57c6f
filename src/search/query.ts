import { hasWord } from "./text.js";

/**
 * The search box syntax (README "Search and stories"), parsed once into a structure every index
 * implementation translates for itself (FTS5 MATCH here, a tsquery for PostgreSQL). User text never reaches
 * an index as syntax: each word and phrase is a quoted literal by the time it is sent.
 *
 *   storm imara           every word must appear (in any order, any field)
 *   "dock strike"         a phrase: these words, next to each other, in this order
 *   -kestra  -"red cross" results containing this word or phrase are left out
 *   source:<slug>         only articles that source carried (and posts of a forum source with that id)
 *   forum:<slug>          only posts and threads of that board (Forum.slug)
 *   after:YYYY-MM-DD      published at or after 00:00 UTC that day
 *   before:YYYY-MM-DD     published before 00:00 UTC that day
 *
 * Several `source:`/`forum:` are alternatives (any of them). Anything else with a colon (`10:30`, `https://…`)
 * is ordinary text.
 */
export interface SearchTerm {
  /** The word or the phrase's words, as typed (never escaped here). */
  text: string;
  phrase: boolean;
  /** 1-based character position in the query. */
  position: number;
}

export interface ParsedQuery {
  /** Every one of these must match. */
  terms: SearchTerm[];
  /** None of these may match. */
  excluded: SearchTerm[];
  sources: string[];
  forums: string[];
  /** Epoch ms, inclusive. */
  afterMs: number | null;
  /** Epoch ms, exclusive. */
  beforeMs: number | null;
}

/** Malformed query syntax; `position` is 1-based, as an editor shows columns. */
export class SearchSyntaxError extends Error {
  constructor(readonly position: number, reason: string) {
    super(`${reason} (at position ${position})`);
  }
}

export const MAX_QUERY_LENGTH = 500;
export const MAX_TERMS = 24;

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const FILTER = /^(source|forum|before|after):/i;

export function parseSearchQuery(input: string): ParsedQuery {
  if (input.length > MAX_QUERY_LENGTH) {
    throw new SearchSyntaxError(MAX_QUERY_LENGTH + 1, `the query is longer than ${MAX_QUERY_LENGTH} characters`);
  }
  const query: ParsedQuery = { terms: [], excluded: [], sources: [], forums: [], afterMs: null, beforeMs: null };
  const datePositions: { after?: number; before?: number } = {};
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const start = i;
    const negated = ch === "-" && i + 1 < input.length && !/\s/.test(input[i + 1]!);
    if (negated) i += 1;

    if (input[i] === '"') {
      const close = input.indexOf('"', i + 1);
      if (close < 0) throw new SearchSyntaxError(i + 1, 'unclosed quote: end the phrase with "');
      const text = input.slice(i + 1, close).trim().replace(/\s+/g, " ");
      if (!hasWord(text)) throw new SearchSyntaxError(i + 1, "empty phrase: put at least one word between the quotes");
      addTerm(query, { text, phrase: true, position: start + 1 }, negated);
      i = close + 1;
      continue;
    }

    let end = i;
    while (end < input.length && !/\s/.test(input[end]!) && input[end] !== '"') end += 1;
    const token = input.slice(i, end);
    i = end;
    const filter = FILTER.exec(token);
    if (filter) {
      const key = filter[1]!.toLowerCase();
      const value = token.slice(filter[0].length);
      if (negated) throw new SearchSyntaxError(start + 1, `"-${key}:" is not supported: filters narrow a search, they cannot be negated`);
      if (value.length === 0) {
        throw new SearchSyntaxError(start + 1, `empty "${key}:": write ${key === "source" || key === "forum" ? `${key}:<slug>` : `${key}:YYYY-MM-DD`} with no space after the colon`);
      }
      if (key === "source" || key === "forum") {
        if (!SLUG.test(value)) {
          throw new SearchSyntaxError(start + 1 + filter[0].length, `"${value.slice(0, 40)}" is not a ${key} slug (letters, digits, '-' or '_')`);
        }
        (key === "source" ? query.sources : query.forums).push(value.toLowerCase());
        continue;
      }
      const ms = parseDay(value);
      if (ms === null) {
        throw new SearchSyntaxError(start + 1 + filter[0].length, `"${value.slice(0, 40)}" is not a date: write ${key}:YYYY-MM-DD, e.g. ${key}:2026-11-20`);
      }
      if (datePositions[key as "after" | "before"] !== undefined) {
        throw new SearchSyntaxError(start + 1, `"${key}:" is given twice; give one date`);
      }
      datePositions[key as "after" | "before"] = start + 1;
      if (key === "after") query.afterMs = ms;
      else query.beforeMs = ms;
      continue;
    }
    // A word with no letter or digit ("–", "&", a lone "-") matches nothing and means nothing: it is skipped.
    if (!hasWord(token)) continue;
    addTerm(query, { text: token, phrase: false, position: start + 1 }, negated);
  }

  if (query.terms.length + query.excluded.length > MAX_TERMS) {
    const all = [...query.terms, ...query.excluded].sort((a, b) => a.position - b.position);
    throw new SearchSyntaxError(all[MAX_TERMS]!.position, `more than ${MAX_TERMS} words and phrases`);
  }
  if (query.afterMs !== null && query.beforeMs !== null && query.afterMs >= query.beforeMs) {
    throw new SearchSyntaxError(datePositions.before!, "the date range is empty: before: must be later than after:");
  }
  if (query.terms.length === 0) {
    if (query.excluded.length > 0) {
      throw new SearchSyntaxError(query.excluded[0]!.position, "only exclusions: add at least one word or phrase to search for");
    }
    throw new SearchSyntaxError(Math.max(1, input.length), 'nothing to search for: add a word or a "phrase" (filters only narrow a search)');
  }
  return query;
}

function addTerm(query: ParsedQuery, term: SearchTerm, negated: boolean): void {
  (negated ? query.excluded : query.terms).push(term);
}

/** Midnight UTC of a real calendar day, or null (2026-02-30 is not a day). */
function parseDay(value: string): number | null {
  const m = DATE.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return null;
  return ms;
}
