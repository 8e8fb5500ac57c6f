/**
 * Feed dates as they are found in the wild: RFC 822 (with or without weekday, named zones), RFC 3339,
 * ISO 8601 without a zone, bare dates. Returns an ISO string or null; never throws.
 */
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const EARLIEST = Date.UTC(1990, 0, 1);
const MAX_FUTURE_MS = 2 * 24 * 3600 * 1000;

/**
 * Zone names seen in feeds beyond the four US ones and GMT/UT that Date.parse knows (RFC 822 §5 names only
 * those). Offsets as feedparser's table and common use have them; an ambiguous abbreviation (IST: India, Irish,
 * Israel) takes the reading feedparser takes.
 */
const ZONES: Record<string, string> = {
  UTC: "+0000", Z: "+0000", WET: "+0000", WEST: "+0100", BST: "+0100", IST: "+0530", CET: "+0100", CEST: "+0200",
  MET: "+0100", MEST: "+0200", EET: "+0200", EEST: "+0300", MSK: "+0300", MSD: "+0400", AST: "-0400", ADT: "-0300",
  NST: "-0330", NDT: "-0230", AKST: "-0900", AKDT: "-0800", HST: "-1000", JST: "+0900", KST: "+0900", HKT: "+0800",
  SGT: "+0800", AWST: "+0800", ACST: "+0930", ACDT: "+1030", AEST: "+1000", AEDT: "+1100", NZST: "+1200", NZDT: "+1300",
  PHT: "+0800", WIB: "+0700", BRT: "-0300", ART: "-0300",
};
const NAMED_ZONE = /\s([A-Z]{1,4})$/;
// Any other form that ends in a time with no zone after it ("Fri, 17 May 2019 06:00:00", "2020/1/10 14:33:00"):
// Date.parse would read it in the server's zone.
const ENDS_WITHOUT_ZONE = /(?:^|[^+\-\d:])\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

export function parseFeedDate(raw: unknown, now = Date.now()): string | null {
  if (typeof raw !== "string") return null;
  let text = raw.trim();
  if (text.length === 0 || text.length > 100) return null;
  // A zone-less timestamp would be read in the server's local zone; feeds that omit it mean UTC far more often.
  if (ISO_WITHOUT_ZONE.test(text)) text = `${text.replace(" ", "T")}Z`;
  else if (ENDS_WITHOUT_ZONE.test(text)) text = `${text} +0000`;
  else {
    const zone = NAMED_ZONE.exec(text)?.[1];
    if (zone && ZONES[zone]) text = `${text.slice(0, -zone.length)}${ZONES[zone]}`;
  }
  const time = Date.parse(text);
  if (Number.isNaN(time) || time < EARLIEST || time > now + MAX_FUTURE_MS) return null;
  return new Date(time).toISOString();
}
