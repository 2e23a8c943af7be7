"""Every format the article topic accepts, detected per record and mapped to one ArticleRecord.

`parse_record(raw)` is the gate the pipeline uses: it looks at the record's first bytes and
shape, hands it to the mapping for its format, and every mapping ends in the same validation
(`schemas.article.build_article`), so a ninjs or NewsML-G2 article is checked, normalised and
identified exactly like newswire's own JSON. Broken records raise InvalidArticle with a code.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from schemas.article import ArticleRecord, article_from_json, check_size, decode_json_object
from schemas.formats import newsml_g2, ninjs


class Format(StrEnum):
    NEWSWIRE = "newswire"
    NINJS = "ninjs"
    NEWSML_G2 = "newsml-g2"


_BOM = b"\xef\xbb\xbf"


def sniff(raw: bytes) -> Format:
    """XML by its first character; JSON otherwise (ninjs or newswire is decided on the object)."""
    head = raw[:64].removeprefix(_BOM).lstrip()
    return Format.NEWSML_G2 if head.startswith(b"<") else Format.NEWSWIRE


def parse_record(raw: bytes, now: datetime | None = None) -> ArticleRecord:
    check_size(raw)  # before any parser sees the bytes
    if sniff(raw) is Format.NEWSML_G2:
        return newsml_g2.parse_news_item(raw, now)
    data = decode_json_object(raw)
    if ninjs.is_ninjs(data):
        return ninjs.article_from_ninjs(data, now)
    return article_from_json(data, now)
