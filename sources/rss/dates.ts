/**
 * Feed dates as they are found in the wild: RFC 822 (with or without weekday, named zones), RFC 3339,
 * ISO 8601 without a zone, bare dates. Returns an ISO string or null; never throws.
 */
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const EARLIEST = Date.UTC(1990, 0, 1);
const MAX_FUTURE_MS = 2 * 24 * 3600 * 1000;

export function parseFeedDate(raw: unknown, now = Date.now()): string | null {
  if (typeof raw !== "string") return null;
  let text = raw.trim();
  if (text.length === 0 || text.length > 100) return null;
  // A zone-less timestamp would be read in the server's local zone; feeds that omit it mean UTC far more often.
  if (ISO_WITHOUT_ZONE.test(text)) text = `${text.replace(" ", "T")}Z`;
  const time = Date.parse(text);
  if (Number.isNaN(time) || time < EARLIEST || time > now + MAX_FUTURE_MS) return null;
  return new Date(time).toISOString();
}
