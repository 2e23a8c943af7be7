"""Push a JSONL feed (one record per line) or item files (one record each) to the article topic,
bytes as they are in the file."""

from __future__ import annotations

import json
import re
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
        key = data.get("id") or data.get("uri") or data.get("url")
        if isinstance(key, str) and key:
            return key.encode("utf-8")
    return None


_GUID = re.compile(rb"""<(?:\w+:)?newsItem\b[^>]*?\bguid=["']([^"']+)["']""")


def item_record(path: Path) -> tuple[bytes | None, bytes]:
    """A whole file as one record, keyed by its item id (ninjs uri, NewsML-G2 guid) if found."""
    value = path.read_bytes()
    return item_key(value), value


def item_key(value: bytes) -> bytes | None:
    if value.lstrip().startswith(b"<"):
        match = _GUID.search(value[:65536])
        return match.group(1) if match else None
    return record_key(value)


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
