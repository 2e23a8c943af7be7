"""Article text as HTML, built only from escaped pieces: entity mentions marked at their stored
character offsets, search highlights, and JSON handed to the page's scripts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from newsroom.queries import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    kind: str
    name: str
    score: float


def mentions_in(document: Mapping[str, Any], field: str) -> list[Mention]:
    """The stored mentions that fall in `field` (title or body), in text order. Mentions that
    overlap an earlier one, or whose offsets do not hold their stored text, are left out: the
    page marks only what the index says, character for character."""
    text = str(document.get(field) or "")
    found: list[Mention] = []
    for entity in document.get("entities") or []:
        for mention in entity.get("mentions") or []:
            if mention.get("field") != field:
                continue
            start, end = int(mention["start"]), int(mention["end"])
            if 0 <= start < end <= len(text) and text[start:end] == mention.get("text"):
                found.append(
                    Mention(
                        start,
                        end,
                        text[start:end],
                        str(entity["type"]),
                        str(entity["name"]),
                        float(mention.get("score") or 0.0),
                    )
                )
    found.sort(key=lambda m: (m.start, -m.end))
    kept: list[Mention] = []
    for mention in found:
        if not kept or mention.start >= kept[-1].end:
            kept.append(mention)
    return kept


def mark_mentions(text: str, mentions: Iterable[Mention], link: Callable[[Mention], str]) -> Markup:
    """`text` as HTML with each mention wrapped in a link to its entity page.

    Every piece of article text is escaped; the only markup is the <a> elements built here,
    whose attribute values are escaped too.
    """
    pieces: list[str] = []
    at = 0
    for m in mentions:
        pieces.append(str(escape(text[at : m.start])))
        pieces.append(
            f'<a class="mention t-{escape(m.kind)}" href="{escape(link(m))}" '
            f'data-start="{m.start}" data-end="{m.end}" data-type="{escape(m.kind)}" '
            f'data-name="{escape(m.name)}" title="{escape(m.kind)}: {escape(m.name)}">'
            f"{escape(text[m.start : m.end])}</a>"
        )
        at = m.end
    pieces.append(str(escape(text[at:])))
    return Markup("".join(pieces))


def highlighted(fragment: str) -> Markup:
    """A highlight fragment from Elasticsearch as HTML: the text escaped, the matches in <mark>.
    Stray or unbalanced markers (the article's own private-use characters) are dropped."""
    pieces: list[str] = []
    inside = False
    buffer = ""
    for char in fragment:
        if char == HIGHLIGHT_OPEN and not inside:
            pieces.append(str(escape(buffer)))
            buffer, inside = "", True
        elif char == HIGHLIGHT_CLOSE and inside:
            pieces.append(f"<mark>{escape(buffer)}</mark>")
            buffer, inside = "", False
        elif char not in (HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE):
            buffer += char
    pieces.append(str(escape(buffer)))
    return Markup("".join(pieces))


def web_link(url: str | None) -> str | None:
    """The article's own URL if it is an http(s) address; anything else (javascript:, data:)
    is not offered as a link."""
    if not url:
        return None
    scheme = url.strip().split(":", 1)[0].lower() if ":" in url else ""
    return url.strip() if scheme in ("http", "https") else None


def json_for_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: nothing in it can close the element
    or open a comment, whatever the article text holds."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)
