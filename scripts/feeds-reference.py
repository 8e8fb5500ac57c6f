#!/usr/bin/python3
"""Reference reading of the real-world feed corpus by a mainstream reader (Python feedparser, Debian's
python3-feedparser). Each file is read as it is served (its bytes and the manifest's Content-Type), from
the address the corpus test serves it at (`http://feeds.test/corpus/<file>`: relative links resolve against it).

Debian's feedparser does not read JSON Feed: those files are read here directly (JSON Feed 1.0/1.1 fields).

Writes test/fixtures/real-world/feeds/reference.json. Run: /usr/bin/python3 scripts/feeds-reference.py
"""
import calendar
import html
import json
import os
import re
import sys
import time

import feedparser

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "real-world", "feeds")
BASE = "http://feeds.test/corpus/"


def iso(parsed):
    if not parsed:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(calendar.timegm(parsed)))


def plain(value, detail):
    """A title as plain text: feedparser keeps type=html titles as (sanitized) HTML."""
    if value is None:
        return None
    if detail is not None and detail.get("type") in ("text/html", "application/xhtml+xml"):
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    value = re.sub(r"\s+", " ", value).strip()
    return value or None


def json_date(value):
    if not isinstance(value, str):
        return None
    parsed = feedparser._parse_date(value) if hasattr(feedparser, "_parse_date") else None
    if parsed is None:
        from feedparser.datetimes import _parse_date
        parsed = _parse_date(value)
    return iso(parsed)


def json_feed(data):
    doc = json.loads(data.decode("utf-8-sig"))
    entries = []
    for item in doc.get("items", []):
        if not isinstance(item, dict):
            continue
        ident = item.get("id")
        entries.append({
            "id": None if ident is None else str(ident),
            # JSON Feed titles are plain text, but publishers often entity-escape them (`&amp;`, `&#8217;`):
            # readers (NetNewsWire, Miniflux) decode the references once; markup-looking text stays as it is.
            "title": plain(html.unescape(item["title"]), None) if isinstance(item.get("title"), str) else None,
            "link": item.get("url") or item.get("external_url"),
            "published": json_date(item.get("date_published")) or json_date(item.get("date_modified")),
        })
    return {"reader": "json", "bozo": False, "version": doc.get("version"), "entries": entries}


def xml_feed(data, content_type, url):
    parsed = feedparser.parse(data, response_headers={"content-type": content_type, "content-location": url})
    entries = []
    for entry in parsed.entries:
        entries.append({
            "id": entry.get("id"),
            "title": plain(entry.get("title"), entry.get("title_detail")),
            "link": entry.get("link"),
            "published": iso(entry.get("published_parsed") or entry.get("updated_parsed")),
        })
    return {
        "reader": "feedparser " + feedparser.__version__,
        "bozo": bool(parsed.bozo),
        "bozoException": str(parsed.get("bozo_exception")) if parsed.bozo else None,
        "version": parsed.version,
        "entries": entries,
    }


def main():
    manifest = json.load(open(os.path.join(ROOT, "manifest.json")))
    out = {}
    for feed in manifest:
        data = open(os.path.join(ROOT, "corpus", feed["file"]), "rb").read()
        if "json" in feed["content_type"]:
            out[feed["id"]] = json_feed(data)
        else:
            out[feed["id"]] = xml_feed(data, feed["content_type"], BASE + feed["file"])
    with open(os.path.join(ROOT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"base": BASE, "feeds": out}, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(len(v["entries"]) for v in out.values())
    print(f"{len(out)} feeds, {total} entries, {sum(1 for v in out.values() if v['entries'])} with entries", file=sys.stderr)


main()
