"""Assemble and run the pipeline: Kafka -> parse -> enrich -> Elasticsearch (+ dead letters).

articles | ParseArticles() | EnrichArticles(models) | WriteToElasticsearch(es)
(rejections from every step) | WriteToDeadLetter(dlq)
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from enrich.enricher import ModelPaths
from pipeline.index_admin import setup_index
from pipeline.metrics_summary import dead_lettered_by_code, query_counters
from pipeline.settings import Settings
from schemas.dead_letter import DeadLetter
from transforms.connections import es_client
from transforms.dead_letter import WriteToDeadLetter
from transforms.elasticsearch import WriteToElasticsearch, Written
from transforms.enrich import EnrichArticles
from transforms.kafka_clients import bounded_ranges, commit_ranges
from transforms.kafka_commit import SettleOffsets, settled
from transforms.kafka_positions import Bound, OffsetRange
from transforms.kafka_source import KafkaRecord, ReadFromKafka, ReadKafkaRanges
from transforms.parse import DEAD_LETTER, ParseArticles
from transforms.read_channel import ReadChannel


@dataclass
class RunSummary:
    ranges: list[OffsetRange]
    records: int
    counters: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def indexed(self) -> int:
        return self.counters.get("articles_indexed", 0)

    @property
    def superseded(self) -> int:
        """Older versions of articles whose newer version is indexed."""
        return self.counters.get("articles_superseded", 0)

    @property
    def dead_lettered(self) -> int:
        return self.counters.get("dead_lettered", 0)

    def line(self) -> str:
        codes = dead_lettered_by_code(self.counters)
        return (
            f"read {self.records} records from {len(self.ranges)} partition range(s) in "
            f"{self.seconds:.1f}s: indexed {self.indexed}, superseded {self.superseded}, "
            f"dead-lettered {self.dead_lettered}" + (f" {codes}" if codes else "")
        )


def _process(
    records: beam.PCollection[KafkaRecord], settings: Settings, models: ModelPaths
) -> tuple[beam.PCollection[Written], beam.PCollection[DeadLetter]]:
    """The part every mode shares: validate, enrich, index; rejections from every step."""
    parsed = records | "Parse" >> ParseArticles()
    enriched = parsed.articles | "Enrich" >> EnrichArticles(models, settings.inference_batch_chars)
    written = enriched.documents | "Index" >> WriteToElasticsearch(
        settings.es, settings.index, settings.bulk_actions, settings.bulk_bytes
    )
    rejected = (parsed[DEAD_LETTER], enriched[DEAD_LETTER], written[DEAD_LETTER]) | (
        "AllRejections" >> beam.Flatten()
    )
    return written.written, rejected


def build(
    pipeline: beam.Pipeline,
    settings: Settings,
    ranges: list[OffsetRange],
    models: ModelPaths,
    channel: ReadChannel | None = None,
) -> None:
    """Bounded: read the ranges and end; the caller commits offsets once the run succeeded."""
    records = pipeline | "ReadKafka" >> ReadKafkaRanges(settings.kafka, ranges, channel)
    _written, rejected = _process(records, settings, models)
    rejected | "DeadLetter" >> WriteToDeadLetter(settings.kafka, settings.dlq_topic)


def build_streaming(
    pipeline: beam.Pipeline,
    settings: Settings,
    models: ModelPaths,
    start: str | Bound,
    channel: ReadChannel | None = None,
) -> None:
    """Streaming: read forever; offsets and dead letters are committed behind the index."""
    kafka = settings.kafka
    records = pipeline | "ReadKafka" >> ReadFromKafka(
        kafka, [settings.topic], settings.group_id, start, settings.discovery_interval_s, channel
    )
    written, rejected = _process(records, settings, models)
    (
        (
            written | "IndexedOutcome" >> beam.Map(lambda w: settled(w.source)),
            rejected | "RejectedOutcome" >> beam.Map(lambda d: settled(d.source, d)),
        )
        | "Outcomes" >> beam.Flatten()
        | "Settle" >> SettleOffsets(kafka, settings.group_id, settings.dlq_topic)
    )


def run_bounded(
    settings: Settings,
    models: ModelPaths,
    beam_args: list[str] | None = None,
    ranges: list[OffsetRange] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Index what the topic holds now (from the group's committed offsets), commit, and return.

    With explicit `ranges` (a backfill or replay) the group's offsets are left alone.
    """
    started = time.monotonic()
    client = es_client(settings.es)
    try:
        setup_index(client, settings.index)
        commit = ranges is None
        if ranges is None:
            ranges = bounded_ranges(settings.kafka, settings.topic, settings.group_id)
        summary = RunSummary(ranges, sum(r.size for r in ranges))
        if ranges:
            options = PipelineOptions(beam_args or ["--runner=DirectRunner"])
            with _reporting_reads(ranges, progress) as channel:
                pipeline = beam.Pipeline(options=options)
                build(pipeline, settings, ranges, models, channel)
                result = pipeline.run()
                result.wait_until_finish()
            summary.counters = query_counters(result).counters
            if commit:
                # Only now, with every record indexed or dead-lettered, may the group move on.
                commit_ranges(settings.kafka, settings.group_id, ranges)
            client.indices.refresh(index=settings.index)
    finally:
        client.close()
    summary.seconds = time.monotonic() - started
    return summary


@contextlib.contextmanager
def _reporting_reads(
    ranges: list[OffsetRange], progress: Callable[[int, int], None] | None
) -> Iterator[ReadChannel | None]:
    """A channel the readers report their positions to, polled for `progress`."""
    if progress is None:
        yield None
        return
    channel = ReadChannel.create()
    total = sum(r.size for r in ranges)
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.5):
            progress(min(total, channel.records_read()), total)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield channel
    finally:
        done.set()
        thread.join()
        channel.remove()
        progress(total, total)
