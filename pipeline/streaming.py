"""`newswire run --streaming`: start the endless pipeline, report on it, stop it cleanly.

On SIGTERM or Ctrl-C the readers stop taking new records, the pipeline settles what it has
read (indexed or dead-lettered, offsets committed), and only then is the job cancelled; after
`drain_timeout_s` it is cancelled anyway, which loses nothing either: uncommitted records are
read again on the next start and the index ignores the repeats.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

from enrich.enricher import ModelPaths
from pipeline.index_admin import setup_index
from pipeline.metrics_summary import MetricsSnapshot, query_counters
from pipeline.run import build_streaming
from pipeline.settings import Settings
from pipeline.status import consumer_lag
from transforms import kafka_source
from transforms.elasticsearch import make_client
from transforms.kafka_positions import COMMITTED, Bound

LOG = logging.getLogger(__name__)
TERMINAL = {PipelineState.DONE, PipelineState.FAILED, PipelineState.CANCELLED}


@dataclass
class StreamingRun:
    state: str = "RUNNING"
    stopped_by: str | None = None
    drained: bool = False
    snapshot: MetricsSnapshot = field(default_factory=MetricsSnapshot)


def _settled_everything_read(settings: Settings) -> bool:
    read = dict(kafka_source.READ_POSITIONS)
    if not read:
        return True
    committed = {(p.topic, p.partition): p.committed or 0 for p in consumer_lag(settings)}
    return all(committed.get(tp, 0) >= position for tp, position in read.items())


def run_streaming(
    settings: Settings,
    models: ModelPaths,
    beam_args: list[str],
    start: str | Bound = COMMITTED,
    report: Callable[[str, dict[str, Any]], None] | None = None,
    drain_timeout_s: float = 120.0,
    stop: threading.Event | None = None,
) -> StreamingRun:
    client = make_client(settings.es_connection())
    try:
        setup_index(client, settings.index)
    finally:
        client.close()
    kafka_source.STOP_READING.clear()
    kafka_source.READ_POSITIONS.clear()
    stop = stop or threading.Event()
    outcome = StreamingRun()
    say = report or _log_summary

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        outcome.stopped_by = signal.Signals(signum).name
        stop.set()

    previous = {
        sig: signal.signal(sig, request_stop)
        for sig in (signal.SIGTERM, signal.SIGINT)
        if threading.current_thread() is threading.main_thread()
    }
    from transforms.kafka_decode import LAST_FAILURE

    LAST_FAILURE.clear()
    try:
        options = PipelineOptions(["--streaming", *beam_args])
        pipeline = beam.Pipeline(options=options)
        build_streaming(pipeline, settings, models, start)
        result = pipeline.run()
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
                lag = _lag(settings)
                say(outcome.snapshot.line(lag), outcome.snapshot.fields(lag))
                last_report = time.monotonic()
        if result.state not in TERMINAL:
            say(f"stopping ({outcome.stopped_by or 'requested'}): settling what was read", {})
            kafka_source.STOP_READING.set()
            deadline = time.monotonic() + drain_timeout_s
            while time.monotonic() < deadline and result.state not in TERMINAL:
                if _settled_everything_read(settings):
                    outcome.drained = True
                    break
                time.sleep(1.0)
            outcome.snapshot = outcome.snapshot.advance(query_counters(result))
            if result.state not in TERMINAL:
                result.cancel()
                _wait_quietly(result)
            outcome.state = "DRAINED" if outcome.drained else "CANCELLED"
        lag = _lag(settings)
        say(outcome.snapshot.line(lag), {**outcome.snapshot.fields(lag), "final": True})
        if outcome.state == str(PipelineState.FAILED):
            if LAST_FAILURE:
                raise LAST_FAILURE[-1]
            raise RuntimeError("the streaming pipeline failed; see the log above")
        return outcome
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


SUMMARY = logging.getLogger("newswire.summary")


def _log_summary(line: str, fields: dict[str, Any]) -> None:
    SUMMARY.info(line, extra=fields)


def _lag(settings: Settings) -> int | None:
    """Records not yet settled, from Kafka itself: true on runners without live metrics."""
    try:
        return sum(p.lag for p in consumer_lag(settings))
    except Exception:
        return None


def _wait_quietly(result: Any) -> None:
    try:
        result.wait_until_finish(duration=30_000)
    except Exception as exc:  # cancellation surfaces as an error on some runners
        LOG.info("pipeline ended with %s", exc)
