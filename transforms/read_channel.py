"""The channel between a run's driver and its Kafka readers: a directory both can see.

The driver asks the readers to stop taking new records (`request_stop`: a streaming run that
was told to stop lets the rest of the pipeline settle what was read) and learns how far they
have read (`positions`: everything read is settled once the group's committed offsets reach
them; `records_read`: a bounded run's progress) and why one stopped the run (`failure`).
Readers are DoFns that may run in another thread, another process or on another host, so
nothing here is shared memory: the channel is a path, pickled with the DoFn, and every message
a file written atomically.

Workers that cannot see the driver's filesystem (a cluster) get no stop request and report no
positions; there the runner's own drain (Dataflow's drain, Flink's stop with --drain) ends the
endless reads through the reader's `truncate`. docs/runners.md says more.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

_STOP = "stop"
_POSITIONS = "positions"
_FAILURE = "failure"


@dataclass(frozen=True)
class ReadChannel:
    directory: str

    @classmethod
    def create(cls, parent: str | None = None) -> ReadChannel:
        """A new, empty channel (under `parent`, else the system's temporary directory)."""
        return cls(tempfile.mkdtemp(prefix="newswire-read-", dir=parent))

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- driver -> readers -----------------------------------------------------------------

    def request_stop(self) -> None:
        (Path(self.directory) / _STOP).touch()

    def stop_requested(self) -> bool:
        # A removed channel means the run is over: readers the runner has not shut down yet
        # (a cancelled job's last bundles) must not start reading again.
        return not os.path.isdir(self.directory) or os.path.exists(
            os.path.join(self.directory, _STOP)
        )

    # -- readers -> driver -----------------------------------------------------------------

    def report_failure(self, message: str) -> None:
        """Why a reader stopped the run (a runner tells the driver only that it failed)."""
        if not os.path.isdir(self.directory):
            return  # the run is over: nobody is left to read it
        name = os.path.join(self.directory, _FAILURE)
        scratch = f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(scratch, "w") as handle:
            handle.write(message)
        os.replace(scratch, name)

    def failure(self) -> str | None:
        try:
            return (Path(self.directory) / _FAILURE).read_text()
        except OSError:
            return None

    def report(self, topic: str, partition: int, first: int, position: int) -> None:
        """A reader that started at offset `first` of a partition will next read `position`.

        One file per (partition, first offset): a bounded range split into chunks reports each
        chunk on its own, and an endless read (one per partition) keeps overwriting its file.
        """
        if not os.path.isdir(self.directory):
            return  # the run is over (see stop_requested); do not bring the directory back
        folder = os.path.join(self.directory, _POSITIONS)
        os.makedirs(folder, exist_ok=True)
        # Kafka topic names are [a-zA-Z0-9._-]: '+' cannot be part of one.
        name = os.path.join(folder, f"{topic}+{partition}+{first}")
        scratch = f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(scratch, "w") as handle:
            handle.write(str(position))
        os.replace(scratch, name)  # atomic: the driver never sees half a number

    def _reports(self) -> list[tuple[tuple[str, int], int, int]]:
        folder = Path(self.directory) / _POSITIONS
        if not folder.is_dir():
            return []
        found = []
        for entry in folder.iterdir():
            if entry.name.endswith(".tmp"):
                continue
            topic, partition, first = entry.name.rsplit("+", 2)
            try:
                position = int(entry.read_text())
            except (OSError, ValueError):
                continue  # replaced between listing and reading: the next look sees it
            found.append(((topic, int(partition)), int(first), position))
        return found

    def positions(self) -> dict[tuple[str, int], int]:
        """The next offset to read per partition: the furthest any reader of it has got."""
        furthest: dict[tuple[str, int], int] = {}
        for tp, _first, position in self._reports():
            furthest[tp] = max(position, furthest.get(tp, position))
        return furthest

    def records_read(self) -> int:
        """Offsets read so far over all readers (records, and transaction markers among them)."""
        return sum(position - first for _tp, first, position in self._reports())
