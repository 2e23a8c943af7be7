"""Push a JSONL feed to the article topic, one line per record, bytes as they are in the file."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from transforms.connections import KafkaConnection
from transforms.kafka_clients import send_all


def record_key(line: bytes) -> bytes | None:
    """The article id as the key (keeps updates of one article in one partition, in order)."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict):
        key = data.get("id") or data.get("url")
        if isinstance(key, str) and key:
            return key.encode("utf-8")
    return None


def feed_lines(path: Path) -> Iterable[bytes]:
    with path.open("rb") as handle:
        for line in handle:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line


def produce(kafka: KafkaConnection, topic: str, records: Iterable[bytes]) -> int:
    """Each record keyed by its article id (see record_key)."""
    return produce_keyed(kafka, topic, ((record_key(v), v) for v in records))


def produce_keyed(
    kafka: KafkaConnection, topic: str, records: Iterable[tuple[bytes | None, bytes]]
) -> int:
    """Send (key, value) pairs and wait until the broker has acknowledged every one."""
    return send_all(kafka, ((topic, key, value) for key, value in records))
