"""The input article contract: what a newsroom feed may send, and the record the pipeline keeps.

`parse_article(raw)` is the single gate: it either returns an `ArticleRecord` or raises
`InvalidArticle` with an error code from `ErrorCode` and a human-readable reason. The JSON Schema
(article.schema.json) describes the same contract for feed authors.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = "1"
MAX_PAYLOAD_BYTES = 2_000_000
MAX_BODY_CHARS = 200_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class ErrorCode(StrEnum):
    """Why a record went to the dead-letter topic (documented in docs/schemas.md)."""

    PAYLOAD_TOO_LARGE = "payload_too_large"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    WRONG_TYPE = "wrong_type"
    MISSING_TEXT = "missing_text"
    BAD_DATE = "bad_date"
    ENRICHMENT_FAILED = "enrichment_failed"
    INDEX_REJECTED = "index_rejected"


class InvalidArticle(ValueError):
    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class ArticleRecord:
    """A validated, normalised article. `doc_id` is stable across re-sends of the same article."""

    doc_id: str
    title: str
    body: str
    id: str | None = None
    url: str | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    language: str | None = None
    section: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """What the models read: title and body as one text (title offsets come first)."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body

    @property
    def body_offset(self) -> int:
        """Where the body starts in `text`."""
        return len(self.title) + 2 if self.title else 0

    def locate(self, offset: int) -> tuple[str, int]:
        """A `text` offset as (field, offset within that field)."""
        if self.title and offset < len(self.title):
            return "title", offset
        return "body", offset - self.body_offset


_STRING_FIELDS = ("id", "url", "title", "body", "source", "language", "section", "published_at")


def normalise_text(value: str) -> str:
    """NFC, no control characters, single spaces, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("_x000D_", "")  # spreadsheet-exported feeds leak this for CR
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_timestamp(value: str) -> datetime:
    """ISO-8601 to an aware UTC datetime; a naive time is taken as UTC."""
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def stable_doc_id(given_id: str | None, source: str | None, url: str | None, text: str) -> str:
    """The given id when there is one, else a hash of source + url, else of the content."""
    if given_id:
        clean = given_id.strip()
        if len(clean.encode()) <= 200 and "/" not in clean:
            return clean
        return "id-" + hashlib.sha256(clean.encode()).hexdigest()[:32]
    if url:
        return "url-" + hashlib.sha256(f"{source or ''}|{url.strip()}".encode()).hexdigest()[:32]
    return "text-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def parse_article(raw: bytes) -> ArticleRecord:
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise InvalidArticle(
            ErrorCode.PAYLOAD_TOO_LARGE, f"{len(raw)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArticle(ErrorCode.NOT_UTF8, f"invalid UTF-8 at byte {exc.start}") from None
    try:
        data = json.loads(decoded)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidArticle(ErrorCode.NOT_JSON, f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidArticle(
            ErrorCode.NOT_OBJECT, f"expected a JSON object, got {type(data).__name__}"
        )
    for name in _STRING_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidArticle(
                ErrorCode.WRONG_TYPE, f"field '{name}' must be a string, got {type(value).__name__}"
            )
    title = normalise_text(data.get("title") or "")
    body = normalise_text(data.get("body") or "")[:MAX_BODY_CHARS]
    if not title and not body:
        raise InvalidArticle(ErrorCode.MISSING_TEXT, "the article has neither a title nor a body")
    authors = _authors(data)
    published_at = None
    if data.get("published_at"):
        try:
            published_at = parse_timestamp(data["published_at"])
        except ValueError:
            raise InvalidArticle(
                ErrorCode.BAD_DATE, f"published_at {data['published_at']!r} is not ISO-8601"
            ) from None
    url = (data.get("url") or "").strip() or None
    source = (data.get("source") or "").strip() or None
    given_id = (data.get("id") or "").strip() or None
    known = {*_STRING_FIELDS, "author", "authors"}
    return ArticleRecord(
        doc_id=stable_doc_id(given_id, source, url, f"{title}\n{body}"),
        title=title,
        body=body,
        id=given_id,
        url=url,
        source=source,
        authors=authors,
        published_at=published_at,
        language=(data.get("language") or "").strip().lower() or None,
        section=(data.get("section") or "").strip() or None,
        extra={k: v for k, v in data.items() if k not in known},
    )


def _authors(data: dict[str, Any]) -> tuple[str, ...]:
    value = data.get("authors", data.get("author"))
    if value is None:
        return ()
    if isinstance(value, str):
        parts = re.split(r"\s*(?:,|;|\band\b)\s*", value)
        return tuple(p.strip() for p in parts if p.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise InvalidArticle(
        ErrorCode.WRONG_TYPE, "field 'authors' must be a string or a list of strings"
    )
