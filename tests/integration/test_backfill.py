"""`newswire run --from/--to`: backfills by offsets or times, leaving the group's offsets alone."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline.produce import produce
from pipeline.settings import Settings
from tests.integration.streaming_process import committed_offsets, newswire
from transforms.kafka_clients import ensure_topics

FEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "news-feed.jsonl"


def indexed_ids(es, settings: Settings) -> set[str]:  # type: ignore[no-untyped-def]
    es.indices.refresh(index=settings.index)
    hits = es.search(index=settings.index, size=100, source=False)["hits"]["hits"]
    return {h["_id"] for h in hits}


def test_backfill_by_offsets_then_by_time(settings: Settings, es) -> None:  # type: ignore[no-untyped-def]
    lines = FEED.read_bytes().splitlines()[800:806]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic], partitions=1)
    produce(settings.kafka, settings.topic, lines[:4])
    time.sleep(1.5)
    boundary = datetime.now(UTC).isoformat()
    time.sleep(1.5)
    produce(settings.kafka, settings.topic, lines[4:])

    out = newswire(settings, "run", "--from", "1", "--to", "3")
    assert "read 2 records" in out and "indexed 2" in out, out
    assert indexed_ids(es, settings) == {json.loads(line)["id"] for line in lines[1:3]}

    out = newswire(settings, "run", "--from", boundary)
    assert "read 2 records" in out, out
    expected = {json.loads(line)["id"] for line in [*lines[1:3], *lines[4:]]}
    assert indexed_ids(es, settings) == expected
    # A backfill is a replay: the live consumer group has not moved.
    assert set(committed_offsets(settings).values()) == {0}
