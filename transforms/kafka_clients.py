"""Every kafka-python client newswire opens, in one module that imports no Beam.

Consumers for metadata, offsets and lag, producers, the admin client and topic creation, and
the offset ranges bounded runs and backfills read (planned by the pure functions of
kafka_positions.py). The Beam reader (kafka_source.py), the commit stage (kafka_commit.py) and
the commands that never run a pipeline (`newswire produce`, `status`, `dlq`) all open their
clients here, each from one `KafkaConnection`, so SASL and TLS settings reach every client.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from transforms.connections import KafkaConnection
from transforms.kafka_positions import Bound, OffsetRange, plan_backfill, plan_ranges

MAX_RECORD_BYTES = 16 * 1024 * 1024
DEFAULT_PARTITIONS = 3


class KafkaUnreachable(RuntimeError):
    """The brokers could not be reached, or refused our credentials."""


def client_config(kafka: KafkaConnection) -> dict[str, Any]:
    """Keyword arguments every kafka-python client gets: where, how to authenticate, limits."""
    # kafka-python refuses network frames over 1 MB by default; a fetch response carrying one
    # oversized article (which must reach the dead-letter topic, not wedge the reader) is
    # larger, so allow frames well above the largest record the broker accepts.
    return {
        **kafka.client_kwargs(),
        "client_id": "newswire",
        "receive_message_max_bytes": 4 * MAX_RECORD_BYTES,
    }


def consumer(kafka: KafkaConnection, group_id: str | None = None, **options: Any) -> Any:
    """A consumer that never commits by itself (newswire commits behind the index)."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        group_id=group_id, enable_auto_commit=False, **client_config(kafka), **options
    )


def admin_consumer(kafka: KafkaConnection, group_id: str | None = None) -> Any:
    """A consumer for metadata and offsets: no subscription, never commits by itself."""
    return consumer(kafka, group_id)


def producer(kafka: KafkaConnection, **options: Any) -> Any:
    """A producer that may send the largest record the broker accepts."""
    from kafka import KafkaProducer

    return KafkaProducer(max_request_size=MAX_RECORD_BYTES, **client_config(kafka), **options)


def send_all(kafka: KafkaConnection, messages: Iterable[tuple[str, bytes | None, bytes]]) -> int:
    """Send (topic, key, value) messages as they come and wait until the broker has
    acknowledged each one."""
    client = producer(kafka, acks="all", linger_ms=20, retries=10)
    try:
        futures = [client.send(topic, value=value, key=key) for topic, key, value in messages]
        client.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        client.close()
    return len(futures)


def connect_admin(kafka: KafkaConnection) -> Any:
    """An admin client, or one clear error instead of kafka-python's version-probe ones.

    With wrong SASL credentials kafka-python reports "broker does not support
    MetadataRequest_v0" (its version probe fails after the refused login); say what it means.
    """
    from kafka import KafkaAdminClient
    from kafka.errors import IncompatibleBrokerVersion, KafkaConnectionError, NoBrokersAvailable

    try:
        return KafkaAdminClient(**client_config(kafka))
    except (IncompatibleBrokerVersion, KafkaConnectionError, NoBrokersAvailable) as exc:
        where = f"Kafka at {kafka.bootstrap_servers} ({kafka.security_protocol}"
        if kafka.security_protocol.startswith("SASL_"):
            raise KafkaUnreachable(
                f"could not connect or authenticate to {where}, {kafka.sasl_mechanism} as "
                f"{kafka.sasl_username!r}): check the address, user name and password; "
                f"the broker's reason is logged above ({type(exc).__name__})"
            ) from exc
        raise KafkaUnreachable(
            f"could not connect to {where}): is the broker running? ({type(exc).__name__})"
        ) from exc


def ensure_topics(
    kafka: KafkaConnection, topics: list[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    """The article topic and the dead-letter topic exist before anything uses them."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = connect_admin(kafka)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            # Another process may create one between the two calls.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
    finally:
        admin.close()


def partitions(client: Any, topics: Sequence[str]) -> list[Any]:
    """Every partition of the topics (kafka-python TopicPartitions), in order."""
    from kafka import TopicPartition

    return [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(client.partitions_for_topic(topic) or ())
    ]


def bounded_ranges(kafka: KafkaConnection, topic: str, group_id: str) -> list[OffsetRange]:
    """What the group has not read yet, up to the end offsets seen now."""
    client = admin_consumer(kafka, group_id)
    try:
        tps = partitions(client, [topic])
        if not tps:
            return []
        committed = {(tp.topic, tp.partition): client.committed(tp) for tp in tps}
        beginning = {(tp.topic, tp.partition): o for tp, o in client.beginning_offsets(tps).items()}
        end = {(tp.topic, tp.partition): o for tp, o in client.end_offsets(tps).items()}
        return plan_ranges(committed, beginning, end)
    finally:
        client.close()


def backfill_ranges(
    kafka: KafkaConnection, topics: Sequence[str], start: Bound, stop: Bound | None
) -> list[OffsetRange]:
    """Offset ranges between two bounds (offsets or times) in every partition of the topics."""
    client = admin_consumer(kafka)
    try:
        tps = partitions(client, topics)
        if not tps:
            return []
        beginning = {(tp.topic, tp.partition): o for tp, o in client.beginning_offsets(tps).items()}
        end = {(tp.topic, tp.partition): o for tp, o in client.end_offsets(tps).items()}
        return plan_backfill(
            start,
            stop,
            beginning,
            end,
            _offsets_for_time(client, tps, start),
            _offsets_for_time(client, tps, stop),
        )
    finally:
        client.close()


def _offsets_for_time(client: Any, tps: list[Any], bound: Bound | None) -> dict[Any, Any]:
    if bound is None or bound.time_ms is None:
        return {}
    found = client.offsets_for_times({tp: bound.time_ms for tp in tps})
    return {(tp.topic, tp.partition): (o.offset if o else None) for tp, o in found.items()}


def commit_ranges(kafka: KafkaConnection, group_id: str, ranges: list[OffsetRange]) -> None:
    """Mark the ranges as done for the group: a restart resumes after them."""
    if not ranges:
        return
    from kafka import TopicPartition
    from kafka.structs import OffsetAndMetadata

    client = admin_consumer(kafka, group_id)
    try:
        client.commit(
            {
                TopicPartition(r.topic, r.partition): OffsetAndMetadata(r.end, "newswire", -1)
                for r in ranges
            }
        )
    finally:
        client.close()


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


class LagReader:
    """Committed offsets, end offsets and lag of one consumer group, from one long-lived
    consumer (a streaming run reads them every few seconds; a client per reading would cost
    a connection and a metadata round trip each time)."""

    def __init__(self, kafka: KafkaConnection, group_id: str) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self._client: Any = None

    def partitions(self, topics: Sequence[str]) -> list[PartitionLag]:
        if self._client is None:
            self._client = admin_consumer(self.kafka, self.group_id)
        try:
            self._client.topics()  # refreshes metadata: partitions added since are seen
            tps = partitions(self._client, topics)
            end = self._client.end_offsets(tps) if tps else {}
            return [
                PartitionLag(tp.topic, tp.partition, self._client.committed(tp), end[tp])
                for tp in tps
            ]
        except Exception:
            self.close()  # a fresh client next time, not one stuck in a broken state
            raise

    def committed(self, topics: Sequence[str]) -> dict[tuple[str, int], int]:
        return {(p.topic, p.partition): p.committed or 0 for p in self.partitions(topics)}

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    def __enter__(self) -> LagReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def consumer_lag(
    kafka: KafkaConnection, group_id: str, topics: Sequence[str]
) -> list[PartitionLag]:
    """One reading of the group's lag (a LagReader for repeated readings)."""
    with LagReader(kafka, group_id) as reader:
        return reader.partitions(topics)
