"""Bounded reads against the real broker: planned ranges, Beam reads, committed offsets."""

import json

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from pipeline.produce import produce
from pipeline.settings import Settings
from transforms.kafka_clients import bounded_ranges, commit_ranges, ensure_topics
from transforms.kafka_source import ReadKafkaRanges


def test_ranges_cover_what_was_produced_and_commit_moves_the_group_on(settings: Settings) -> None:
    ensure_topics(settings.kafka, [settings.topic])
    values = [json.dumps({"id": f"a{i}", "title": f"t{i}"}).encode() for i in range(25)]
    assert produce(settings.kafka, settings.topic, values) == 25

    ranges = bounded_ranges(settings.kafka, settings.topic, settings.group_id)
    assert sum(r.size for r in ranges) == 25
    assert all(r.start == 0 for r in ranges)

    with beam.Pipeline() as pipeline:
        read = (
            pipeline
            | ReadKafkaRanges(settings.kafka, ranges)
            | beam.Map(lambda record: record.value)
        )
        assert_that(read, equal_to(values))

    commit_ranges(settings.kafka, settings.group_id, ranges)
    assert bounded_ranges(settings.kafka, settings.topic, settings.group_id) == []

    produce(settings.kafka, settings.topic, [b'{"id": "late", "title": "x"}'])
    later = bounded_ranges(settings.kafka, settings.topic, settings.group_id)
    assert sum(r.size for r in later) == 1
    assert all(r.start > 0 for r in later), "a new run resumes from the committed offsets"
