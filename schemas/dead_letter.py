"""The dead-letter record: what was rejected, why, where it came from, and its original bytes."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from schemas.source import KafkaCoordinates
from schemas.version import PIPELINE_VERSION

# A letter carries its original base64-encoded; past this size it would not fit in a Kafka
# record (16 MiB on the local broker), so a larger original is cut to this many bytes, marked
# `original_truncated` with its full size and SHA-256; the whole record is still at its
# topic/partition/offset in the source topic for as long as Kafka retains it.
MAX_ORIGINAL_BYTES = 11_000_000


class ErrorCode(StrEnum):
    """Why a record went to the dead-letter topic (documented in docs/schemas.md)."""

    PAYLOAD_TOO_LARGE = "payload_too_large"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    NESTING_TOO_DEEP = "nesting_too_deep"
    NOT_OBJECT = "not_object"
    WRONG_TYPE = "wrong_type"
    MISSING_BODY = "missing_body"
    BAD_DATE = "bad_date"
    FUTURE_DATE = "future_date"
    NINJS_INVALID = "ninjs_invalid"
    XML_MALFORMED = "xml_malformed"
    XML_FORBIDDEN = "xml_forbidden"
    NEWSML_UNSUPPORTED = "newsml_unsupported"
    NEWSML_INVALID = "newsml_invalid"
    FEED_MALFORMED = "feed_malformed"
    ENRICHMENT_FAILED = "enrichment_failed"
    INDEX_REJECTED = "index_rejected"


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
