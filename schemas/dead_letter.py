"""The dead-letter record: what was rejected, why, where it came from, and its original bytes."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.article import ErrorCode
from schemas.version import PIPELINE_VERSION

# A letter carries its original base64-encoded; past this size it would not fit in a Kafka
# record (16 MiB on the local broker), so a larger original is cut to this many bytes, marked
# `original_truncated` with its full size and SHA-256; the whole record is still at its
# topic/partition/offset in the source topic for as long as Kafka retains it.
MAX_ORIGINAL_BYTES = 11_000_000


@dataclass(frozen=True)
class KafkaCoordinates:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None
    key: bytes | None = None
    # Offset bookkeeping for commits (see transforms/kafka_commit.py), not part of the record.
    span_start: int | None = None
    origin: int | None = None


@dataclass(frozen=True)
class DeadLetter:
    code: ErrorCode
    reason: str
    original: bytes
    source: KafkaCoordinates | None
    doc_id: str | None = None

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        try:
            original_text: str | None = self.original.decode("utf-8")
        except UnicodeDecodeError:
            original_text = None
        coordinates = None
        if self.source:
            coordinates = {
                "topic": self.source.topic,
                "partition": self.source.partition,
                "offset": self.source.offset,
                "timestamp_ms": self.source.timestamp_ms,
                "key_b64": base64.b64encode(self.source.key).decode() if self.source.key else None,
            }
        kept = self.original[:MAX_ORIGINAL_BYTES]
        truncated = len(kept) < len(self.original)
        if truncated:
            original_text = None
        return {
            "schema": "newswire.dead_letter/1",
            "error_code": str(self.code),
            "reason": self.reason,
            "doc_id": self.doc_id,
            "kafka": coordinates,
            "original_b64": base64.b64encode(kept).decode(),
            "original_utf8": original_text is not None,
            "original_bytes": len(self.original),
            "original_sha256": hashlib.sha256(self.original).hexdigest(),
            "original_truncated": truncated,
            "pipeline_version": PIPELINE_VERSION,
            "failed_at": (now or datetime.now(UTC)).isoformat(),
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False).encode("utf-8")

    def kafka_key(self) -> bytes | None:
        return self.source.key if self.source else None
