"""The dead-letter record: what was rejected, why, where it came from, and its original bytes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from schemas.source import KafkaCoordinates
from schemas.version import PIPELINE_VERSION


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
        return {
            "schema": "newswire.dead_letter/1",
            "error_code": str(self.code),
            "reason": self.reason,
            "doc_id": self.doc_id,
            "kafka": coordinates,
            "original_b64": base64.b64encode(self.original).decode(),
            "original_utf8": original_text is not None,
            "pipeline_version": PIPELINE_VERSION,
            "failed_at": (now or datetime.now(UTC)).isoformat(),
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False).encode("utf-8")

    def kafka_key(self) -> bytes | None:
        return self.source.key if self.source else None
