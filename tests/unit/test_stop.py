"""Stopping a streaming run: SIGTERM is a request from the first moments of the process."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from enrich.enricher import ModelPaths
from pipeline.settings import Settings
from pipeline.stop import StopRequest
from pipeline.streaming import run_streaming, settled_everything_read


def test_sigterm_inside_sets_the_request_and_the_old_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stop = StopRequest()
    with stop.on_signals():
        os.kill(os.getpid(), signal.SIGTERM)  # delivered to this (main) thread
        assert stop.wait(5)
    assert stop.reason == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_run_asked_to_stop_before_it_started_starts_nothing() -> None:
    stop = StopRequest()
    stop.set("SIGTERM")
    said: list[str] = []
    paths = ModelPaths(Path("unused"), Path("unused"), Path("unused"))
    # Nothing listens on these ports: the run must not try to reach anything.
    settings = Settings.resolve(
        env={"NEWSWIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1", "NEWSWIRE_ES_URL": "http://127.0.0.1:1"}
    )
    run = run_streaming(settings, paths, [], report=lambda line, _f: said.append(line), stop=stop)
    assert (run.state, run.stopped_by) == ("STOPPED_BEFORE_START", "SIGTERM")
    assert said == ["stopped (SIGTERM) before the pipeline started: nothing was read"]


def test_drained_once_the_committed_offsets_reach_what_was_read() -> None:
    read = {("news", 0): 40, ("news", 1): 7}
    assert not settled_everything_read(read, {("news", 0): 40, ("news", 1): 6})
    assert not settled_everything_read(read, {("news", 0): 40})
    assert settled_everything_read(read, {("news", 0): 41, ("news", 1): 7})
    assert settled_everything_read({}, {}), "nothing read: nothing to settle"
