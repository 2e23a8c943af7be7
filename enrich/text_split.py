"""Split article text into sentences and words, keeping character offsets into the original text.

NER models here were trained on word lists (CoNLL style), so the text is cut the same way before
the tokenizer sees it, and every word remembers where it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words: initialisms (U.S., U.K.), words with inner apostrophes, hyphens or dots (O'Brien,
# Rolls-Royce, 3.5), numbers, and single punctuation marks. A possessive 's stands alone, as in
# CoNLL, so "Hungary's" gives the word "Hungary".
_WORD = re.compile(
    r"(?:[A-Za-z]\.){2,}"
    r"|[’']s\b"
    r"|\w+(?:[’'](?![sS]\b)\w+|[\-–.&]\w+)*"
    r"|[^\w\s]",
    re.UNICODE,
)
_PARAGRAPH = re.compile(r"\n\s*\n|\r\n\s*\r\n|\n")
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) and whitespace,
# when the next text starts like a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    [
        *("mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt"),
        *("st", "jr", "sr", "co", "corp", "inc", "ltd", "no", "vs", "etc"),
        *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
        *("u.s", "u.k", "u.n", "e.g", "i.e"),
    ]
)
MAX_WORDS_PER_SENTENCE = 120


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    words: tuple[Word, ...]


def words_in(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    """Words of text[start:end], offsets relative to the whole text."""
    stop = len(text) if end is None else end
    return [Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(text, start, stop)]


def _sentence_bounds(text: str, start: int, end: int) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        before = text[cursor : match.start()].rstrip("\"'”’)]")
        last_token = before.rsplit(None, 1)[-1] if before.split() else ""
        stem = last_token.rstrip(".!?").lower()
        # "Mr. Orban" or "U.S. officials" do not end a sentence; a lone capital initial neither.
        if last_token.endswith(".") and (
            stem in _ABBREVIATIONS or (len(stem) == 1 and stem.isalpha())
        ):
            continue
        bounds.append((cursor, match.start()))
        cursor = match.end()
    bounds.append((cursor, end))
    return bounds


def split_sentences(text: str, max_words: int = MAX_WORDS_PER_SENTENCE) -> list[Sentence]:
    """Sentences of text with their words; runs of more than max_words words are cut into pieces.

    Paragraph breaks always end a sentence, so headlines, captions and bylines stand alone.
    """
    sentences: list[Sentence] = []
    cursor = 0
    paragraphs = [*_PARAGRAPH.finditer(text)]
    spans = []
    for match in paragraphs:
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    for p_start, p_end in spans:
        if not text[p_start:p_end].strip():
            continue
        for s_start, s_end in _sentence_bounds(text, p_start, p_end):
            words = words_in(text, s_start, s_end)
            for i in range(0, len(words), max_words):
                chunk = tuple(words[i : i + max_words])
                if chunk:
                    sentences.append(Sentence(chunk[0].start, chunk[-1].end, chunk))
    return sentences
