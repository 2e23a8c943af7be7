"""The driver-reader channel: stop requests and read positions through a directory."""

from __future__ import annotations

import pickle
from pathlib import Path

from transforms.read_channel import ReadChannel


def test_readers_see_a_stop_request_through_a_pickled_copy(tmp_path: Path) -> None:
    channel = ReadChannel.create(str(tmp_path))
    reader_side = pickle.loads(pickle.dumps(channel))  # as a DoFn carries it to a worker
    assert not reader_side.stop_requested()
    channel.request_stop()
    assert reader_side.stop_requested()


def test_positions_are_the_furthest_read_and_progress_sums_every_chunk(tmp_path: Path) -> None:
    channel = ReadChannel.create(str(tmp_path))
    channel.report("news", 0, 0, 120)  # a chunk [0, 500) read to 120
    channel.report("news", 0, 500, 640)  # the next chunk, read by another worker
    channel.report("news", 1, 7, 9)
    channel.report("news", 1, 7, 12)  # the same reader, further on
    assert channel.positions() == {("news", 0): 640, ("news", 1): 12}
    assert channel.records_read() == 120 + 140 + 5


def test_a_removed_channel_stops_late_readers_and_stays_removed(tmp_path: Path) -> None:
    channel = ReadChannel.create(str(tmp_path))
    channel.report("news", 0, 0, 3)
    channel.remove()
    assert channel.stop_requested(), "the run is over: a reader still running must not read"
    channel.report("news", 0, 0, 5)
    assert not Path(channel.directory).exists()
    assert channel.positions() == {} and channel.records_read() == 0
