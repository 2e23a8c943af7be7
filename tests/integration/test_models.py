"""The shipped model on real text: entities, offsets, long articles, topics, batch independence."""

import json
from pathlib import Path

from enrich.enricher import Enricher
from pipeline.produce import feed_lines
from schemas.article import parse_article


def entities_by_type(enrichment) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    out: dict[str, set[str]] = {}
    for entity in enrichment.entities:
        out.setdefault(entity.type, set()).add(entity.name)
    return out


def test_seed_article_entities_and_topics(enricher: Enricher, seed_article_path: Path) -> None:
    article = parse_article(seed_article_path.read_bytes())
    (result,) = enricher.enrich_batch([article])
    found = entities_by_type(result)
    assert {"Viktor Orban", "Vladimir Putin", "Xi Jinping", "Aleksandar Vucic"} <= found["PER"]
    assert {"Hungary", "Russia", "Beijing", "Ukraine", "Serbia", "Kosovo", "Moscow"} <= found["LOC"]
    # "EU" is written once, as an acronym of the European Union named earlier: one entity.
    eu = [e for e in result.entities if "EU" in {m.text for m in e.mentions}]
    assert [(e.name, e.type) for e in eu] == [("European Union", "ORG")]
    assert "Kremlin" in found["ORG"] | found["LOC"]
    assert "Belt and Road Initiative" in found["MISC"]
    assert {"Rosatom", "Sputnik"} <= found["ORG"]
    assert not {"Kyiv", "Sputnik", "Rosatom", "Xi", "Aleksandar"} & found["PER"]
    # "Central and Eastern Europe" is one region, not a stray place "Central".
    assert "Central" not in found["LOC"]
    assert "Central and Eastern Europe" in found["LOC"]
    assert result.topics[0].label in {"politics", "conflict, war and peace"}
    assert result.ner_model.startswith("newswire-news@4:int8")
    assert result.topic_model.startswith("newswire-news-topics@4")


def test_the_samples_are_free_of_the_errors_users_saw(
    enricher: Enricher, sample_feed: Path
) -> None:
    articles = []
    for line in feed_lines(sample_feed):
        try:
            articles.append(parse_article(line))
        except ValueError:
            continue  # the sample feed holds two broken records on purpose
    results = enricher.enrich_batch(articles)
    found: dict[str, set[str]] = {}
    for result in results:
        for kind, names in entities_by_type(result).items():
            found.setdefault(kind, set()).update(names)
    # The errors issue 11 lists, seen with `make demo` before the fine-tuned model.
    # Still wrong in v4 (docs/models.md): the runner Tadese Takele is LOC; the runner Tigst
    # Assefa is read as PER, but at 0.69, under the default confidence floor, so not indexed.
    assert not {"Kyiv", "Sputnik", "Rosatom", "Paribas", "Manchester", "Mars"} & found["PER"]
    assert "Tigst Assefa of" not in found["ORG"], "a name never ends on a connector"
    assert not {"Frankfurt", "FRANKFURT", "PASADENA", "Jezero Crater", "Hungary"} & found["ORG"]
    assert {"Christine Lagarde", "Eliud Kipchoge", "Pat Cullen", "Ken Farley"} <= found["PER"]
    assert not {"Tigst", "Tigst Assefa"} & (found["ORG"] | found["LOC"])
    assert "Central" not in found["LOC"]
    assert {"European Central Bank", "NASA", "Royal College of Nursing"} <= found["ORG"]


def test_an_article_gets_the_same_entities_alone_or_in_a_batch(
    enricher: Enricher, seed_article_path: Path, sample_feed: Path
) -> None:
    others = [parse_article(line) for line in list(feed_lines(sample_feed))[1:5]]
    seed = parse_article(seed_article_path.read_bytes())
    (alone,) = enricher.enrich_batch([seed])
    batched = enricher.enrich_batch([*others, seed])[-1]
    assert [(e.name, e.type, e.count, e.score) for e in alone.entities] == [
        (e.name, e.type, e.count, e.score) for e in batched.entities
    ]
    assert [(t.id, t.score) for t in alone.topics] == [(t.id, t.score) for t in batched.topics]


def test_every_mention_offset_points_at_its_text(
    enricher: Enricher, seed_article_path: Path
) -> None:
    article = parse_article(seed_article_path.read_bytes())
    (result,) = enricher.enrich_batch([article])
    mentions = [m for e in result.entities for m in e.mentions]
    assert len(mentions) > 20
    for mention in mentions:
        assert article.text[mention.start : mention.end] == mention.text


def test_long_articles_are_read_to_the_end(enricher: Enricher, seed_article_path: Path) -> None:
    seed = json.loads(seed_article_path.read_text())
    last = (
        "\n\nOn Friday, Chancellor Angela Merkel travelled to Paris"
        " to meet President Emmanuel Macron."
    )
    body = "\n\n".join([seed["body"]] * 6) + last
    article = parse_article(
        json.dumps({"id": "long", "title": seed["title"], "body": body}).encode()
    )
    assert len(article.text) > 20_000
    (result,) = enricher.enrich_batch([article])
    tail_start = len(article.text) - len(last)
    tail = {(e.name, e.type) for e in result.entities for m in e.mentions if m.start >= tail_start}
    assert {("Angela Merkel", "PER"), ("Paris", "LOC"), ("Emmanuel Macron", "PER")} <= tail


def test_a_name_cut_by_a_window_edge_is_found_whole(enricher: Enricher) -> None:
    # Filler words push "Xi Jinping" across the 126-sub-word window boundary at every shift;
    # the overlapping windows must still see the name whole.
    for shift in range(118, 130, 3):
        text = "the " * shift + "President Xi Jinping met Vladimir Putin in Moscow."
        article = parse_article(json.dumps({"id": f"w{shift}", "body": text}).encode())
        (result,) = enricher.enrich_batch([article])
        assert {"Xi Jinping", "Vladimir Putin"} <= entities_by_type(result).get("PER", set())


def test_non_english_articles_get_topics_but_no_english_ner(enricher: Enricher) -> None:
    article = parse_article(
        json.dumps(
            {"title": "Le président", "body": "Emmanuel Macron à Paris.", "language": "fr"}
        ).encode()
    )
    (result,) = enricher.enrich_batch([article])
    assert result.entities == ()
    assert result.ner_skipped_reason
    assert result.topics
