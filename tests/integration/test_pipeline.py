"""End to end on the real stack: the sample feed through Kafka, Beam, the models, Elasticsearch."""

import json
import subprocess
import sys
from pathlib import Path

from kafka import KafkaConsumer

from enrich.enricher import ModelPaths
from pipeline.produce import feed_lines, produce
from pipeline.run import run_bounded
from pipeline.settings import Settings
from transforms.kafka_clients import ensure_topics


def dead_letters(settings: Settings) -> list[dict[str, object]]:
    consumer = KafkaConsumer(
        settings.dlq_topic,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    try:
        return [json.loads(message.value) for message in consumer]
    finally:
        consumer.close()


def test_every_record_is_indexed_or_dead_lettered_once(
    settings: Settings,
    es,
    model_paths: ModelPaths,
    sample_feed: Path,  # type: ignore[no-untyped-def]
) -> None:
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    lines = list(feed_lines(sample_feed))
    produce(settings.kafka, settings.topic, lines)

    summary = run_bounded(settings, model_paths)
    assert summary.records == len(lines) == 7
    assert summary.indexed == 5
    assert summary.dead_lettered == 2
    assert es.count(index=settings.index)["count"] == 5

    letters = dead_letters(settings)
    assert sorted(str(d["error_code"]) for d in letters) == ["missing_body", "not_json"]
    for letter in letters:
        assert letter["kafka"]["topic"] == settings.topic  # type: ignore[index]
        assert letter["reason"]

    seed = es.get(index=settings.index, id="orban-putin-beijing")["_source"]
    assert "Vladimir Putin" in seed["persons"]
    assert seed["provenance"]["kafka"]["topic"] == settings.topic
    for entity in seed["entities"]:
        for mention in entity["mentions"]:
            text = seed[mention["field"]][mention["start"] : mention["end"]]
            assert text == mention["text"]

    again = run_bounded(settings, model_paths)
    assert again.records == 0, "a second run starts from the committed offsets"

    produce(settings.kafka, settings.topic, lines[:1])  # the seed article re-sent
    third = run_bounded(settings, model_paths)
    assert third.records == 1 and third.indexed == 1
    assert es.count(index=settings.index)["count"] == 5, "a re-sent article replaces its copy"


def test_search_command_prints_entities(
    settings: Settings, es, model_paths: ModelPaths, sample_feed: Path
) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    produce(settings.kafka, settings.topic, list(feed_lines(sample_feed)))
    run_bounded(settings, model_paths)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "search", "Orban", "--index", settings.index],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Viktor Orban" in result.stdout
    assert "PER" in result.stdout
