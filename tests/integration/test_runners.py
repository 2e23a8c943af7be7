"""The same pipeline code on Beam's runners: Prism (see test_streaming) and embedded Flink."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.index_admin import setup_index
from pipeline.produce import produce
from pipeline.settings import Settings
from tests.integration.streaming_process import (
    StreamingProcess,
    committed_offsets,
    dead_letters,
    end_offsets,
    newswire,
    wait_until_settled,
)
from transforms.kafka_clients import ensure_topics

FEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "news-feed.jsonl"


def _feed(first: int, count: int) -> list[bytes]:
    return FEED.read_bytes().splitlines()[first : first + count]


def _count(es, settings: Settings) -> int:  # type: ignore[no-untyped-def]
    es.indices.refresh(index=settings.index)
    return int(es.count(index=settings.index)["count"])


def test_streaming_on_embedded_flink(settings: Settings, es, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    setup_index(es, settings.index)
    produce(settings.kafka, settings.topic, [*_feed(700, 4), b"{oops"])
    pipeline = StreamingProcess(settings, tmp_path / "flink.log", "--runner=FlinkRunner")
    with pipeline.stopped_cleanly():
        wait_until_settled(settings, pipeline, 300)
        produce(settings.kafka, settings.topic, _feed(704, 2))
        wait_until_settled(settings, pipeline, 180)
    assert _count(es, settings) == 6
    assert [d["error_code"] for d in dead_letters(settings)] == ["not_json"]
    assert committed_offsets(settings) == end_offsets(settings)


def test_a_bounded_run_on_embedded_flink(settings: Settings, es) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    produce(settings.kafka, settings.topic, [*_feed(710, 3), b"[]"])
    started = time.monotonic()
    out = newswire(settings, "run", "--runner=FlinkRunner")
    assert "indexed 3, superseded 0, dead-lettered 1" in out, out
    assert _count(es, settings) == 3
    assert committed_offsets(settings) == end_offsets(settings)
    print(f"bounded run on Flink: {time.monotonic() - started:.0f}s")
