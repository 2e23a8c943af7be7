"""Text cleaning before the models: HTML to text, Unicode, whitespace, captions and bylines.

Feeds send what their CMS exports: HTML fragments, Windows line ends, spreadsheet escapes,
photo credits and bylines mixed into the body. The models and analysts want the article text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_LOOKS_LIKE_HTML = re.compile(
    r"</?(p|br|div|span|a|b|i|em|strong|h[1-6]|ul|ol|li|figure|figcaption|img|table|section|article|blockquote)\b[^>]*>"
    # A whole script, style or similar element is markup too (a body or title that is only a
    # <script> would otherwise be kept verbatim); a lone "<script>" in prose is not.
    r"|<(script|style|noscript|iframe|svg|template)\b[^>]*>.*?</\2\s*>",
    re.I | re.S,
)
_BLOCK_TAGS = frozenset(
    "p div br h1 h2 h3 h4 h5 h6 li ul ol blockquote section article header footer tr table "
    "figure pre hr".split()
)
_DROP_TAGS = frozenset("script style noscript iframe svg head template figcaption".split())
# Lines that are furniture, not article text: photo credits and captions, "Read more" links,
# and a byline standing alone at the top.
_CAPTION = re.compile(
    r"^\s*(\(?(photo|image|picture|photograph|file photo|caption|video|credit)s?\)?\s*[:|]"
    r"|read more\s*:|advertisement$|related\s*:)",
    re.I,
)
_BYLINE = re.compile(
    r"^\s*[Bb][Yy]\s+[A-Z][\w.'’-]+(\s+[A-Z][\w.'’-]+){0,3}(\s*(,|and)\s*[A-Z][\w.'’ -]+)*\s*$"
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self.dropping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(data.replace("\n", " "))


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(text))


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment; block elements become paragraph breaks."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def normalise_text(value: str) -> str:
    """NFC, no control characters, single spaces, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("_x000D_", "")  # spreadsheet-exported feeds leak this for CR
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_body(value: str) -> str:
    """The article text of a body: HTML removed, furniture lines dropped, whitespace normalised."""
    text = html_to_text(value) if looks_like_html(value) else html.unescape(value)
    text = normalise_text(text)
    kept = []
    for index, line in enumerate(text.split("\n")):
        if _CAPTION.match(line):
            continue
        if index < 3 and _BYLINE.match(line):
            continue
        kept.append(line)
    return _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()


def clean_title(value: str) -> str:
    text = html_to_text(value) if looks_like_html(value) else html.unescape(value)
    return _SPACES.sub(" ", normalise_text(text).replace("\n", " ")).strip()
