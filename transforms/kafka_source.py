"""Reading articles from Kafka with kafka-python.

Bounded reads are planned on the driver as offset ranges (from the consumer group's committed
offsets, else the earliest, up to the end offsets seen at start), read in parallel by a DoFn,
and committed back only after the pipeline has indexed or dead-lettered everything in them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

POLL_TIMEOUT_MS = 1000
IDLE_POLLS_BEFORE_GIVING_UP = 30


@dataclass(frozen=True)
class OffsetRange:
    topic: str
    partition: int
    start: int  # first offset to read
    end: int  # first offset not to read

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class KafkaReadError(RuntimeError):
    """A range could not be read to its end."""


def plan_ranges(
    committed: Mapping[tuple[str, int], int | None],
    beginning: Mapping[tuple[str, int], int],
    end: Mapping[tuple[str, int], int],
) -> list[OffsetRange]:
    """Ranges still to read: from the committed offset (else the beginning) to the end."""
    ranges = []
    for (topic, partition), stop in sorted(end.items()):
        start = committed.get((topic, partition))
        first = beginning[(topic, partition)]
        start = first if start is None else max(start, first)
        if start < stop:
            ranges.append(OffsetRange(topic, partition, start, stop))
    return ranges


MAX_RECORD_BYTES = 16 * 1024 * 1024


def client_config(bootstrap_servers: str) -> dict[str, Any]:
    # kafka-python refuses network frames over 1 MB by default; a fetch response carrying one
    # oversized article (which must reach the dead-letter topic, not wedge the reader) is
    # larger, so allow frames well above the largest record the broker accepts.
    return {
        "bootstrap_servers": bootstrap_servers.split(","),
        "client_id": "newswire",
        "receive_message_max_bytes": 4 * MAX_RECORD_BYTES,
    }


def bounded_ranges(bootstrap_servers: str, topic: str, group_id: str) -> list[OffsetRange]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        group_id=group_id, enable_auto_commit=False, **client_config(bootstrap_servers)
    )
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        committed = {(tp.topic, tp.partition): consumer.committed(tp) for tp in tps}
        beginning = {
            (tp.topic, tp.partition): o for tp, o in consumer.beginning_offsets(tps).items()
        }
        end = {(tp.topic, tp.partition): o for tp, o in consumer.end_offsets(tps).items()}
        return plan_ranges(committed, beginning, end)
    finally:
        consumer.close()


def commit_ranges(bootstrap_servers: str, group_id: str, ranges: list[OffsetRange]) -> None:
    """Mark the ranges as done for the group: a restart resumes after them."""
    if not ranges:
        return
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    consumer = KafkaConsumer(
        group_id=group_id, enable_auto_commit=False, **client_config(bootstrap_servers)
    )
    try:
        consumer.commit(
            {
                TopicPartition(r.topic, r.partition): OffsetAndMetadata(r.end, "newswire", -1)
                for r in ranges
            }
        )
    finally:
        consumer.close()


class _ReadOffsetRangeFn(beam.DoFn):
    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.records_read = Metrics.counter("newswire", "kafka_records_read")

    def setup(self) -> None:
        from kafka import KafkaConsumer

        self.consumer = KafkaConsumer(
            enable_auto_commit=False,
            max_partition_fetch_bytes=MAX_RECORD_BYTES,
            fetch_max_bytes=2 * MAX_RECORD_BYTES,
            **client_config(self.bootstrap_servers),
        )

    def process(self, offsets: OffsetRange) -> Iterator[KafkaRecord]:
        from kafka import TopicPartition

        tp = TopicPartition(offsets.topic, offsets.partition)
        self.consumer.assign([tp])
        self.consumer.seek(tp, offsets.start)
        idle = 0
        while self.consumer.position(tp) < offsets.end:
            batch = self.consumer.poll(timeout_ms=POLL_TIMEOUT_MS).get(tp, [])
            if not batch:
                idle += 1
                if idle >= IDLE_POLLS_BEFORE_GIVING_UP:
                    raise KafkaReadError(
                        f"{offsets.topic}[{offsets.partition}] stalled at offset "
                        f"{self.consumer.position(tp)} before {offsets.end}"
                    )
                continue
            idle = 0
            for message in batch:
                if message.offset >= offsets.end:
                    break
                self.records_read.inc()
                yield KafkaRecord(
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    timestamp_ms=message.timestamp,
                    key=message.key,
                    value=message.value if message.value is not None else b"",
                    headers=tuple((k, v) for k, v in (message.headers or [])),
                )

    def teardown(self) -> None:
        consumer = getattr(self, "consumer", None)
        if consumer is not None:
            consumer.close()


class ReadKafkaRanges(beam.PTransform):
    """Read fixed offset ranges and end: the bounded source for runs, backfills and replays."""

    def __init__(self, bootstrap_servers: str, ranges: list[OffsetRange]) -> None:
        super().__init__()
        self.bootstrap_servers = bootstrap_servers
        self.ranges = ranges

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[KafkaRecord]:
        return (
            pbegin
            | "Ranges" >> beam.Create(self.ranges)
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(_ReadOffsetRangeFn(self.bootstrap_servers))
        )
