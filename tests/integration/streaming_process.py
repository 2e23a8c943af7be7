"""`newswire run --streaming` as a user (or a service manager) runs it: a separate process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.settings import Settings
from transforms.kafka_clients import client_config, consumer_lag


def settings_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        **settings.to_env(),
        "NEWSWIRE_SUMMARY_INTERVAL_S": "5",
        "NEWSWIRE_DISCOVERY_INTERVAL_S": "5",
    }


def newswire(settings: Settings, *args: str, timeout: float = 600) -> str:
    """Run one `newswire` command to its end with these settings; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


STARTED = "SIGTERM or Ctrl-C now stops it cleanly"


class StreamingProcess:
    def __init__(self, settings: Settings, log: Path, *extra: str) -> None:
        self.log_path = log
        self.log = open(log, "ab")  # noqa: SIM115 - closed in wait()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "-v", "run", "--streaming", *extra],
            env=settings_env(settings),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.wait(30)

    def handles_signals(self, timeout: float = 30) -> bool:
        """Whether the process has installed its SIGTERM handler (it logs so, about 0.1 s
        after it starts; before that SIGTERM kills it, having read nothing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            if STARTED in self.log_path.read_text(errors="replace"):
                return True
            time.sleep(0.05)
        return STARTED in self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 180) -> int:
        """SIGTERM, as a service manager stops it, once it can take one; its exit code."""
        if self.alive():
            self.handles_signals()
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if not self.log.closed:
                self.log.close()

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def exit_report(self, code: int | None) -> str:
        """How the process ended, in words, with its log tail (or why there is none)."""
        if code is None:
            how = "still running"
        elif code < 0:
            how = f"killed by {signal.Signals(-code).name} (no handler took it)"
        else:
            how = f"exit code {code}"
        tail = self.tail() or "(the log is empty: it ended before it logged anything)"
        return f"`newswire run --streaming` ({how}); log tail:\n{tail}"

    @contextlib.contextmanager
    def stopped_cleanly(self) -> Iterator[StreamingProcess]:
        """Stops the process with SIGTERM on leaving; it must exit 0. A failure inside is
        reported with the process's end and log tail, and is not hidden by the exit check."""
        try:
            yield self
        except BaseException as exc:
            code = self.terminate()
            raise AssertionError(
                f"{type(exc).__name__}: {exc}\nthen {self.exit_report(code)}"
            ) from exc
        code = self.terminate()
        assert code == 0, self.exit_report(code)


def _lag(settings: Settings) -> list[Any]:
    return consumer_lag(settings.kafka, settings.group_id, [settings.topic])


def end_offsets(settings: Settings) -> dict[tuple[str, int], int]:
    return {(p.topic, p.partition): p.end for p in _lag(settings)}


def committed_offsets(settings: Settings) -> dict[tuple[str, int], int]:
    return {(p.topic, p.partition): p.committed or 0 for p in _lag(settings)}


def wait_until_settled(settings: Settings, process: StreamingProcess, timeout: float) -> None:
    """Until the group's committed offsets reach the end of every partition."""
    deadline = time.monotonic() + timeout
    end = end_offsets(settings)
    while time.monotonic() < deadline:
        if committed_offsets(settings) == end:
            return
        assert process.alive(), f"the pipeline died: {process.exit_report(process.process.poll())}"
        time.sleep(1)
    raise AssertionError(
        f"not settled in {timeout}s: committed {committed_offsets(settings)} of {end}\n"
        + process.tail()
    )


def dead_letters(settings: Settings) -> list[dict[str, Any]]:
    """Every dead letter a read_committed reader sees."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        enable_auto_commit=False,
        isolation_level="read_committed",
        **client_config(settings.kafka),
    )
    try:
        partitions = consumer.partitions_for_topic(settings.dlq_topic) or set()
        tps = [TopicPartition(settings.dlq_topic, p) for p in partitions]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        letters = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                letters.extend(json.loads(m.value) for m in batch)
        return letters
    finally:
        consumer.close()
