"""The input article contract: what a newsroom feed may send, and the record the pipeline keeps.

`parse_article(raw)` is the gate for newswire's own JSON (schemas/formats/ adds ninjs and
NewsML-G2, all ending in `build_article`): it either returns an `ArticleRecord` or raises
`InvalidArticle` with an error code from `ErrorCode` (schemas/dead_letter.py) and a
human-readable reason. The JSON Schema (article.schema.json) describes the same contract for
feed authors; docs/schemas.md documents both with examples.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from schemas.dead_letter import ErrorCode
from schemas.language import detect_language
from schemas.normalise import clean_body, clean_title

SCHEMA_VERSION = "1"
MAX_PAYLOAD_BYTES = 2_000_000
MAX_BODY_CHARS = 200_000
MAX_ID_BYTES = 200
FUTURE_TOLERANCE = timedelta(days=1)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_FINGERPRINT_WORDS = re.compile(r"\w+", re.UNICODE)
_BY_PREFIX = re.compile(r"^\s*by\s+", re.I)


class InvalidArticle(ValueError):
    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Subject:
    """A subject as the feed classified it (IPTC media topic, a category), kept as sent."""

    name: str | None = None
    code: str | None = None  # a qcode (medtop:20000106) or the feed's own code
    scheme: str | None = None
    uri: str | None = None
    rel: str | None = None

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


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
    updated_at: datetime | None = None
    language: str = "und"  # what the pipeline treats the text as
    language_declared: str | None = None  # what the feed said
    section: str | None = None
    body_truncated: bool = False
    fingerprint: str = ""
    subjects: tuple[Subject, ...] = ()
    source_format: str = "newswire"  # newswire, ninjs-1, ninjs-2, newsml-g2
    item_version: str | None = None  # the item's own version number (ninjs, NewsML-G2)
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

    @property
    def version_ms(self) -> int | None:
        """Newest of updated_at and published_at: a later version of an article wins."""
        times = [t for t in (self.updated_at, self.published_at) if t is not None]
        return int(max(times).timestamp() * 1000) if times else None


_STRING_FIELDS = (
    "id",
    "url",
    "title",
    "body",
    "source",
    "language",
    "section",
    "published_at",
    "updated_at",
)


def parse_timestamp(value: str) -> datetime:
    """ISO-8601 or RFC 2822 (what RSS feeds send) to an aware UTC datetime; naive means UTC."""
    text = value.strip()
    try:
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def stable_doc_id(given_id: str | None, source: str | None, url: str | None, text: str) -> str:
    """The given id when there is one, else a hash of source + url, else of the content."""
    if given_id:
        clean = given_id.strip()
        if len(clean.encode()) <= MAX_ID_BYTES and clean.isprintable() and "/" not in clean:
            return clean
        return "id-" + hashlib.sha256(clean.encode()).hexdigest()[:32]
    if url:
        return "url-" + hashlib.sha256(f"{source or ''}|{url.strip()}".encode()).hexdigest()[:32]
    return "text-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def content_fingerprint(body: str) -> str:
    """Equal for texts that differ only in case, punctuation and spacing (syndicated copies)."""
    words = " ".join(_FINGERPRINT_WORDS.findall(body.casefold()))
    return hashlib.sha256(words.encode()).hexdigest()[:32]


def check_size(raw: bytes) -> None:
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise InvalidArticle(
            ErrorCode.PAYLOAD_TOO_LARGE, f"{len(raw)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )


def decode_json_object(raw: bytes) -> dict[str, Any]:
    """The record as a JSON object, or InvalidArticle saying why it is not one."""
    check_size(raw)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArticle(ErrorCode.NOT_UTF8, f"invalid UTF-8 at byte {exc.start}") from None
    try:
        data = json.loads(decoded)
    except RecursionError:
        raise InvalidArticle(
            ErrorCode.NESTING_TOO_DEEP, "JSON nested too deeply to parse"
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidArticle(ErrorCode.NOT_JSON, f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidArticle(
            ErrorCode.NOT_OBJECT, f"expected a JSON object, got {type(data).__name__}"
        )
    return data


def _check_types(data: dict[str, Any]) -> None:
    for name in _STRING_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidArticle(
                ErrorCode.WRONG_TYPE, f"field '{name}' must be a string, got {type(value).__name__}"
            )


def _timestamp(data: dict[str, Any], name: str, now: datetime) -> datetime | None:
    value = data.get(name)
    if not value or not value.strip():
        return None
    try:
        parsed = parse_timestamp(value)
    except ValueError:
        raise InvalidArticle(ErrorCode.BAD_DATE, f"{name} {value!r} is not a timestamp") from None
    if parsed > now + FUTURE_TOLERANCE:
        raise InvalidArticle(
            ErrorCode.FUTURE_DATE, f"{name} {parsed.isoformat()} is more than a day ahead"
        )
    return parsed


def _truncate(body: str) -> tuple[str, bool]:
    if len(body) <= MAX_BODY_CHARS:
        return body, False
    cut = body.rfind("\n", 0, MAX_BODY_CHARS)
    return body[: cut if cut > MAX_BODY_CHARS // 2 else MAX_BODY_CHARS].rstrip(), True


def _language(declared: str | None, text: str) -> str:
    """The detector's answer when it is sure, else what the feed declared, else 'und'."""
    guess = detect_language(text)
    if guess.code != "und":
        return guess.code
    return declared or "und"


def parse_article(raw: bytes, now: datetime | None = None) -> ArticleRecord:
    """newswire's own JSON (other formats: schemas.formats.parse_record)."""
    return article_from_json(decode_json_object(raw), now)


def article_from_json(data: dict[str, Any], now: datetime | None = None) -> ArticleRecord:
    """A newswire JSON object (already decoded) as a validated record."""
    _check_types(data)
    # Articles `newswire produce --feed-url` made from RSS/Atom items say so.
    fmt = data.get("source_format")
    return build_article(
        data,
        now,
        subjects=_subjects(data.get("subjects")),
        source_format=fmt if fmt in ("rss", "atom") else "newswire",
    )


def build_article(
    data: dict[str, Any],
    now: datetime | None = None,
    *,
    subjects: tuple[Subject, ...] = (),
    source_format: str = "newswire",
    item_version: str | None = None,
) -> ArticleRecord:
    """The one validation every format goes through: `data` has newswire's field names.

    Other formats map their fields onto these names (schemas/formats/), so dates, bodies,
    languages and ids are checked and normalised the same way whatever the feed sent.
    """
    now = now or datetime.now(UTC)
    title = clean_title(data.get("title") or "")
    body, truncated = _truncate(clean_body(data.get("body") or ""))
    if not body:
        what = "empty after removing markup" if (data.get("body") or "").strip() else "missing"
        raise InvalidArticle(ErrorCode.MISSING_BODY, f"the body is {what}")
    authors = _authors(data)
    published_at = _timestamp(data, "published_at", now)
    updated_at = _timestamp(data, "updated_at", now)
    declared = (data.get("language") or "").strip().lower().replace("_", "-") or None
    if declared is not None and not _LANGUAGE_CODE.match(declared):
        declared = None
    url = (data.get("url") or "").strip() or None
    source = (data.get("source") or "").strip() or None
    given_id = (data.get("id") or "").strip() or None
    known = {*_STRING_FIELDS, "author", "authors", "subjects", "source_format"}
    return ArticleRecord(
        doc_id=stable_doc_id(given_id, source, url, f"{title}\n{body}"),
        title=title,
        body=body,
        id=given_id,
        url=url,
        source=source,
        authors=authors,
        published_at=published_at,
        updated_at=updated_at,
        language=_language(declared, f"{title}. {body}"),
        language_declared=declared,
        section=(data.get("section") or "").strip() or None,
        body_truncated=truncated,
        fingerprint=content_fingerprint(body),
        subjects=subjects,
        source_format=source_format,
        item_version=item_version,
        extra={k: v for k, v in data.items() if k not in known},
    )


def strip_by(byline: str) -> str:
    """'By Jane Doe' as 'Jane Doe' (agency bylines carry the word; authors do not)."""
    return _BY_PREFIX.sub("", byline).strip()


def _subjects(value: Any) -> tuple[Subject, ...]:
    """newswire JSON `subjects`: strings (names) or objects with name/code/scheme/uri/rel."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidArticle(ErrorCode.WRONG_TYPE, "field 'subjects' must be a list")
    found = []
    for item in value:
        if isinstance(item, str):
            if item.strip():
                found.append(Subject(name=item.strip()))
            continue
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str | None) for k in ("name", "code", "scheme", "uri", "rel")
        ):
            raise InvalidArticle(
                ErrorCode.WRONG_TYPE, "each of 'subjects' must be a string or an object of strings"
            )
        subject = subject_of(item)
        if subject is not None:
            found.append(subject)
    return tuple(found)


def subject_of(item: dict[str, Any]) -> Subject | None:
    """A Subject from an object with (some of) name, code/qcode, scheme, uri, rel."""

    def text(*names: str) -> str | None:
        for name in names:
            value = item.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    code = text("code", "qcode")
    scheme = text("scheme") or (code.split(":", 1)[0] if code and ":" in code else None)
    subject = Subject(text("name"), code, scheme, text("uri"), text("rel", "type"))
    return subject if subject.to_json() else None


def _authors(data: dict[str, Any]) -> tuple[str, ...]:
    """`authors`, else `author`; each, when present, a string or a list of strings."""
    for name in ("authors", "author"):
        value = data.get(name)
        if value is not None and not (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            raise InvalidArticle(
                ErrorCode.WRONG_TYPE, f"field '{name}' must be a string or a list of strings"
            )
    value = data.get("authors")
    if value is None:
        value = data.get("author")
    if value is None:
        return ()
    if isinstance(value, str):
        parts = re.split(r"\s*(?:,|;|\band\b)\s*", value)
        return tuple(p.strip() for p in parts if p.strip())
    return tuple(v.strip() for v in value if v.strip())
