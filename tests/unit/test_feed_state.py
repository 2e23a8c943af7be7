"""The feed poller's pure parts: intervals, state files, where a feed's state lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.feeds import FeedState, PollResult, describe, parse_duration, source_key


def test_intervals_read_as_seconds() -> None:
    assert [parse_duration(t) for t in ("90", "30s", "5m", "1.5h", "1d")] == [
        90,
        30,
        300,
        5400,
        86400,
    ]
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("5x")


def test_state_round_trips_and_is_one_file_per_feed(tmp_path: Path) -> None:
    state = FeedState("https://a.example/feed", {"guid-1": "2026-11-23T09:15:00+00:00|abc"})
    state.etag = '"v1"'
    state.save(tmp_path)
    again = FeedState.load(tmp_path, "https://a.example/feed")
    assert again == state
    assert FeedState.load(tmp_path, "https://b.example/feed").items == {}
    assert len(list((tmp_path / "feeds").iterdir())) == 1, "no temporary file left behind"


def test_a_file_feed_is_keyed_by_its_absolute_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert source_key("feed.xml") == str(tmp_path / "feed.xml")
    assert source_key("file://feed.xml") == str(tmp_path / "feed.xml")
    assert source_key("https://a.example/rss") == "https://a.example/rss"


def test_poll_results_read_as_one_line() -> None:
    assert describe("u", PollResult(sent=2, unchanged=1)) == (
        "u: sent 2 new or changed item(s), 1 already sent"
    )
    assert "dead-letter" in describe("u", PollResult(dead_lettered=1))
    assert describe("u", PollResult(not_modified=True)) == "u: not modified"
