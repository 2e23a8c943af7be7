"""Group an article's mentions into distinct entities with a canonical name."""

from __future__ import annotations

import re
from collections.abc import Sequence

from schemas.enrichment import Entity, EntityMention

_HONORIFICS = frozenset(
    ["mr", "mrs", "ms", "miss", "dr", "prof", "sir", "president", "minister", "the"]
)


def _tokens(name: str) -> tuple[str, ...]:
    words = [w.strip(".,'’").lower() for w in name.split()]
    return tuple(w for w in words if w and w not in _HONORIFICS)


def _display_form(texts: list[str]) -> str:
    counts: dict[str, int] = {}
    for text in texts:
        counts[text] = counts.get(text, 0) + 1
    return max(counts, key=lambda t: (not t.isupper(), counts[t], -len(t), t))


def _person_surnames(mentions: Sequence[EntityMention]) -> dict[tuple[str, ...], str]:
    """Single words of multi-word person names, mapped to the name: later mentions of "Orban"
    refer back to "Viktor Orban" even where the model typed that mention differently."""
    names: dict[tuple[str, ...], set[str]] = {}
    for mention in mentions:
        tokens = _tokens(mention.text)
        if mention.type == "PER" and len(tokens) > 1:
            for token in tokens:
                names.setdefault((token,), set()).add(_tokens_key(mention.text))
    return {key: next(iter(hosts)) for key, hosts in names.items() if len(hosts) == 1}


def _tokens_key(text: str) -> str:
    return " ".join(_tokens(text))


_WEB_SUFFIX = re.compile(r"\.(com|org|net|gov|edu|co\.uk|com\.au|co\.in)$")


def _squashed(key: tuple[str, ...]) -> str:
    """The letters of a form: "Al-Jazeera", "Al Jazeera" and "AlJazeera.com" share them."""
    return re.sub(r"\W", "", _WEB_SUFFIX.sub("", "".join(key)))


_SKIPPABLE = frozenset("of the and for on in at to de du des del la le &".split())


def _acronym_letters(form: str) -> str | None:
    """The capitals of a form that is written as an acronym ("NATO", "U.S.", "MeECL"), else None."""
    if " " in form or len(form) > 12:
        return None
    capitals = "".join(c for c in form if c.isupper())
    letters = sum(c.isalpha() for c in form)
    if len(capitals) < 2 or len(capitals) * 2 < letters:
        return None
    return capitals


def _spelled_out(name: str) -> set[str]:
    """The acronyms a name spells out: the initials of all of it, or of a tail after "of" or
    "the" with three letters or more ("UNHCR" for "Office of the UN High Commissioner for
    Refugees", "EFCC" for "Economic and Financial Crimes Commission"). An acronym inside the
    name gives all its capitals ("UN", "U.S.")."""
    pieces: list[str] = []
    tails = [0]
    for word in re.split(r"[\s\-]+", name):
        if not word or not word[0].isalpha():
            continue
        if word.lower() in _SKIPPABLE:
            tails.append(len(pieces))
            continue
        pieces.append(_acronym_letters(word) or word[0].upper())
    return {
        "".join(pieces[first:])
        for first in tails
        if len(pieces) - first >= (2 if first == 0 else 3)
    }


def _variants(
    spellings: dict[tuple[str, ...], list[str]],
) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each form, mapped to the form it is a variant of: the same letters with other spaces or
    punctuation ("Al-Jazeera", "Al Jazeera", "Aljazeera"), or a possessive the feed wrote without
    its apostrophe ("Russias" beside "Russia"). The most frequent form stands for the others."""
    by_letters: dict[str, tuple[str, ...]] = {}
    for key in sorted(spellings, key=lambda k: (-len(spellings[k]), k)):
        by_letters.setdefault(_squashed(key), key)
    out = {}
    for key in spellings:
        letters = _squashed(key)
        if letters.endswith("s") and len(letters) > 3 and letters[:-1] in by_letters:
            out[key] = by_letters[letters[:-1]]
        else:
            out[key] = by_letters[letters]
    return out


def _consistent_types(mentions: Sequence[EntityMention]) -> list[EntityMention]:
    """One type per written form in an article: mentions of the same form that the model typed
    differently ("PRC" as ORG here and MISC there) all take the type with the most confidence
    summed over them."""
    votes: dict[tuple[str, ...], dict[str, float]] = {}
    for m in mentions:
        key = _tokens(m.text) or (m.text,)
        votes.setdefault(key, {})
        votes[key][m.type] = votes[key].get(m.type, 0.0) + m.score
    out = []
    for m in mentions:
        tally = votes[_tokens(m.text) or (m.text,)]
        best = max(tally, key=lambda t: (tally[t], t))
        out.append(m if m.type == best else EntityMention(m.text, best, m.start, m.end, m.score))
    return out


def _dominant(hosts: set[str], weight: dict[str, int], kind: str) -> str | None:
    """The one host a short form joins: the only one; for a person's surname also the one
    mentioned most, when more than every other ("Trump" beside "Donald Trump" x5 and "Ivana
    Trump" x1: the usual reading of a surname in news). Otherwise the short form stays on its
    own: two Smiths mentioned equally, "Korea" beside "North Korea" and "South Korea"."""
    if len(hosts) == 1:
        return next(iter(hosts))
    if kind != "PER":
        return None
    ranked = sorted(hosts, key=lambda h: (-weight.get(h, 0), h))
    if len(ranked) > 1 and weight.get(ranked[0], 0) > weight.get(ranked[1], 0):
        return ranked[0]
    return None


def _join_acronyms(clusters: dict[str, list[EntityMention]]) -> None:
    """An acronym joins the one entity of its type whose name it spells out ("NATO", "North
    Atlantic Treaty Organization"); the spelled-out name stays the entity's name."""
    acronyms: dict[str, str] = {}
    for short, members in clusters.items():
        written = {c for m in members if (c := _acronym_letters(m.text))}
        if len(written) == 1 and " " not in short.strip():
            acronyms[short] = written.pop()
    if not acronyms:
        return  # most articles: nothing to spell out
    spelled: dict[str, set[str]] = {
        name: set().union(*(_spelled_out(m.text) for m in members if " " in m.text.strip()))
        for name, members in clusters.items()
    }
    for short, capitals in acronyms.items():
        hosts = {
            name for name, spelled_as in spelled.items() if name != short and capitals in spelled_as
        }
        if len(hosts) == 1:
            clusters[hosts.pop()].extend(clusters.pop(short))
            spelled.pop(short)


def group_mentions(mentions: Sequence[EntityMention]) -> list[Entity]:
    """Mentions of one type whose words are contained in a longer mention's words join it.

    "Orban" and "Mr Orban" join "Viktor Orban"; the longest form names the entity. A short form
    that fits two different long forms stays on its own, except a surname, which joins the person
    mentioned most unless two are mentioned equally (two people named Smith). Acronyms of
    organisations and MISC entities join the name they spell out. One-word
    mentions of a person's first or last name join that person whatever type the model gave
    them, and every written form keeps one type in an article (one article, one referent: the
    usual document-level consistency of NER).
    """
    surnames = _person_surnames(mentions)
    retyped = [
        EntityMention(m.text, "PER", m.start, m.end, m.score)
        if m.type != "PER" and len(_tokens(m.text)) == 1 and _tokens(m.text) in surnames
        else m
        for m in _consistent_types(mentions)
    ]
    by_type: dict[str, list[EntityMention]] = {}
    for mention in retyped:
        by_type.setdefault(mention.type, []).append(mention)
    entities: list[Entity] = []
    for kind, group in by_type.items():
        # Forms that differ only in case ("BERLIN" in a dateline, "Berlin") are one form,
        # displayed as its most frequent spelling that is not all capitals.
        spellings: dict[tuple[str, ...], list[str]] = {}
        for mention in group:
            spellings.setdefault(_tokens(mention.text) or (mention.text,), []).append(mention.text)
        variant_of = _variants(spellings)
        for key, target in variant_of.items():
            if key != target:
                spellings[target].extend(spellings.pop(key))
        display = {key: _display_form(texts) for key, texts in spellings.items()}
        keys = sorted(spellings, key=lambda k: (-len(k), -len(display[k]), display[k]))
        canonical: dict[tuple[str, ...], str] = {}
        weight: dict[str, int] = {}
        for key in keys:
            hosts = {
                canonical[longer]
                for longer in canonical
                if len(longer) > len(key) and set(key) <= set(longer)
            }
            canonical[key] = _dominant(hosts, weight, kind) or display[key]
            weight[canonical[key]] = weight.get(canonical[key], 0) + len(spellings[key])
        clusters: dict[str, list[EntityMention]] = {}
        for mention in group:
            key = variant_of[_tokens(mention.text) or (mention.text,)]
            clusters.setdefault(canonical[key], []).append(mention)
        if kind in ("ORG", "MISC"):
            # Places are left as written: the corpus labels "U.S." apart from "United States".
            _join_acronyms(clusters)
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


# Chosen on held-out labelled articles (docs/models.md): the model's spurious entities are
# mostly ones it is unsure of everywhere in the article, so leaving out an entity whose most
# confident mention is below 0.7 gains more precision than it costs recall.
MIN_ENTITY_SCORE = 0.7


def confident_entities(entities: Sequence[Entity], min_score: float) -> list[Entity]:
    """The entities whose most confident mention reaches `min_score` (0 keeps all)."""
    return [e for e in entities if e.score >= min_score]
