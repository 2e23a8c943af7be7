"""Inspect the dead-letter topic, and replay its records to the article topic after a fix."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from transforms.connections import KafkaConnection
from transforms.kafka_clients import consumer, send_all


@dataclass
class DeadLetterSummary:
    total: int = 0
    by_code: Counter[str] = field(default_factory=Counter)
    by_version: Counter[str] = field(default_factory=Counter)
    first_failed_at: str | None = None
    last_failed_at: str | None = None
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unreadable: int = 0

    def add(self, record: dict[str, Any], examples_per_code: int) -> None:
        self.total += 1
        code = str(record.get("error_code"))
        self.by_code[code] += 1
        self.by_version[str(record.get("pipeline_version"))] += 1
        failed_at = record.get("failed_at")
        if isinstance(failed_at, str):
            self.first_failed_at = min(filter(None, [self.first_failed_at, failed_at]))
            self.last_failed_at = max(filter(None, [self.last_failed_at, failed_at]))
        shown = self.examples.setdefault(code, [])
        if len(shown) < examples_per_code:
            shown.append(record)

    def lines(self) -> list[str]:
        out = [f"{self.total} dead letter(s)"]
        if self.first_failed_at:
            out.append(f"  from {self.first_failed_at} to {self.last_failed_at}")
        if self.unreadable:
            out.append(f"  {self.unreadable} record(s) that are not dead-letter JSON")
        for code, count in self.by_code.most_common():
            out.append(f"  {code:<20} {count}")
            for record in self.examples.get(code, []):
                where = record.get("kafka") or {}
                original = _original_preview(record)
                out.append(
                    f"    {where.get('topic')}[{where.get('partition')}]@{where.get('offset')}: "
                    f"{record.get('reason')}  | {original}"
                )
        return out


def _original_preview(record: dict[str, Any], width: int = 80) -> str:
    try:
        raw = base64.b64decode(record.get("original_b64") or "")
    except ValueError:
        return "(original not decodable)"
    text = raw[: width * 4].decode("utf-8", errors="replace").replace("\n", " ")
    return (text[:width] + "...") if len(text) > width or len(raw) > width * 4 else text


class _TopicSnapshot:
    """A topic's messages from a group's committed offsets (else the beginning) to the end
    offsets seen on opening; `commit()` marks them done for the group."""

    def __init__(self, kafka: KafkaConnection, topic: str, group_id: str | None) -> None:
        from kafka import TopicPartition

        self.group_id = group_id
        # read_committed: dead letters of a transaction the pipeline aborted (it crashed
        # before committing its offsets) are not shown; the restarted pipeline rewrites them.
        self.consumer = consumer(kafka, group_id, isolation_level="read_committed")
        partitions = self.consumer.partitions_for_topic(topic) or set()
        self.partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self.end: dict[Any, int] = {}
        if self.partitions:
            self.consumer.assign(self.partitions)
            self.end = self.consumer.end_offsets(self.partitions)
            for tp in self.partitions:
                committed = self.consumer.committed(tp) if group_id else None
                if committed is None:
                    self.consumer.seek_to_beginning(tp)
                else:
                    self.consumer.seek(tp, committed)

    def __enter__(self) -> _TopicSnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.consumer.close()

    def messages(self) -> Iterator[Any]:
        remaining = {tp for tp in self.partitions if self.consumer.position(tp) < self.end[tp]}
        while remaining:
            for tp, batch in self.consumer.poll(timeout_ms=2000).items():
                for message in batch:
                    if message.offset < self.end[tp]:
                        yield message
                if self.consumer.position(tp) >= self.end[tp]:
                    remaining.discard(tp)

    def commit(self) -> None:
        from kafka.structs import OffsetAndMetadata

        if self.group_id and self.end:
            self.consumer.commit(
                {tp: OffsetAndMetadata(offset, "newswire", -1) for tp, offset in self.end.items()}
            )


def inspect(kafka: KafkaConnection, topic: str, examples_per_code: int = 3) -> DeadLetterSummary:
    summary = DeadLetterSummary()
    with _TopicSnapshot(kafka, topic, None) as snapshot:
        for message in snapshot.messages():
            try:
                summary.add(json.loads(message.value), examples_per_code)
            except (ValueError, TypeError, AttributeError):
                summary.unreadable += 1
    return summary


@dataclass
class ReplayResult:
    replayed: int = 0
    skipped: int = 0
    truncated: int = 0  # originals too large for a letter: not replayable from the DLQ
    by_code: Counter[str] = field(default_factory=Counter)


def replay(
    kafka: KafkaConnection,
    dlq_topic: str,
    default_topic: str,
    codes: set[str] | None = None,
    to_topic: str | None = None,
    dry_run: bool = False,
) -> ReplayResult:
    """Send dead letters' original bytes (and keys) back to their topic, each one once.

    Progress is kept in a consumer group per code filter (`newswire-dlq-replay.<codes>`), so a
    second replay only sends what arrived since; a dry run commits nothing.
    """
    group = "newswire-dlq-replay." + (",".join(sorted(codes)) if codes else "all")
    result = ReplayResult()
    with _TopicSnapshot(kafka, dlq_topic, group) as snapshot:
        sends = []
        for message in snapshot.messages():
            record = json.loads(message.value)
            code = str(record.get("error_code"))
            if codes and code not in codes:
                result.skipped += 1
                continue
            if record.get("original_truncated"):
                # Only the start of a huge record is in the letter: replaying it would send
                # something else. The full record is still at its coordinates in Kafka.
                result.truncated += 1
                continue
            source = record.get("kafka") or {}
            key = base64.b64decode(source["key_b64"]) if source.get("key_b64") else None
            target = to_topic or source.get("topic") or default_topic
            sends.append((target, key, base64.b64decode(record["original_b64"])))
            result.replayed += 1
            result.by_code[code] += 1
        if dry_run:
            return result
        if sends:
            send_all(kafka, sends)
        # Only once the broker has every replayed record does the group move past them.
        snapshot.commit()
    return result
