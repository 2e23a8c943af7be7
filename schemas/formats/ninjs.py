"""IPTC ninjs (1.x and 2.x) to the article contract.

ninjs 1.x carries one `headline`, `body_text`/`body_html`, a `byline` string and `subject`
objects (name, code, scheme, rel). ninjs 2.x turned these into lists with roles and content
types: `headlines`, `bodies` (contenttype text/plain, text/html, ...), `by`, `people`
(rel author), `subjects` (name, uri, rel), and names itself in `standard`. Both identify an
item by `uri`; a later `versioncreated` (with a higher `version`) is an update of the same item.
Mapping table: docs/schemas.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from schemas.article import (
    ArticleRecord,
    InvalidArticle,
    Subject,
    build_article,
    strip_by,
    subject_of,
)
from schemas.dead_letter import ErrorCode

# Bodies the mapping can read, best first: plain text needs no cleaning, HTML is cleaned.
_TEXT_TYPES = ("text/plain", "text/html", "application/xhtml+xml")
_NINJS_ONLY = {"headline", "headlines", "body_text", "body_html", "bodies", "versioncreated"}


def is_ninjs(data: dict[str, Any]) -> bool:
    """Declared ninjs, or an object with a `uri` and ninjs's own fields instead of ours."""
    standard = data.get("standard")
    if isinstance(standard, dict) and str(standard.get("name", "")).lower() == "ninjs":
        return True
    schema = data.get("$schema")
    if isinstance(schema, str) and "ninjs" in schema.lower():
        return True
    ours = "title" in data or "body" in data
    return "uri" in data and not ours and bool(_NINJS_ONLY & data.keys())


def major_version(data: dict[str, Any]) -> int:
    standard = data.get("standard")
    if isinstance(standard, dict) and isinstance(standard.get("version"), str):
        return 2 if standard["version"].strip().startswith("2") else 1
    schema = data.get("$schema")
    if isinstance(schema, str) and re.search(r"ninjs-schema[_-]?2|/2\.\d", schema):
        return 2
    return 2 if {"headlines", "bodies", "subjects", "by", "people"} & data.keys() else 1


def _invalid(reason: str) -> InvalidArticle:
    return InvalidArticle(ErrorCode.NINJS_INVALID, reason)


def _string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "version":
        return str(value)  # some CMSs send the version as a number
    if not isinstance(value, str):
        raise _invalid(f"'{name}' must be a string, got {type(value).__name__}")
    return value.strip() or None


def _objects(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _invalid(f"'{name}' must be a list of objects")
    return value


def _pick(items: list[dict[str, Any]], field: str) -> dict[str, Any] | None:
    """The main-role item of a readable content type, plain text before HTML."""
    usable = []
    for item in items:
        kind = str(item.get("contenttype") or "text/plain").split(";")[0].strip().lower()
        value = item.get("value")
        if value is None:
            continue
        if not isinstance(value, str):
            raise _invalid(f"'{field}[].value' must be a string, got {type(value).__name__}")
        if kind in _TEXT_TYPES:
            main = str(item.get("role") or "main").lower() in ("main", "")
            usable.append((not main, _TEXT_TYPES.index(kind), item))
    if not usable and items:
        kinds = sorted({str(i.get("contenttype")) for i in items})
        raise _invalid(f"no '{field}' entry of a readable content type (got {kinds})")
    return min(usable, key=lambda u: u[:2])[2] if usable else None


def _subjects(items: list[dict[str, Any]]) -> tuple[Subject, ...]:
    found = (subject_of(item) for item in items)
    return tuple(s for s in found if s is not None)


def _fields_v1(data: dict[str, Any]) -> tuple[dict[str, Any], tuple[Subject, ...]]:
    body = _string(data, "body_text") or _string(data, "body_html")
    byline = _string(data, "byline")
    return {
        "title": _string(data, "headline"),
        "body": body,
        "authors": strip_by(byline) if byline else None,
    }, _subjects(_objects(data, "subject"))


def _fields_v2(data: dict[str, Any]) -> tuple[dict[str, Any], tuple[Subject, ...]]:
    headline = _pick(_objects(data, "headlines"), "headlines")
    body = _pick(_objects(data, "bodies"), "bodies")
    authors = [
        str(p["name"]).strip()
        for p in _objects(data, "people")
        if isinstance(p.get("name"), str) and "author" in str(p.get("rel") or "").lower()
    ]
    by = _string(data, "by")
    return {
        "title": headline["value"] if headline else None,
        "body": body["value"] if body else None,
        "authors": authors or (strip_by(by) if by else None),
    }, _subjects(_objects(data, "subjects"))


def article_from_ninjs(data: dict[str, Any], now: datetime | None = None) -> ArticleRecord:
    version = major_version(data)
    uri = _string(data, "uri")
    if not uri:
        raise _invalid("'uri' is missing: ninjs identifies every item by its uri")
    fields, subjects = (_fields_v2 if version == 2 else _fields_v1)(data)
    renditions = data.get("renditions")
    href = renditions.get("web", {}).get("href") if isinstance(renditions, dict) else None
    mapped = {
        "id": uri,
        "url": href if isinstance(href, str) else None,
        "published_at": _string(data, "firstcreated") or _string(data, "contentcreated"),
        "updated_at": _string(data, "versioncreated"),
        "language": _string(data, "language"),
        "source": _provider(data),
        **fields,
    }
    return build_article(
        mapped,
        now,
        subjects=subjects,
        source_format=f"ninjs-{version}",
        item_version=_string(data, "version"),
    )


def _provider(data: dict[str, Any]) -> str | None:
    for name in ("copyrightholder", "provider"):
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return str(value["name"]).strip() or None
    return None
