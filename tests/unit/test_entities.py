"""Grouping an article's mentions into the distinct entities analysts filter by."""

from enrich.entities import confident_entities, group_mentions
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


def test_an_acronym_joins_the_name_it_spells_out() -> None:
    entities = group_mentions(
        [
            m("North Atlantic Treaty Organization", "ORG", 0),
            m("NATO", "ORG", 60),
            m("NATO", "ORG", 90),
            m("Office of the UN High Commissioner for Refugees", "ORG", 120),
            m("UNHCR", "ORG", 200),
            m("Economic and Financial Crimes Commission", "ORG", 220),
            m("EFCC", "ORG", 300),
            m("MeECL", "ORG", 320),
            m("Meghalaya Energy Corporation Limited", "ORG", 340),
        ]
    )
    assert sorted((e.name, e.count) for e in entities) == [
        ("Economic and Financial Crimes Commission", 2),
        ("Meghalaya Energy Corporation Limited", 2),
        ("North Atlantic Treaty Organization", 3),
        ("Office of the UN High Commissioner for Refugees", 2),
    ]


def test_an_acronym_that_spells_out_nothing_or_two_names_stays_on_its_own() -> None:
    entities = group_mentions(
        [
            # A tail of a name only counts after "of"/"the" and with three letters or more:
            # "UN" is not the Food and Agriculture Organization of the United Nations.
            m("Food and Agriculture Organization of the United Nations", "ORG", 0),
            m("UN", "ORG", 70),
            m("Islamic State West Africa Province", "ORG", 90),
            m("AP", "ORG", 130),
            m("International Criminal Court", "ORG", 150),
            m("International Cricket Council", "ORG", 190),
            m("ICC", "ORG", 230),
            # Places stand as written: the corpus labels "U.S." apart from "United States".
            m("United States", "LOC", 250),
            m("U.S.", "LOC", 270),
        ]
    )
    assert sorted(e.name for e in entities) == [
        "AP",
        "Food and Agriculture Organization of the United Nations",
        "ICC",
        "International Cricket Council",
        "International Criminal Court",
        "Islamic State West Africa Province",
        "U.S.",
        "UN",
        "United States",
    ]


def test_a_surname_joins_the_person_mentioned_most() -> None:
    entities = group_mentions(
        [
            m("Donald Trump", "PER", 0),
            m("Donald Trump", "PER", 40),
            m("Ivana Trump", "PER", 80),
            m("Trump", "PER", 120),
        ]
    )
    assert sorted((e.name, e.count) for e in entities) == [("Donald Trump", 3), ("Ivana Trump", 1)]


def test_a_site_name_is_its_outlet() -> None:
    entities = group_mentions([m("Reuters", "ORG", 0), m("Reuters.com", "ORG", 30)])
    assert [(e.name, e.count) for e in entities] == [("Reuters", 2)]


def test_only_a_surname_picks_the_host_mentioned_most() -> None:
    entities = group_mentions(
        [
            m("North Korea", "LOC", 0),
            m("North Korea", "LOC", 20),
            m("South Korea", "LOC", 40),
            m("Korea", "LOC", 60),
        ]
    )
    assert sorted((e.name, e.count) for e in entities) == [
        ("Korea", 1),
        ("North Korea", 2),
        ("South Korea", 1),
    ]


def test_an_acronym_joins_whatever_spelling_names_its_cluster() -> None:
    entities = group_mentions(
        [
            m("Nato", "ORG", 0),
            m("Nato", "ORG", 10),
            m("NATO", "ORG", 20),
            m("North Atlantic Treaty Organization", "ORG", 30),
        ]
    )
    assert [(e.name, e.count) for e in entities] == [("North Atlantic Treaty Organization", 4)]


def test_an_entity_is_kept_when_one_of_its_mentions_is_confident() -> None:
    entities = group_mentions(
        [
            m("Viktor Orban", "PER", 0, 0.95),
            m("Orban", "PER", 50, 0.4),
            m("Central", "LOC", 90, 0.55),
            m("Hungary", "LOC", 120, 0.7),
        ]
    )
    kept = confident_entities(entities, 0.7)
    assert [(e.name, e.count) for e in kept] == [("Viktor Orban", 2), ("Hungary", 1)]
    assert confident_entities(entities, 0.0) == entities
