"""NewsML-G2 news items (IPTC's XML wire format) to the article contract.

One record carries one `newsItem`, bare or as the only item of a `newsMessage`. Mapped:
`@guid` (the id), `@version`, `itemMeta/firstCreated` and `versionCreated` (dates; the later
version of a guid replaces the earlier), `contentMeta/headline`, `creator` and `by` (authors),
`subject` (kept as sent), `language/@tag` or `@xml:lang`, `provider`, and the body from
`contentSet`: `inlineXML` (XHTML, or NITF's `body.content`) or `inlineData` (text, HTML).
Parsed with lxml directly (schemas/formats/xml_safety.py); docs/schemas.md says why not the
`newsmlg2` package. Mapping table: docs/schemas.md.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from schemas.article import (
    ArticleRecord,
    InvalidArticle,
    Subject,
    build_article,
    strip_by,
)
from schemas.dead_letter import ErrorCode
from schemas.formats.xml_safety import parse_xml

NAR = "http://iptc.org/std/nar/2006-10-01/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NS = {"g2": NAR}
_TEXT_CLASSES = ("ninat:text", "ninat:composite", "")
# Elements that end a paragraph in XHTML and NITF bodies.
_BLOCKS = frozenset(
    "p div br h1 h2 h3 h4 h5 h6 li ul ol blockquote section article tr table pre hr "
    "hl1 hl2 block dateline".split()
)
_SKIP = frozenset("head script style figcaption media media-caption title".split())


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return value or None


def body_text(element: etree._Element) -> str:
    """Visible text of inline XHTML/NITF; block elements become paragraph breaks."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        name = _local(node)
        if name in _SKIP:
            return
        if name in _BLOCKS:
            parts.append("\n\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if name in _BLOCKS:
            parts.append("\n\n")

    walk(element)
    return "".join(parts)


def _news_item(root: etree._Element) -> etree._Element:
    name = _local(root)
    if etree.QName(root).namespace != NAR:
        raise InvalidArticle(
            ErrorCode.NEWSML_UNSUPPORTED,
            f"XML root <{name}> is not in the NewsML-G2 namespace ({NAR})",
        )
    if name == "newsMessage":
        items = root.findall("g2:itemSet/*", _NS)
        news = [i for i in items if _local(i) == "newsItem"]
        if len(items) != 1 or len(news) != 1:
            raise InvalidArticle(
                ErrorCode.NEWSML_UNSUPPORTED,
                f"a newsMessage with {len(items)} item(s), {len(news)} news item(s): "
                "send exactly one newsItem per record",
            )
        return news[0]
    if name != "newsItem":
        raise InvalidArticle(
            ErrorCode.NEWSML_UNSUPPORTED, f"<{name}> is not a newsItem (only text news items)"
        )
    return root


def _body(item: etree._Element) -> str | None:
    content = item.find("g2:contentSet", _NS)
    if content is None:
        return None
    for inline in content:
        name = _local(inline)
        kind = (inline.get("contenttype") or "").split(";")[0].strip().lower()
        if name == "inlineXML":
            body = next((e for e in inline.iter() if _local(e) in ("body", "body.content")), None)
            return body_text(body if body is not None else inline)
        if name == "inlineData" and kind in ("", "text/plain", "text/html"):
            return inline.text or ""
    kinds = [f"{_local(e)} {e.get('contenttype') or ''}".strip() for e in content]
    raise InvalidArticle(
        ErrorCode.NEWSML_UNSUPPORTED, f"no readable inline content in contentSet ({kinds})"
    )


def _subjects(meta: etree._Element | None) -> tuple[Subject, ...]:
    if meta is None:
        return ()
    found = []
    for subject in meta.findall("g2:subject", _NS):
        qcode = subject.get("qcode")
        found.append(
            Subject(
                name=_text(subject.find("g2:name", _NS)),
                code=qcode,
                scheme=qcode.split(":", 1)[0] if qcode and ":" in qcode else None,
                uri=subject.get("uri"),
                rel=subject.get("type") or subject.get("rel"),
            )
        )
    return tuple(s for s in found if s.to_json())


def _authors(meta: etree._Element | None) -> list[str] | str | None:
    if meta is None:
        return None
    names = []
    for creator in meta.findall("g2:creator", _NS):
        name = _text(creator.find("g2:name", _NS)) or creator.get("literal")
        if name:
            names.append(name.strip())
    if names:
        return names
    by = _text(meta.find("g2:by", _NS))
    return strip_by(by) if by else None


def parse_news_item(raw: bytes, now: datetime | None = None) -> ArticleRecord:
    item = _news_item(parse_xml(raw))
    guid = item.get("guid")
    if not guid or not guid.strip():
        raise InvalidArticle(ErrorCode.NEWSML_INVALID, "the newsItem has no guid")
    version = item.get("version")
    if version is not None and not version.strip().isdigit():
        raise InvalidArticle(
            ErrorCode.NEWSML_INVALID, f"version {version!r} is not a positive integer"
        )
    item_meta = item.find("g2:itemMeta", _NS)
    content_meta = item.find("g2:contentMeta", _NS)
    item_class = item_meta.find("g2:itemClass", _NS) if item_meta is not None else None
    qcode = item_class.get("qcode", "") if item_class is not None else ""
    if qcode not in _TEXT_CLASSES:
        raise InvalidArticle(
            ErrorCode.NEWSML_UNSUPPORTED, f"itemClass {qcode} is not text (ninat:text)"
        )

    def meta(parent: etree._Element | None, name: str) -> str | None:
        return _text(parent.find(f"g2:{name}", _NS)) if parent is not None else None

    language = None
    if content_meta is not None:
        tag = content_meta.find("g2:language", _NS)
        language = tag.get("tag") if tag is not None else None
    provider = item_meta.find("g2:provider", _NS) if item_meta is not None else None
    mapped = {
        "id": guid.strip(),
        "title": meta(content_meta, "headline"),
        "body": _body(item),
        "authors": _authors(content_meta),
        "published_at": meta(item_meta, "firstCreated") or meta(content_meta, "contentCreated"),
        "updated_at": meta(item_meta, "versionCreated"),
        "language": language or item.get(XML_LANG),
        "source": (
            _text(provider.find("g2:name", _NS)) or provider.get("literal") or provider.get("qcode")
        )
        if provider is not None
        else None,
        "section": None,
    }
    return build_article(
        mapped,
        now,
        subjects=_subjects(content_meta),
        source_format="newsml-g2",
        item_version=version.strip() if version else None,
    )
