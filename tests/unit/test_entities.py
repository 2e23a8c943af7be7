"""Grouping an article's mentions into the distinct entities analysts filter by."""

from enrich.entities import group_mentions
from schemas.enrichment import EntityMention


def m(text: str, kind: str, start: int, score: float = 0.9) -> EntityMention:
    return EntityMention(text, kind, start, start + len(text), score)


def test_short_forms_join_the_longest_form_of_the_same_type() -> None:
    entities = group_mentions(
        [
            m("Viktor Orban", "PER", 0),
            m("Orban", "PER", 50),
            m("Mr Orban", "PER", 90),
            m("Hungary", "LOC", 20),
            m("Orban", "ORG", 200),
        ]
    )
    by_key = {(e.name, e.type): e for e in entities}
    assert by_key[("Viktor Orban", "PER")].first_offset == 0
    assert ("Orban", "ORG") not in by_key, "a person's surname refers back to the person"
    assert by_key[("Viktor Orban", "PER")].count == 4
    assert by_key[("Hungary", "LOC")].count == 1


def test_an_ambiguous_short_form_stays_on_its_own() -> None:
    entities = group_mentions(
        [m("John Smith", "PER", 0), m("Anna Smith", "PER", 20), m("Smith", "PER", 40)]
    )
    assert sorted(e.name for e in entities) == ["Anna Smith", "John Smith", "Smith"]


def test_case_variants_are_one_entity_shown_in_normal_case() -> None:
    entities = group_mentions(
        [m("BERLIN", "LOC", 0), m("Berlin", "LOC", 30), m("Berlin", "LOC", 60)]
    )
    assert [(e.name, e.count) for e in entities] == [("Berlin", 3)]


def test_spelling_variants_and_stripped_possessives_are_one_entity() -> None:
    entities = group_mentions(
        [
            m("Al Jazeera", "ORG", 0),
            m("Al Jazeera", "ORG", 40),
            m("Al-Jazeera", "ORG", 80),
            m("Aljazeera", "ORG", 120),
            m("Russia", "LOC", 160),
            m("Russias", "LOC", 200),  # "Russias invasion": the feed dropped the apostrophe
            m("Paris", "LOC", 240),  # no "Pari" beside it: stays as it is
        ]
    )
    assert sorted((e.name, e.count) for e in entities) == [
        ("Al Jazeera", 4),
        ("Paris", 1),
        ("Russia", 2),
    ]


def test_one_form_keeps_one_type_in_an_article() -> None:
    entities = group_mentions(
        [m("PRC", "ORG", 0, 0.6), m("PRC", "MISC", 30, 0.5), m("PRC", "ORG", 60, 0.7)]
    )
    assert [(e.name, e.type, e.count) for e in entities] == [("PRC", "ORG", 3)]
