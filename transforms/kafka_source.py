"""ReadFromKafka: kafka-python inside a splittable DoFn, bounded or streaming.

Each Kafka partition is one element whose restriction is an offset range: finite for backfills
and bounded runs (split into chunks so runners can spread them), open-ended for streaming (the
reader checkpoints after every poll so downstream stages see records at once, and only ever
splits at checkpoints). In streaming mode a periodic impulse lists the topics' partitions, so
partitions added later are read too.

Records carry event-time timestamps (the Kafka record timestamp) and the watermark follows
them; a partition with nothing left to read moves its watermark to the wall clock, so idle
partitions never hold the pipeline back.

Every record's `source` (its KafkaCoordinates) also carries `span_start`, the first offset it
accounts for (the offset after the previous record read from its partition), and `origin`,
where the reader started. A later stage chains these spans to know which offsets are done; see
transforms/kafka_commit.py. The clients themselves are opened in kafka_clients.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.io.iobase import RestrictionProgress
from apache_beam.io.restriction_trackers import OffsetRange as BeamOffsetRange
from apache_beam.io.restriction_trackers import OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider, WatermarkEstimatorProvider
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Duration, Timestamp

from schemas.source import KafkaCoordinates
from transforms.connections import KafkaConnection
from transforms.kafka_clients import MAX_RECORD_BYTES, admin_consumer, partitions
from transforms.kafka_clients import consumer as kafka_consumer
from transforms.kafka_decode import undecodable
from transforms.kafka_positions import COMMITTED, Bound, OffsetRange, TopicPartition, resolve_start
from transforms.read_channel import ReadChannel

LOG = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500
IDLE_RECHECK_S = 0.5
# Streaming hands records downstream after each poll, as one bundle; the documents of a bundle
# reach the index when it ends. Under a backlog 200 records make bursts (about 2 min of model
# time each on 2 cores) but the best throughput: 25 smoothed the bursts and cost about 15% of
# the throughput (docs/performance.md).
MAX_RECORDS_PER_POLL = 200
BOUNDED_CHUNK = 500  # offsets per initial split of a bounded range
UNBOUNDED = 2**63 - 1
IDLE_WATERMARK_SLACK_S = 2.0
STALLED_POLLS = 60  # a bounded range that yields nothing for this long is an error


@dataclass(frozen=True)
class KafkaRecord:
    source: KafkaCoordinates  # topic, partition, offset, timestamp, key and offset bookkeeping
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class PartitionRead:
    """The SDF element: read one partition from `start`, up to `stop` or forever."""

    topic: str
    partition: int
    start: int
    stop: int | None = None

    @property
    def tp(self) -> TopicPartition:
        return (self.topic, self.partition)


class KafkaReadError(RuntimeError):
    """A bounded range could not be read to its end."""


class PartitionRange(BeamOffsetRange):
    """An offset range that also carries the partition's end as its reader last saw it.

    The estimate travels with the restriction (into the residual of every checkpoint), so the
    backlog a runner asks for (`restriction_size`) is known wherever the residual goes.
    """

    def __init__(self, start: int, stop: int, end_seen: int | None = None) -> None:
        super().__init__(start, stop)
        self.end_seen = end_seen


# --- the splittable DoFn -----------------------------------------------------------------


class _KafkaOffsetTracker(OffsetRestrictionTracker):
    """Offset tracker that may be open-ended; an open range only splits at checkpoints."""

    def is_bounded(self) -> bool:
        return bool(self.stop_position() < UNBOUNDED)

    def try_split(self, fraction_of_remainder: float) -> Any:
        if not self.is_bounded() and fraction_of_remainder > 0:
            return None
        end_seen = getattr(self.current_restriction(), "end_seen", None)
        split = super().try_split(fraction_of_remainder)
        if split is None:
            return None
        primary, residual = split
        return primary, PartitionRange(residual.start, residual.stop, end_seen)

    def current_progress(self) -> RestrictionProgress:
        if self.is_bounded():
            return super().current_progress()
        done = (self._current_position or self.start_position()) - self.start_position()
        return RestrictionProgress(completed=float(done), remaining=1.0)


class _PartitionRestrictions(RestrictionProvider):
    def initial_restriction(self, read: PartitionRead) -> PartitionRange:
        return PartitionRange(read.start, UNBOUNDED if read.stop is None else read.stop)

    def create_tracker(self, restriction: BeamOffsetRange) -> _KafkaOffsetTracker:
        return _KafkaOffsetTracker(restriction)

    def split(self, read: PartitionRead, restriction: BeamOffsetRange) -> Iterator[BeamOffsetRange]:
        if restriction.stop >= UNBOUNDED:
            yield restriction
        else:
            yield from restriction.split(BOUNDED_CHUNK, BOUNDED_CHUNK // 4)

    def restriction_size(self, read: PartitionRead, restriction: BeamOffsetRange) -> int:
        if restriction.stop < UNBOUNDED:
            return int(restriction.size())
        # The backlog: records between where this reader is and the partition's end.
        end = getattr(restriction, "end_seen", None)
        return max(0, (restriction.start if end is None else end) - restriction.start)

    def truncate(self, read: PartitionRead, restriction: BeamOffsetRange) -> Any:
        # On drain an endless read ends where it is; a bounded one finishes.
        return None if restriction.stop >= UNBOUNDED else restriction


class _WatermarkFromRecords(WatermarkEstimatorProvider):
    def initial_estimator_state(self, read: PartitionRead, restriction: Any) -> Any:
        return None

    def create_watermark_estimator(self, state: Any) -> ManualWatermarkEstimator:
        return ManualWatermarkEstimator(state)


_RESTRICTIONS = _PartitionRestrictions()
_WATERMARKS = _WatermarkFromRecords()


def _advance(estimator: Any, candidate: Timestamp) -> None:
    current = estimator.current_watermark()
    if current is None or candidate > current:
        estimator.set_watermark(candidate)


def _note_end(tracker: Any, end: int) -> None:
    """Remember the partition's end in the restriction (its residual carries it on)."""
    restriction = tracker.current_restriction()
    if isinstance(restriction, PartitionRange):
        restriction.end_seen = end


def _poll(consumer: Any, tp: Any, channel: ReadChannel | None) -> dict[Any, Any]:
    """One poll; a batch that cannot be decoded raises UndecodableBatch (see kafka_decode).

    kafka-python reports a missing codec or a failed CRC as its own errors; the codec libraries
    raise theirs (lz4, zstd, snappy errors) while decompressing. Other Kafka errors (the
    network, the cluster) are not about the batch and pass through as before.
    """
    from kafka.errors import CorruptRecordError, KafkaError, UnsupportedCodecError

    try:
        return dict(consumer.poll(timeout_ms=POLL_TIMEOUT_MS, max_records=MAX_RECORDS_PER_POLL))
    except (UnsupportedCodecError, CorruptRecordError) as exc:
        cause: Exception = exc
    except KafkaError:
        raise
    except Exception as exc:
        cause = exc
    failure = undecodable(tp.topic, tp.partition, consumer.position(tp), cause)
    LOG.error("%s", failure)
    if channel is not None:
        channel.report_failure(str(failure))
    raise failure from cause


class _ReadPartitionFn(beam.DoFn):
    def __init__(
        self,
        kafka: KafkaConnection,
        channel: ReadChannel | None = None,
        isolation_level: str = "read_committed",
    ) -> None:
        self.kafka = kafka
        self.channel = channel
        self.isolation_level = isolation_level
        self.records_read = Metrics.counter("newswire", "kafka_records_read")

    def setup(self) -> None:
        self.consumers: dict[TopicPartition, Any] = {}

    def _consumer(self, read: PartitionRead, position: int) -> Any:
        from kafka import TopicPartition as KafkaTP

        tp = KafkaTP(read.topic, read.partition)
        consumer = self.consumers.get(read.tp)
        if consumer is None:
            # One consumer per partition keeps its fetch buffer across checkpoints.
            consumer = kafka_consumer(
                self.kafka,
                max_partition_fetch_bytes=MAX_RECORD_BYTES,
                fetch_max_bytes=2 * MAX_RECORD_BYTES,
                isolation_level=self.isolation_level,
            )
            consumer.assign([tp])
            self.consumers[read.tp] = consumer
        if consumer.position(tp) != position:
            consumer.seek(tp, position)
        return consumer

    def process(
        self,
        read: PartitionRead,
        tracker: Any = beam.DoFn.RestrictionParam(_RESTRICTIONS),
        watermark: Any = beam.DoFn.WatermarkEstimatorParam(_WATERMARKS),
    ) -> Iterator[Any]:
        from kafka import TopicPartition as KafkaTP
        from kafka.errors import KafkaError

        restriction = tracker.current_restriction()
        bounded = restriction.stop < UNBOUNDED
        if not bounded and self.channel is not None and self.channel.stop_requested():
            # The driver is stopping: take nothing new, keep checkpointing until cancelled.
            tracker.defer_remainder(Duration(seconds=1))
            return
        position = restriction.start
        # Bounded chunks report per chunk; an endless read keeps one report per partition.
        first = restriction.start if bounded else read.start
        try:
            consumer = self._consumer(read, position)
        except KafkaError as exc:
            if bounded:
                raise
            LOG.warning("%s[%d]: %s; retrying", read.topic, read.partition, exc)
            tracker.defer_remainder(Duration(seconds=5))
            return
        tp = KafkaTP(read.topic, read.partition)
        idle = 0
        while True:
            if bounded and consumer.position(tp) >= restriction.stop:
                tracker.try_claim(restriction.stop)  # ends the range (gaps at the end, too)
                return
            batch = _poll(consumer, tp, self.channel)
            messages = batch.get(tp, [])
            end = consumer.highwater(tp)
            if end is not None:
                _note_end(tracker, end)
            if not messages:
                if bounded:
                    idle += 1
                    if idle >= STALLED_POLLS:
                        raise KafkaReadError(
                            f"{read.topic}[{read.partition}] stalled at offset "
                            f"{consumer.position(tp)} before {restriction.stop}"
                        )
                    continue
                if end is None or consumer.position(tp) >= end:
                    # Caught up: nothing older can still arrive from this partition except
                    # records produced right now, so let the watermark follow the clock.
                    _advance(watermark, Timestamp.now() - IDLE_WATERMARK_SLACK_S)
                tracker.defer_remainder(Duration(seconds=IDLE_RECHECK_S))
                return
            idle = 0
            if self.channel is not None:
                # Reported before the records go downstream: a driver waiting for everything
                # read to be settled must never see fewer records read than are in flight.
                self.channel.report(
                    read.topic,
                    read.partition,
                    first,
                    min(messages[-1].offset + 1, restriction.stop),
                )
            for message in messages:
                if not tracker.try_claim(message.offset):
                    return
                self.records_read.inc()
                stamp = (
                    Timestamp(micros=message.timestamp * 1000)
                    if message.timestamp is not None and message.timestamp >= 0
                    else Timestamp.now()
                )
                yield TimestampedValue(
                    KafkaRecord(
                        KafkaCoordinates(
                            topic=message.topic,
                            partition=message.partition,
                            offset=message.offset,
                            timestamp_ms=message.timestamp,
                            key=message.key,
                            span_start=position,
                            origin=read.start,
                        ),
                        value=message.value if message.value is not None else b"",
                        headers=tuple((k, v) for k, v in (message.headers or [])),
                    ),
                    stamp,
                )
                position = message.offset + 1
                _advance(watermark, stamp)
            if not bounded:
                # Hand what was read downstream now (a bundle ends here), then carry on.
                if end is not None:
                    Metrics.gauge("newswire", "kafka_backlog_records").set(max(0, end - position))
                tracker.defer_remainder()
                return

    def teardown(self) -> None:
        for consumer in getattr(self, "consumers", {}).values():
            consumer.close()


# --- partition discovery for streaming ---------------------------------------------------


class _ListPartitionsFn(beam.DoFn):
    """On every tick: every partition of the topics, keyed for first-sighting detection."""

    def __init__(self, kafka: KafkaConnection, topics: Sequence[str]) -> None:
        self.kafka = kafka
        self.topics = list(topics)

    def setup(self) -> None:
        self.consumer: Any = None
        self.ticks = 0

    def process(self, _tick: Any) -> Iterator[tuple[str, tuple[str, int, bool]]]:
        from kafka.errors import KafkaError

        try:
            if self.consumer is None:
                self.consumer = admin_consumer(self.kafka)
            self.consumer.topics()  # always asks the cluster: sees partitions created since
            found = partitions(self.consumer, self.topics)
        except KafkaError as exc:
            # Brokers unreachable: the readers wait it out too; look again at the next tick.
            LOG.warning("listing partitions failed (%s); retrying at the next tick", exc)
            return
        initial = self.ticks == 0
        self.ticks += 1
        for tp in found:
            yield f"{tp.topic}:{tp.partition}", (tp.topic, tp.partition, initial)

    def teardown(self) -> None:
        consumer = getattr(self, "consumer", None)
        if consumer is not None:
            consumer.close()


class _StartNewPartitionsFn(beam.DoFn):
    """Emits a PartitionRead the first time a partition is seen, at its start position.

    Partitions that appear after the pipeline started are read from their beginning whatever
    the start position, so nothing produced to them is missed.
    """

    SEEN = ReadModifyWriteStateSpec("seen", beam.coders.BooleanCoder())

    def __init__(self, kafka: KafkaConnection, group_id: str, start: str | Bound) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.start = start

    def setup(self) -> None:
        self.consumer: Any = None

    def process(
        self,
        element: tuple[str, tuple[str, int, bool]],
        seen: Any = beam.DoFn.StateParam(SEEN),
    ) -> Iterator[PartitionRead]:
        from kafka import TopicPartition as KafkaTP

        if seen.read():
            return
        if self.consumer is None:
            self.consumer = admin_consumer(self.kafka, self.group_id)
        topic, partition, initial = element[1]
        tp = KafkaTP(topic, partition)
        position = self.start if initial else COMMITTED
        by_time = {}
        if isinstance(position, Bound) and position.time_ms is not None:
            found = self.consumer.offsets_for_times({tp: position.time_ms})[tp]
            by_time[(topic, partition)] = found.offset if found else None
        start = resolve_start(
            position,
            (topic, partition),
            self.consumer.committed(tp),
            self.consumer.beginning_offsets([tp])[tp],
            self.consumer.end_offsets([tp])[tp],
            by_time,
        )
        seen.write(True)  # only once the start is known: a failure above is retried
        yield PartitionRead(topic, partition, start)

    def teardown(self) -> None:
        consumer = getattr(self, "consumer", None)
        if consumer is not None:
            consumer.close()


class ReadFromKafka(beam.PTransform):
    """Streaming read of every partition of `topics`, from `start`, forever.

    With a `channel`, the readers stop taking records once the driver asks them to, and
    report how far they have read (see read_channel.py).
    """

    def __init__(
        self,
        kafka: KafkaConnection,
        topics: Sequence[str],
        group_id: str,
        start: str | Bound = COMMITTED,
        discovery_interval_s: float = 30.0,
        channel: ReadChannel | None = None,
    ) -> None:
        super().__init__()
        self.kafka = kafka
        self.channel = channel
        self.topics = list(topics)
        self.group_id = group_id
        self.start = start
        self.discovery_interval_s = discovery_interval_s

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[KafkaRecord]:
        return (
            pbegin
            | "Tick" >> PeriodicImpulse(fire_interval=self.discovery_interval_s)
            | "ListPartitions" >> beam.ParDo(_ListPartitionsFn(self.kafka, self.topics))
            | "NewPartitions"
            >> beam.ParDo(
                _StartNewPartitionsFn(self.kafka, self.group_id, self.start)
            ).with_input_types(tuple[str, tuple[str, int, bool]])
            | "Read" >> beam.ParDo(_ReadPartitionFn(self.kafka, self.channel))
        )


class ReadKafkaRanges(beam.PTransform):
    """Read fixed offset ranges and end: the bounded source for runs, backfills and replays.

    With a `channel`, the readers report how far they have read (a run's progress).
    """

    def __init__(
        self,
        kafka: KafkaConnection,
        ranges: list[OffsetRange],
        channel: ReadChannel | None = None,
    ) -> None:
        super().__init__()
        self.kafka = kafka
        self.ranges = ranges
        self.channel = channel

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[KafkaRecord]:
        return (
            pbegin
            | "Ranges"
            >> beam.Create(
                [PartitionRead(r.topic, r.partition, r.start, r.end) for r in self.ranges]
            )
            | "Read" >> beam.ParDo(_ReadPartitionFn(self.kafka, self.channel))
        )
