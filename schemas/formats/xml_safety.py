"""Parsing XML from strangers: no DTDs, no entities, no network, no files, bounded size.

Agency XML is parsed by libxml2 (lxml) with every door shut that hostile XML walks through:
a document type declaration is refused outright (billion laughs and external entities both
need one), entities are never resolved, nothing is fetched (no_network, no DTD loading), and
libxml2's own limits stay on (huge_tree off: text nodes up to 10 MB, depth 256). The size of
the whole record is capped before this runs (schemas.article.MAX_PAYLOAD_BYTES).
"""

from __future__ import annotations

import re

from lxml import etree

from schemas.article import InvalidArticle
from schemas.dead_letter import ErrorCode

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
# The encodings a declaration can hide a DOCTYPE in (UTF-16/32 put NULs between the letters).
_WIDE = re.compile(rb"^(\xff\xfe|\xfe\xff|\x00\x00\xfe\xff|\xff\xfe\x00\x00|\x00<|<\x00)")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(raw: bytes) -> etree._Element:
    """The root element, or InvalidArticle (xml_forbidden, xml_malformed)."""
    if _WIDE.match(raw):
        raise InvalidArticle(ErrorCode.XML_MALFORMED, "XML must be UTF-8 (UTF-16/32 refused)")
    if _DOCTYPE.search(raw):
        raise InvalidArticle(
            ErrorCode.XML_FORBIDDEN,
            "the XML declares a DOCTYPE or entities; refused (entity expansion, external "
            "entities and DTD loading are never allowed)",
        )
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidArticle(ErrorCode.XML_MALFORMED, f"not well-formed XML: {exc}") from None
    except ValueError as exc:  # e.g. an encoding lxml cannot decode
        raise InvalidArticle(ErrorCode.XML_MALFORMED, f"not parseable XML: {exc}") from None
    if root is None:
        raise InvalidArticle(ErrorCode.XML_MALFORMED, "the XML document has no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # defence in depth: never expected
        raise InvalidArticle(ErrorCode.XML_FORBIDDEN, "the XML declares a DOCTYPE; refused")
    return root
