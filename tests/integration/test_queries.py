"""Every query in docs/queries.md, run against the real server on the sample feed."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from enrich.enricher import ModelPaths
from pipeline.produce import feed_lines, produce
from pipeline.run import run_bounded
from pipeline.search import Filters, buckets, cooccurring_body, search_body, top_entities_body
from pipeline.settings import Settings
from schemas.version import PIPELINE_VERSION
from transforms.kafka_clients import ensure_topics

DOC = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
BLOCK = re.compile(r"### (?P<title>.+?)\n\n```json\nPOST news/_search\n(?P<body>.+?)\n```", re.S)
QUERIES = [(m["title"], json.loads(m["body"])) for m in BLOCK.finditer(DOC.read_text())]


SEED = {"orban-putin-beijing", "seed-syndicated-copy"}  # the seed article and its copy


def ids(response: dict[str, Any]) -> set[str]:
    return {h["_id"] for h in response["hits"]["hits"]}


def keys(response: dict[str, Any], aggregation: str) -> list[Any]:
    buckets = response["aggregations"][aggregation]["buckets"]
    return [b.get("key_as_string", b["key"]) for b in buckets]


def doc_counts(response: dict[str, Any], aggregation: str) -> dict[Any, int]:
    buckets = response["aggregations"][aggregation]["buckets"]
    return {b["key"]: b["doc_count"] for b in buckets}


# What each documented query must answer on the sample feed (5 articles, 2 rejected records,
# and a copy of the seed article from another source): facts of the sample where the query
# reads the input, the seed article's well-known people where it reads the models' entities.
EXPECTED: dict[str, Any] = {
    "Full-text search with highlights, newest first among equals": lambda r: ids(r) == SEED,
    "Everything about one person": lambda r: ids(r) == SEED,
    "Articles where a person and an organisation appear together": lambda r: ids(r) == SEED,
    "Confident mentions only (nested: the entity, its type and score together)": (
        lambda r: ids(r) == SEED
    ),
    "Top people, organisations and places": lambda r: (
        {"Vladimir Putin", "Viktor Orban"} <= set(keys(r, "people"))
    ),
    "Who is mentioned with whom": lambda r: (
        "Viktor Orban" in keys(r, "with_people") and "Vladimir Putin" not in keys(r, "with_people")
    ),
    "Articles over time, by topic": lambda r: (
        [k[:7] for k in keys(r, "per_month")]
        == ["2022-11", "2022-12", "2023-09", "2023-10", "2024-03"]
    ),
    "What is trending: entities unusually frequent in a period": (
        lambda r: {"Vladimir Putin", "Viktor Orban"} <= set(keys(r, "trending_people"))
    ),
    "Sources and languages": lambda r: (
        doc_counts(r, "sources") == {"newswire-sample": 4, "(none)": 1, "another-agency": 1}
        and keys(r, "languages") == ["en"]
    ),
    "Syndicated copies: the same text under several ids": lambda r: (
        [
            sorted(b["key"] for b in bucket["ids"]["buckets"])
            for bucket in r["aggregations"]["copies"]["buckets"]
        ]
        == [sorted(SEED)]
    ),
    "Where the data came from (provenance)": lambda r: (
        list(doc_counts(r, "ner_models").values()) == [6]
        and keys(r, "pipeline_versions") == [PIPELINE_VERSION]
    ),
}


@pytest.fixture
def indexed_sample(settings: Settings, es, model_paths: ModelPaths, sample_feed: Path) -> Settings:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    produce(settings.kafka, settings.topic, list(feed_lines(sample_feed)))
    extra = json.loads(next(iter(feed_lines(sample_feed))))
    extra.update(id="seed-syndicated-copy", source="another-agency")
    produce(settings.kafka, settings.topic, [json.dumps(extra).encode()])
    run_bounded(settings, model_paths)
    return settings


def test_the_page_has_queries_and_each_an_expected_answer() -> None:
    assert len(QUERIES) >= 10
    assert [title for title, _ in QUERIES] == list(EXPECTED)


def test_every_documented_query_gives_its_answer_on_the_sample(
    indexed_sample: Settings, es
) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    for title, body in QUERIES:
        response = es.search(index=indexed_sample.index, **body)
        if not EXPECTED[title](response):
            wrong.append(f"{title}: {json.dumps(response, default=str)[:600]}")
    assert wrong == []


def test_cli_query_builders_answer(indexed_sample: Settings, es) -> None:  # type: ignore[no-untyped-def]
    found = es.search(
        index=indexed_sample.index, **search_body("Putin", 5, Filters(topics=("politics",)))
    )
    assert {h["_source"]["doc_id"] for h in found["hits"]["hits"]} == {
        "orban-putin-beijing",
        "seed-syndicated-copy",
    }
    assert "«Putin»" in json.dumps(found["hits"]["hits"][0]["highlight"], ensure_ascii=False)

    top = buckets(es.search(index=indexed_sample.index, **top_entities_body(30)))
    assert ("Vladimir Putin", 2) in top["PER"], "the seed article and its copy"

    near = buckets(es.search(index=indexed_sample.index, **cooccurring_body("Vladimir Putin", 10)))
    assert "Viktor Orban" in {name for name, _ in near["PER"]}
    assert "Vladimir Putin" not in {name for name, _ in near["PER"]}

    dated = search_body("*", 10, Filters(since="2023-01-01", sources=("newswire-sample",)))
    titles = {
        h["_source"]["title"]
        for h in es.search(index=indexed_sample.index, **dated)["hits"]["hits"]
    }
    assert titles == {
        "European Central Bank holds interest rates as inflation cools",
        "Kenyan runner wins Berlin Marathon in record time",
    }
