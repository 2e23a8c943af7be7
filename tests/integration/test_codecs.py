"""Records from non-Python producers under every Kafka codec: read, indexed, or failed clearly.

kcat (librdkafka) and Kafka's own Java client produce the same articles with keys and
headers to three partitions under each codec the broker carries; the source reads every one,
the pipeline indexes every one. A batch the source cannot decode stops the read with its
topic, partition, offset and cause, and `newswire offsets skip` steps the group over it.
"""

from __future__ import annotations

import json
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from enrich.enricher import ModelPaths
from pipeline.cli import main
from pipeline.run import run_bounded
from pipeline.settings import Settings
from tests.integration.producers import CODECS, java_produce, kcat_produce
from transforms.kafka_clients import admin_consumer, bounded_ranges, ensure_topics
from transforms.kafka_source import ReadKafkaRanges

CITIES = ("Vienna", "Lisbon", "Warsaw", "Rotterdam", "Dublin", "Prague", "Madrid", "Oslo")


def articles(producer: str, codec: str) -> list[tuple[str, bytes]]:
    """Eight articles, the same text for every producer and codec, ids telling them apart."""
    found = []
    for n, city in enumerate(CITIES):
        doc_id = f"{producer}-{codec}-{n}"
        body = (
            f"The city council of {city} approved a new budget on Monday, the mayor's office "
            "said, after a long debate about public transport and housing."
        )
        article = {"id": doc_id, "title": f"{city} approves budget", "body": body}
        found.append((doc_id, json.dumps(article).encode()))
    return found


def produce_everything(settings: Settings) -> list[tuple[str, bytes]]:
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic], partitions=3)
    sent = []
    for codec in CODECS:
        records = articles("kcat", codec)
        kcat_produce(settings.kafka, settings.topic, codec, records)
        sent += records
        records = articles("java", codec)
        java_produce(settings.kafka, settings.topic, codec, records)
        sent += records
    return sent


def test_the_source_reads_every_codec_with_keys_and_headers_on_three_partitions(
    settings: Settings,
) -> None:
    sent = produce_everything(settings)
    ranges = bounded_ranges(settings.kafka, settings.topic, settings.group_id)
    assert sum(r.size for r in ranges) == len(sent) == 80
    assert len([r for r in ranges if r.size]) == 3, "keys spread the records over 3 partitions"

    def seen(record: Any) -> tuple[str, bytes, tuple[tuple[str, bytes], ...]]:
        return (record.source.key.decode(), record.value, tuple(sorted(record.headers)))

    expected = []
    for key, value in sent:
        producer, codec, _n = key.split("-")
        headers = (("codec", codec.encode()), ("producer", producer.encode()))
        expected.append((key, value, headers))
    with beam.Pipeline() as pipeline:
        read = pipeline | ReadKafkaRanges(settings.kafka, ranges) | beam.Map(seen)
        assert_that(read, equal_to(expected))


def test_every_article_from_every_producer_and_codec_is_indexed(
    settings: Settings,
    es: Any,
    model_paths: ModelPaths,
) -> None:
    sent = produce_everything(settings)
    summary = run_bounded(settings, model_paths)
    assert summary.records == len(sent) and summary.indexed == len(sent)
    assert summary.dead_lettered == 0
    by_city: dict[str, set[str]] = {}
    for key, _value in sent:
        doc = es.get(index=settings.index, id=key)["_source"]
        assert doc["title"].endswith("approves budget"), key
        assert doc["provenance"]["kafka"]["topic"] == settings.topic
        # The same text from every producer and codec: the same entities.
        names = json.dumps([doc["persons"], doc["organizations"], doc["locations"]])
        by_city.setdefault(key.rsplit("-", 1)[1], set()).add(names)
    assert all(len(found) == 1 for found in by_city.values()), by_city
    assert sum('"' in next(iter(found)) for found in by_city.values()) >= 4, "entities found"


def disable_lz4(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without the lz4 library (what the issue's user had)."""
    from kafka import codec

    for name in ("lz4", "lz4f", "lz4framed"):
        monkeypatch.setattr(codec, name, None)


def test_an_undecodable_batch_stops_the_read_clearly_and_can_be_skipped(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_topics(settings.kafka, [settings.topic], partitions=1)
    kcat_produce(settings.kafka, settings.topic, "gzip", articles("kcat", "gzip")[:2])
    kcat_produce(settings.kafka, settings.topic, "lz4", articles("kcat", "lz4"))
    kcat_produce(settings.kafka, settings.topic, "zstd", articles("kcat", "zstd")[:1])
    disable_lz4(monkeypatch)

    ranges = bounded_ranges(settings.kafka, settings.topic, settings.group_id)
    # The runner may wrap the exception's type; its message is what the user reads.
    with pytest.raises(Exception) as caught, beam.Pipeline() as pipeline:
        _ = pipeline | ReadKafkaRanges(settings.kafka, ranges)
    message = str(caught.value)
    assert f"cannot decode the record batch of {settings.topic} partition 0 at offset 2" in message
    assert "Libraries for lz4 compression codec not found" in message
    assert "Install the lz4 codec" in message

    args = ["offsets", "skip", "--partition", "0", "--offset", "5"]
    args += ["--topic", settings.topic, "--group-id", settings.group_id]
    assert main(args) == 0
    consumer = admin_consumer(settings.kafka, settings.group_id)
    try:
        from kafka import TopicPartition

        committed = consumer.committed(TopicPartition(settings.topic, 0))
    finally:
        consumer.close()
    assert committed == 10, "past the eight lz4 records (one batch), at the zstd one"
    later = bounded_ranges(settings.kafka, settings.topic, settings.group_id)
    with beam.Pipeline() as pipeline:
        values = (
            pipeline
            | ReadKafkaRanges(settings.kafka, later)
            | beam.Map(lambda r: r.source.key.decode())
        )
        assert_that(values, equal_to(["kcat-zstd-0"]))


DISABLE_LZ4_AND_RUN = """
import sys
from kafka import codec
codec.lz4 = codec.lz4f = codec.lz4framed = None
from pipeline.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_streaming_stops_on_an_undecodable_batch_with_the_same_message(
    settings: Settings,
) -> None:
    """Not a crash loop: the streaming run ends, and says where and why."""
    import subprocess
    import sys

    from tests.integration.streaming_process import settings_env

    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic], partitions=1)
    kcat_produce(settings.kafka, settings.topic, "gzip", articles("kcat", "gzip")[:2])
    kcat_produce(settings.kafka, settings.topic, "lz4", articles("kcat", "lz4"))
    done = subprocess.run(
        [sys.executable, "-c", DISABLE_LZ4_AND_RUN, "run", "--streaming", "--start", "earliest"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("newswire run: UndecodableBatch: cannot decode the record batch of "), (
        last
    )
    assert f"{settings.topic} partition 0 at offset 2" in last
    assert "Install the lz4 codec" in last
