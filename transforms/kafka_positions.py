"""Where reading starts and stops: pure planning over offsets the brokers reported.

A start position is `committed` (the consumer group's offsets, else the earliest), `earliest`,
`latest`, or a point in time. Backfills name a `--from`/`--to` bound as an offset for every
partition (`1200`), offsets per partition (`0:1200,1:900`) or a time (ISO 8601).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

TopicPartition = tuple[str, int]

_PER_PARTITION = re.compile(r"\s*\d+\s*:\s*\d+\s*(,\s*\d+\s*:\s*\d+\s*)*")

COMMITTED = "committed"
EARLIEST = "earliest"
LATEST = "latest"


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
class Bound:
    """One end of a backfill: offsets (all partitions, or per partition) or a time."""

    offset: int | None = None
    per_partition: tuple[tuple[int, int], ...] = ()
    time_ms: int | None = None

    def needs_times(self) -> bool:
        return self.time_ms is not None


def parse_bound(text: str) -> Bound:
    """`1200`, `0:1200,1:900` or an ISO 8601 time (naive times are UTC)."""
    text = text.strip()
    if text.isdigit():
        return Bound(offset=int(text))
    if _PER_PARTITION.fullmatch(text):
        pairs = tuple(
            (int(p.split(":")[0]), int(p.split(":")[1])) for p in text.replace(" ", "").split(",")
        )
        return Bound(per_partition=pairs)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an offset (1200), offsets per partition (0:1200,1:900) "
            "nor an ISO 8601 time (2026-11-25T08:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Bound(time_ms=int(moment.timestamp() * 1000))


def parse_start(text: str) -> str | Bound:
    """A streaming start position: committed, earliest, latest, or a time."""
    if text in (COMMITTED, EARLIEST, LATEST):
        return text
    bound = parse_bound(text)
    if bound.time_ms is None:
        raise ValueError(f"start position {text!r}: use committed, earliest, latest or a time")
    return bound


def resolve_bound(
    bound: Bound,
    tp: TopicPartition,
    beginning: int,
    end: int,
    by_time: Mapping[TopicPartition, int | None],
) -> int:
    """The offset a bound names in one partition, clamped to what the partition holds."""
    if bound.time_ms is not None:
        found = by_time.get(tp)
        offset = end if found is None else found  # nothing at or after the time: the end
    elif bound.per_partition:
        offset = dict(bound.per_partition).get(tp[1], end)
    else:
        assert bound.offset is not None
        offset = bound.offset
    return min(max(offset, beginning), end)


def resolve_start(
    position: str | Bound,
    tp: TopicPartition,
    committed: int | None,
    beginning: int,
    end: int,
    by_time: Mapping[TopicPartition, int | None],
) -> int:
    if position == COMMITTED:
        return beginning if committed is None else min(max(committed, beginning), end)
    if position == EARLIEST:
        return beginning
    if position == LATEST:
        return end
    assert isinstance(position, Bound)
    return resolve_bound(position, tp, beginning, end, by_time)


def plan_ranges(
    committed: Mapping[TopicPartition, int | None],
    beginning: Mapping[TopicPartition, int],
    end: Mapping[TopicPartition, int],
) -> list[OffsetRange]:
    """Ranges still to read: from the committed offset (else the beginning) to the end."""
    ranges = []
    for (topic, partition), stop in sorted(end.items()):
        start = resolve_start(
            COMMITTED,
            (topic, partition),
            committed.get((topic, partition)),
            beginning[(topic, partition)],
            stop,
            {},
        )
        if start < stop:
            ranges.append(OffsetRange(topic, partition, start, stop))
    return ranges


def plan_backfill(
    start: Bound,
    stop: Bound | None,
    beginning: Mapping[TopicPartition, int],
    end: Mapping[TopicPartition, int],
    start_times: Mapping[TopicPartition, int | None],
    stop_times: Mapping[TopicPartition, int | None],
) -> list[OffsetRange]:
    """Ranges between two bounds (the stop defaults to the end seen now)."""
    ranges = []
    for tp, last in sorted(end.items()):
        first = beginning[tp]
        lo = resolve_bound(start, tp, first, last, start_times)
        hi = last if stop is None else resolve_bound(stop, tp, first, last, stop_times)
        if lo < hi:
            ranges.append(OffsetRange(tp[0], tp[1], lo, hi))
    return ranges
