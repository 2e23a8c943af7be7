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
from transforms.kafka_clients import ensure_topics

DOC = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
BLOCK = re.compile(r"### (?P<title>.+?)\n\n```json\nPOST news/_search\n(?P<body>.+?)\n```", re.S)
QUERIES = [(m["title"], json.loads(m["body"])) for m in BLOCK.finditer(DOC.read_text())]


def hits_or_buckets(response: dict[str, Any]) -> int:
    total = response["hits"]["total"]["value"] if response["hits"]["hits"] else 0
    for agg in response.get("aggregations", {}).values():
        total += len(agg.get("buckets", []))
    return total


@pytest.fixture
def indexed_sample(settings: Settings, es, model_paths: ModelPaths, sample_feed: Path) -> Settings:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    produce(settings.kafka, settings.topic, list(feed_lines(sample_feed)))
    extra = json.loads(next(iter(feed_lines(sample_feed))))
    extra.update(id="seed-syndicated-copy", source="another-agency")
    produce(settings.kafka, settings.topic, [json.dumps(extra).encode()])
    run_bounded(settings, model_paths)
    return settings


def test_the_page_has_queries() -> None:
    assert len(QUERIES) >= 10


def test_every_documented_query_answers_on_the_sample(indexed_sample: Settings, es) -> None:  # type: ignore[no-untyped-def]
    for title, body in QUERIES:
        response = es.search(index=indexed_sample.index, **body)
        assert hits_or_buckets(response) > 0, f"no answer for: {title}"


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
