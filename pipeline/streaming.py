"""`newswire run --streaming`: start the endless pipeline, report on it, stop it cleanly.

On SIGTERM or Ctrl-C the readers stop taking new records, the pipeline settles what it has
read (indexed or dead-lettered, offsets committed), and only then is the job cancelled; after
`drain_timeout_s` it is cancelled anyway, which loses nothing either: uncommitted records are
read again on the next start and the index ignores the repeats.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

from enrich.enricher import ModelPaths
from pipeline.index_admin import setup_index
from pipeline.metrics_summary import MetricsSnapshot, query_counters
from pipeline.run import build_streaming
from pipeline.settings import Settings
from pipeline.stop import StopRequest
from transforms.connections import es_client
from transforms.kafka_clients import LagReader
from transforms.kafka_decode import UndecodableBatch
from transforms.kafka_positions import COMMITTED, Bound
from transforms.read_channel import ReadChannel

LOG = logging.getLogger(__name__)
TERMINAL = {PipelineState.DONE, PipelineState.FAILED, PipelineState.CANCELLED}


@dataclass
class StreamingRun:
    state: str = "RUNNING"
    stopped_by: str | None = None
    drained: bool = False
    snapshot: MetricsSnapshot = field(default_factory=MetricsSnapshot)


def settled_everything_read(
    read: dict[tuple[str, int], int], committed: dict[tuple[str, int], int]
) -> bool:
    """Whether the group's committed offsets have reached every reader's position."""
    return all(committed.get(tp, 0) >= position for tp, position in read.items())


def run_streaming(
    settings: Settings,
    models: ModelPaths,
    beam_args: list[str],
    start: str | Bound = COMMITTED,
    report: Callable[[str, dict[str, Any]], None] | None = None,
    drain_timeout_s: float = 120.0,
    stop: StopRequest | None = None,
) -> StreamingRun:
    """Run until `stop` is set (by default: SIGTERM or Ctrl-C), then settle and end."""
    if stop is None:
        stop = StopRequest()
        with stop.on_signals():
            return run_streaming(settings, models, beam_args, start, report, drain_timeout_s, stop)
    outcome = StreamingRun()
    say = report or _log_summary
    if stop.is_set():
        outcome.state, outcome.stopped_by = "STOPPED_BEFORE_START", stop.reason
        say(f"stopped ({stop.reason}) before the pipeline started: nothing was read", {})
        return outcome
    client = es_client(settings.es)
    try:
        setup_index(client, settings.index)
    finally:
        client.close()
    channel = ReadChannel.create()
    lag = LagReader(settings.kafka, settings.group_id)
    try:
        options = PipelineOptions(["--streaming", *beam_args])
        pipeline = beam.Pipeline(options=options)
        build_streaming(pipeline, settings, models, start, channel)
        result = pipeline.run()
        LOG.info("streaming pipeline started; SIGTERM or Ctrl-C stops it after settling")
        last_report = time.monotonic()
        while not stop.is_set():
            state = result.state
            if state in TERMINAL:
                outcome.state = str(state)
                break
            stop.wait(1.0)
            if settings.summary_interval_s and (
                time.monotonic() - last_report >= settings.summary_interval_s
            ):
                outcome.snapshot = outcome.snapshot.advance(query_counters(result))
                backlog = _lag(lag, settings)
                say(outcome.snapshot.line(backlog), outcome.snapshot.fields(backlog))
                last_report = time.monotonic()
        if result.state not in TERMINAL:
            outcome.stopped_by = stop.reason
            say(f"stopping ({outcome.stopped_by or 'requested'}): settling what was read", {})
            channel.request_stop()
            deadline = time.monotonic() + drain_timeout_s
            while time.monotonic() < deadline and result.state not in TERMINAL:
                with contextlib.suppress(Exception):  # the broker may be down: look again
                    if settled_everything_read(
                        channel.positions(), lag.committed([settings.topic])
                    ):
                        outcome.drained = True
                        break
                time.sleep(1.0)
            outcome.snapshot = outcome.snapshot.advance(query_counters(result))
            if result.state not in TERMINAL:
                result.cancel()
                _wait_quietly(result)
            outcome.state = "DRAINED" if outcome.drained else "CANCELLED"
        backlog = _lag(lag, settings)
        say(outcome.snapshot.line(backlog), {**outcome.snapshot.fields(backlog), "final": True})
        if outcome.state == str(PipelineState.FAILED):
            failure = channel.failure()
            if failure:
                raise UndecodableBatch(failure)
            raise RuntimeError("the streaming pipeline failed; see the log above")
        return outcome
    finally:
        lag.close()
        channel.remove()


SUMMARY = logging.getLogger("newswire.summary")


def _log_summary(line: str, fields: dict[str, Any]) -> None:
    SUMMARY.info(line, extra=fields)


def _lag(lag: LagReader, settings: Settings) -> int | None:
    """Records not yet settled, from Kafka itself: true on runners without live metrics."""
    try:
        return sum(p.lag for p in lag.partitions([settings.topic]))
    except Exception:
        return None


def _wait_quietly(result: Any) -> None:
    try:
        result.wait_until_finish(duration=30_000)
    except Exception as exc:  # cancellation surfaces as an error on some runners
        LOG.info("pipeline ended with %s", exc)
