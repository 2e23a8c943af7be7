"""Group an article's mentions into distinct entities with a canonical name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from enrich.ner import EntityMention

_HONORIFICS = frozenset(
    ["mr", "mrs", "ms", "miss", "dr", "prof", "sir", "president", "minister", "the"]
)


@dataclass(frozen=True)
class Entity:
    name: str
    type: str
    count: int
    first_offset: int
    score: float
    mentions: tuple[EntityMention, ...]


def _tokens(name: str) -> tuple[str, ...]:
    words = [w.strip(".,'’").lower() for w in name.split()]
    return tuple(w for w in words if w and w not in _HONORIFICS)


def group_mentions(mentions: Sequence[EntityMention]) -> list[Entity]:
    """Mentions of one type whose words are contained in a longer mention's words join it.

    "Orban" and "Mr Orban" join "Viktor Orban"; the longest form names the entity. A short form
    that fits two different long forms (two people named Smith) stays on its own.
    """
    by_type: dict[str, list[EntityMention]] = {}
    for mention in mentions:
        by_type.setdefault(mention.type, []).append(mention)
    entities: list[Entity] = []
    for kind, group in by_type.items():
        forms = sorted({m.text for m in group}, key=lambda f: (-len(_tokens(f)), -len(f), f))
        canonical: dict[str, str] = {}
        for form in forms:
            tokens = set(_tokens(form))
            if not tokens:
                canonical[form] = form
                continue
            hosts = {
                canonical[longer]
                for longer in canonical
                if len(_tokens(longer)) > len(tokens) and tokens <= set(_tokens(longer))
            }
            canonical[form] = hosts.pop() if len(hosts) == 1 else form
        clusters: dict[str, list[EntityMention]] = {}
        for mention in group:
            clusters.setdefault(canonical[mention.text], []).append(mention)
        for name, members in clusters.items():
            members.sort(key=lambda m: m.start)
            entities.append(
                Entity(
                    name=name,
                    type=kind,
                    count=len(members),
                    first_offset=members[0].start,
                    score=round(max(m.score for m in members), 4),
                    mentions=tuple(members),
                )
            )
    entities.sort(key=lambda e: (-e.count, e.first_offset))
    return entities
