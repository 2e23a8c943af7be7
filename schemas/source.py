"""Where a record came from: the one identity a record carries through the pipeline.

The reader stamps it on every Kafka record; the parsed article, its index request, its dead
letter and its settled outcome all carry the same object, never a copy of its fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KafkaCoordinates:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None
    key: bytes | None = None
    # Offset bookkeeping for commits (see transforms/kafka_commit.py), not part of the record:
    # the first offset this record accounts for (the offset after the previous record read from
    # its partition), and the offset the reader of its partition started from.
    span_start: int | None = None
    origin: int | None = None

    @property
    def span_end(self) -> int:
        """The first offset after this record: the committed offset once it is settled."""
        return self.offset + 1
