"""RSS 2.0 and Atom feeds to newswire articles (what `newswire produce --feed-url` sends).

A feed is not a Kafka record: the producer polls it, and each new or changed item becomes one
newswire JSON article. An item is identified by its guid (RSS) or id (Atom), else its link,
else a hash of its text; its version is its updated (else published) date, else a hash of
its title and text, so a changed item is sent again and an unchanged one never.
Mapping table: docs/schemas.md.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from schemas.article import InvalidArticle
from schemas.dead_letter import ErrorCode

MAX_FEED_BYTES = 10_000_000
# Entity declarations (billion laughs, external entities) have no business in a news feed.
_ENTITY = re.compile(rb"<!ENTITY", re.I)


@dataclass(frozen=True)
class FeedItem:
    item_id: str
    version: str
    article: dict[str, Any]  # newswire JSON (schemas/article.schema.json)


def _iso(parsed: time.struct_time | None) -> str | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    html = [c for c in contents if "html" in str(c.get("type", ""))]
    chosen = (html or contents or [None])[0]
    if chosen is not None and str(chosen.get("value") or "").strip():
        return str(chosen["value"])
    return str(entry.get("summary") or "")


def _authors(entry: Any) -> list[str]:
    names = [str(a.get("name")).strip() for a in entry.get("authors") or [] if a.get("name")]
    if not names and entry.get("author"):
        names = [str(entry["author"]).strip()]
    return [n for n in names if n]


def _subjects(entry: Any) -> list[dict[str, str]]:
    found = []
    for tag in entry.get("tags") or []:
        name = str(tag.get("label") or tag.get("term") or "").strip()
        if name:
            subject = {"name": name, "code": str(tag.get("term") or "").strip()}
            if tag.get("scheme"):
                subject["scheme"] = str(tag["scheme"])
            found.append({k: v for k, v in subject.items() if v})
    return found


def read_feed(raw: bytes, source: str) -> list[FeedItem]:
    """The feed's items as articles, oldest first; InvalidArticle for a broken feed."""
    if len(raw) > MAX_FEED_BYTES:
        raise InvalidArticle(
            ErrorCode.PAYLOAD_TOO_LARGE, f"feed of {len(raw)} bytes; the limit is {MAX_FEED_BYTES}"
        )
    if _ENTITY.search(raw):
        raise InvalidArticle(ErrorCode.XML_FORBIDDEN, "the feed declares entities; refused")
    parsed = feedparser.parse(raw, sanitize_html=False, resolve_relative_uris=False)
    kind = str(parsed.get("version") or "")
    if not kind or (parsed.get("bozo") and not parsed.entries):
        cause = parsed.get("bozo_exception")
        raise InvalidArticle(
            ErrorCode.FEED_MALFORMED,
            f"not an RSS or Atom feed{f': {cause}' if cause else ''}",
        )
    feed = parsed.feed
    fmt = "atom" if kind.startswith("atom") else "rss"
    items = []
    for entry in parsed.entries:
        title = str(entry.get("title") or "")
        body = _body(entry)
        link = str(entry.get("link") or "") or None
        text_hash = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:32]
        item_id = str(entry.get("id") or "") or link or f"text-{text_hash}"
        # Read as a plain dict: feedparser's own get() answers a missing updated date with the
        # published one (and warns), which would hide that the feed never said.
        published = _iso(dict.get(entry, "published_parsed"))
        updated = _iso(dict.get(entry, "updated_parsed"))
        article = {
            "id": item_id,
            "url": link,
            "title": title,
            "body": body,
            "source": str(feed.get("title") or "") or source,
            "authors": _authors(entry),
            "published_at": published or updated,
            "updated_at": updated,
            "language": entry.get("language") or feed.get("language"),
            "subjects": _subjects(entry),
            "source_format": fmt,
        }
        # A changed date or a changed text (feeds often edit without touching the date).
        items.append(FeedItem(item_id, f"{updated or published or ''}|{text_hash}", article))
    items.sort(key=lambda i: i.article["published_at"] or "")
    return items
