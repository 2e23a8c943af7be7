"""SettleOffsets: commit Kafka offsets only behind what is indexed or dead-lettered.

Every record read ends in exactly one outcome: indexed, superseded (a newer version is in the
index) or dead-lettered. Outcomes arrive in any order, so per partition this stage keeps them
until they form an unbroken chain of offset spans from where the reader started, then moves the
consumer group's committed offset to the end of the chain. A pipeline killed at any moment
restarts from there: it may redo work (the index ignores it: document ids are stable and
versions external), but it never skips a record.

Dead letters are written here, not earlier, in the same Kafka transaction as the offset commit
(the consume-transform-produce pattern): either both happen or neither does, so a reader of the
dead-letter topic with isolation.level=read_committed sees each rejected record exactly once,
crashes or not. The transactional id is per partition, so a restarted pipeline fences off a
zombie one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.coders import BooleanCoder, PickleCoder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Timestamp

from schemas.dead_letter import DeadLetter
from schemas.source import KafkaCoordinates
from transforms.connections import KafkaConnection
from transforms.dead_letter import count_dead_letter
from transforms.kafka_clients import producer as kafka_producer

LOG = logging.getLogger(__name__)
COMMIT_RETRY_S = 5.0


@dataclass(frozen=True)
class Settled:
    """One source record's final outcome. `letter` is set when it goes to the dead letters."""

    source: KafkaCoordinates
    letter: DeadLetter | None = None

    def __post_init__(self) -> None:
        if self.source.span_start is None or self.source.origin is None:
            raise ValueError(f"{self.source} was not read by a reader that tracks spans")

    @property
    def span_start(self) -> int:
        assert self.source.span_start is not None
        return self.source.span_start

    @property
    def origin(self) -> int:
        assert self.source.origin is not None
        return self.source.origin


def settled(source: KafkaCoordinates | None, letter: DeadLetter | None = None) -> Settled:
    if source is None:
        raise ValueError("a streaming outcome must come from a Kafka record")
    return Settled(source, letter)


def advance(frontier: int, outcomes: list[Settled]) -> tuple[int, list[Settled], list[Settled]]:
    """Move the frontier along the chain of spans that start at it.

    Returns the new frontier, the outcomes it passed (to commit) and those still waiting.
    Outcomes wholly behind the frontier (work redone after a retry) count as passed.
    """
    done: list[Settled] = []
    waiting: list[Settled] = []
    for outcome in sorted(outcomes, key=lambda o: (o.span_start, o.source.offset)):
        if outcome.source.span_end <= frontier:
            done.append(outcome)
        elif outcome.span_start <= frontier:
            frontier = outcome.source.span_end
            done.append(outcome)
        else:
            waiting.append(outcome)
    return frontier, done, waiting


class _SettleFn(beam.DoFn):
    PENDING = BagStateSpec("pending", PickleCoder())
    FRONTIER = ReadModifyWriteStateSpec("frontier", VarIntCoder())
    ARMED = ReadModifyWriteStateSpec("armed", BooleanCoder())
    FLUSH = TimerSpec("flush", TimeDomain.REAL_TIME)

    def __init__(
        self, kafka: KafkaConnection, group_id: str, dlq_topic: str, interval_s: float
    ) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.dlq_topic = dlq_topic
        self.interval_s = interval_s
        self.committed = Metrics.counter("newswire", "offsets_committed")
        self.commit_ms = Metrics.distribution("newswire", "commit_ms")
        self.retries = Metrics.counter("newswire", "commit_retries")

    def setup(self) -> None:
        self.producers: dict[tuple[str, int], Any] = {}

    def process(
        self,
        element: tuple[str, Settled],
        pending: Any = beam.DoFn.StateParam(PENDING),
        armed: Any = beam.DoFn.StateParam(ARMED),
        flush: Any = beam.DoFn.TimerParam(FLUSH),
    ) -> None:
        pending.add(element[1])
        if not armed.read():
            flush.set(Timestamp.now() + self.interval_s)
            armed.write(True)

    @on_timer(FLUSH)
    def on_flush(
        self,
        pending: Any = beam.DoFn.StateParam(PENDING),
        frontier_state: Any = beam.DoFn.StateParam(FRONTIER),
        armed: Any = beam.DoFn.StateParam(ARMED),
        flush: Any = beam.DoFn.TimerParam(FLUSH),
    ) -> Iterator[Settled]:
        outcomes: list[Settled] = list(pending.read())
        if not outcomes:
            armed.write(False)
            return
        start = frontier_state.read()
        if start is None:
            start = min(o.origin for o in outcomes)
        frontier, done, waiting = advance(start, outcomes)
        if frontier > start:
            # Outcomes behind the old frontier were redone after a retry: already committed.
            fresh = [o for o in done if o.source.span_end > start]
            first = outcomes[0].source
            if not self._commit(first.topic, first.partition, frontier, fresh):
                # The broker is unreachable: keep everything and try again later. Nothing was
                # committed (the transaction was aborted), so nothing is lost or doubled.
                flush.set(Timestamp.now() + COMMIT_RETRY_S)
                return
        frontier_state.write(frontier)
        pending.clear()
        for outcome in waiting:
            pending.add(outcome)
        if waiting:
            flush.set(Timestamp.now() + self.interval_s)
        else:
            armed.write(False)
        yield from done

    def _producer(self, topic: str, partition: int) -> Any:
        producer = self.producers.get((topic, partition))
        if producer is None:
            producer = kafka_producer(
                self.kafka, transactional_id=f"newswire-{self.group_id}-{topic}-{partition}"
            )
            producer.init_transactions()  # fences any earlier instance with this id
            self.producers[(topic, partition)] = producer
        return producer

    def _commit(self, topic: str, partition: int, frontier: int, done: list[Settled]) -> bool:
        """One transaction: the dead letters, then the offsets. False if it did not commit."""
        from kafka import TopicPartition
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata

        started = time.perf_counter()
        producer = None
        try:
            producer = self._producer(topic, partition)
            producer.begin_transaction()
            for outcome in done:
                if outcome.letter is not None:
                    letter = outcome.letter
                    producer.send(self.dlq_topic, value=letter.to_bytes(), key=letter.kafka_key())
            producer.send_offsets_to_transaction(
                {TopicPartition(topic, partition): OffsetAndMetadata(frontier, "newswire", -1)},
                self.group_id,
            )
            producer.commit_transaction()
        except KafkaError as exc:
            LOG.warning(
                "commit of %s[%d] up to %d failed (%s); retrying in %.0fs",
                topic,
                partition,
                frontier,
                exc,
                COMMIT_RETRY_S,
            )
            self.retries.inc()
            # The transaction's dead letters stay invisible and the offsets unmoved.
            self.producers.pop((topic, partition), None)
            if producer is not None:
                with contextlib.suppress(Exception):
                    producer.abort_transaction()
                with contextlib.suppress(Exception):
                    producer.close(timeout=5)
            return False
        for outcome in done:
            if outcome.letter is not None:
                count_dead_letter(outcome.letter)
        self.committed.inc(len(done))
        self.commit_ms.update(int((time.perf_counter() - started) * 1000))
        return True

    def teardown(self) -> None:
        for producer in getattr(self, "producers", {}).values():
            producer.close(timeout=5)


class SettleOffsets(beam.PTransform):
    """Outcomes (Settled) in; dead letters written and offsets committed once contiguous.

    Outputs the outcomes as they are committed.
    """

    def __init__(
        self, kafka: KafkaConnection, group_id: str, dlq_topic: str, interval_s: float = 1.0
    ) -> None:
        super().__init__()
        self.fn = _SettleFn(kafka, group_id, dlq_topic, interval_s)

    def expand(self, outcomes: beam.PCollection[Settled]) -> beam.PCollection[Settled]:
        return (
            outcomes
            | "ByPartition" >> beam.Map(lambda o: (f"{o.source.topic}:{o.source.partition}", o))
            | "Commit" >> beam.ParDo(self.fn).with_input_types(tuple[str, Settled])
        )
