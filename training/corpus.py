"""The labelled corpus: hand labels as distinct entities per article, projected to mention spans.

Labellers write, per article, each distinct entity once with its longest name and every other
surface form as an alias (the format of eval/dev-set.jsonl). `project_spans` turns that into
character-offset mentions for token classification: every case-sensitive occurrence of a form
at word boundaries, longest forms first, never overlapping. An entity may restrict its forms to
given contexts (`contexts`: strings around the mention) when a form is also used otherwise in
the article (a month "May" beside Theresa May).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TYPES = ("PER", "ORG", "LOC", "MISC")


@dataclass(frozen=True)
class LabelledEntity:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()

    def forms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for f in (self.name, *self.aliases) if f.strip()))


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    feed_line: int | None
    entities: tuple[LabelledEntity, ...]
    topics: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str

    def as_list(self) -> list[Any]:
        return [self.start, self.end, self.type]


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def occurrences(text: str, form: str) -> list[int]:
    """Start offsets of `form` in `text`, case-sensitive, not inside a longer word."""
    starts = []
    for m in re.finditer(re.escape(form), text):
        s, e = m.start(), m.end()
        if s > 0 and _word_char(text[s - 1]) and _word_char(form[0]):
            continue
        if e < len(text) and _word_char(text[e]) and _word_char(form[-1]):
            continue
        starts.append(s)
    return starts


def _in_context(text: str, start: int, end: int, contexts: Sequence[str]) -> bool:
    for ctx in contexts:
        for c in occurrences(text, ctx) if ctx else []:
            if c <= start and end <= c + len(ctx):
                return True
    return False


def project_spans(text: str, entities: Iterable[LabelledEntity]) -> list[Span]:
    """Mention spans of the labelled entities in `text`, longest forms first, no overlaps."""
    candidates: list[tuple[int, int, str]] = []
    for entity in entities:
        for form in entity.forms():
            for s in occurrences(text, form):
                e = s + len(form)
                if entity.contexts and not _in_context(text, s, e, entity.contexts):
                    continue
                candidates.append((s, e, entity.type))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken = [False] * len(text)
    spans = []
    for s, e, t in candidates:
        if any(taken[s:e]):
            continue
        for i in range(s, e):
            taken[i] = True
        spans.append(Span(s, e, t))
    return sorted(spans, key=lambda sp: sp.start)


def missing_forms(text: str, entity: LabelledEntity) -> list[str]:
    return [f for f in entity.forms() if not occurrences(text, f)]


def parse_labels(raw: dict[str, Any]) -> LabelledArticle:
    entities = []
    for e in raw.get("entities", []):
        if e["type"] not in TYPES:
            raise ValueError(f"{raw.get('id')}: unknown type {e['type']!r} for {e['name']!r}")
        entities.append(
            LabelledEntity(
                e["name"], e["type"], tuple(e.get("aliases", ())), tuple(e.get("contexts", ()))
            )
        )
    known = {"id", "feed_line", "entities", "topics"}
    return LabelledArticle(
        raw["id"],
        raw.get("feed_line"),
        tuple(entities),
        tuple(raw.get("topics", ())),
        {k: v for k, v in raw.items() if k not in known},
    )


def load_labels(paths: Iterable[Path]) -> list[LabelledArticle]:
    out = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    out.append(parse_labels(json.loads(line)))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{number}: {exc}") from None
    return out
