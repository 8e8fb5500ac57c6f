import { parseFeedDate } from "../../rss/dates.js";
import { plainText } from "./values.js";

/**
 * Dates as pages write them. Most carry a zone (`2016-05-13T16:43:53+0000`, `…Z`); some do not
 * (`2015-04-30T07:19:58` on Libération, `2016-05-24 13:30:03` on ZDNet's `<time datetime>`). A zone-less time is
 * read in the page's declared zone — the offset of the first zoned date the page gives anywhere (its other
 * date tags, JSON-LD, Parse.ly) — and in UTC when the page declares none. A bare date (`2024-06-25`) is midnight
 * UTC either way: it names a day, not an instant.
 */
const ZONED = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$/i;
const ZONELESS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

/** "+01:00", "Z", or null when `raw` is not an ISO date-time with a zone. */
export function declaredZone(raw: unknown): string | null {
  const text = plainText(raw, 100);
  const zone = text === null ? null : (ZONED.exec(text)?.[1] ?? null);
  if (zone === null) return null;
  return zone.toUpperCase() === "Z" ? "Z" : zone.replace(/^([+-]\d{2}):?(\d{2})$/, "$1:$2");
}

/** An ISO 8601 UTC string, or null. */
export function pageDate(raw: unknown, zone: string | null): string | null {
  const text = plainText(raw, 100);
  if (text === null) return null;
  if (zone !== null && ZONELESS.test(text)) return parseFeedDate(`${text.replace(" ", "T")}${zone}`);
  // "+0000" without a colon: V8 reads it, but only by its legacy fallback parser; make it RFC 3339.
  return parseFeedDate(text.replace(/^(\S+[T ][\d:.]+)\s*([+-]\d{2})(\d{2})$/, "$1$2:$3"));
}
