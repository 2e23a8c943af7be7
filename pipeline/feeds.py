"""`newswire produce --feed-url`: poll an RSS/Atom feed, send its new and changed items.

What was sent is remembered per feed in a small JSON state file (under the state directory,
named by a hash of the feed URL), written only after the broker acknowledged the items, so
a restart neither repeats nor loses an item. A feed that cannot be read as RSS/Atom goes to
the dead-letter topic once per distinct content, with the feed's bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.produce import produce_keyed
from pipeline.stop import StopRequest
from schemas.article import InvalidArticle
from schemas.dead_letter import DeadLetter
from schemas.formats.feeds import MAX_FEED_BYTES, read_feed
from transforms.connections import KafkaConnection

LOG = logging.getLogger(__name__)
FETCH_TIMEOUT_S = 30
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(text: str) -> float:
    """'90', '90s', '5m', '1h', '1d' in seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (e.g. 30s, 5m, 1h)")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return float(match.group(1)) * unit


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(os.environ.get("NEWSWIRE_STATE_DIR") or Path(base) / "newswire")


@dataclass
class FeedState:
    """Per feed: each item's last sent version, HTTP validators, the last broken content."""

    source: str
    items: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    broken: str | None = None

    @staticmethod
    def path(state_dir: Path, source: str) -> Path:
        return state_dir / "feeds" / f"{hashlib.sha256(source.encode()).hexdigest()[:24]}.json"

    @classmethod
    def load(cls, state_dir: Path, source: str) -> FeedState:
        try:
            data = json.loads(cls.path(state_dir, source).read_text())
        except FileNotFoundError:
            return cls(source)
        return cls(
            source,
            dict(data.get("items") or {}),
            data.get("etag"),
            data.get("last_modified"),
            data.get("broken"),
        )

    def save(self, state_dir: Path) -> None:
        target = self.path(state_dir, self.source)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.__dict__, indent=1, sort_keys=True))
        os.replace(temporary, target)  # atomic: a crash leaves the old state or the new


@dataclass(frozen=True)
class PollResult:
    sent: int = 0
    unchanged: int = 0
    dead_lettered: int = 0
    not_modified: bool = False
    still_broken: bool = False  # the same unreadable content as last time: not sent again


def fetch(source: str, state: FeedState) -> bytes | None:
    """The feed's bytes, or None when the server says it has not changed (304)."""
    if not re.match(r"^https?://", source):
        path = Path(source.removeprefix("file://"))
        with path.open("rb") as handle:
            return handle.read(MAX_FEED_BYTES + 1)
    request = urllib.request.Request(source, headers={"User-Agent": "newswire-feed-poller/1"})
    if state.etag:
        request.add_header("If-None-Match", state.etag)
    if state.last_modified:
        request.add_header("If-Modified-Since", state.last_modified)
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
            state.etag = response.headers.get("ETag")
            state.last_modified = response.headers.get("Last-Modified")
            return bytes(response.read(MAX_FEED_BYTES + 1))
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        raise


def source_key(source: str) -> str:
    """Files by absolute path, so one feed has one state whatever the working directory."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", source) and not source.startswith("file://"):
        return source
    return str(Path(source.removeprefix("file://")).resolve())


def poll_once(
    kafka: KafkaConnection, topic: str, dlq_topic: str, source: str, state_dir: Path
) -> PollResult:
    source = source_key(source)
    state = FeedState.load(state_dir, source)
    raw = fetch(source, state)
    if raw is None:
        return PollResult(not_modified=True)
    try:
        items = read_feed(raw, source)
    except InvalidArticle as exc:
        digest = hashlib.sha256(raw).hexdigest()
        if state.broken == digest:
            return PollResult(still_broken=True)
        letter = DeadLetter(exc.code, f"{source}: {exc.reason}", raw, None)
        produce_keyed(kafka, dlq_topic, [(source.encode(), letter.to_bytes())])
        LOG.warning("feed %s dead-lettered: %s", source, exc)
        state.broken = digest
        state.save(state_dir)
        return PollResult(dead_lettered=1)
    state.broken = None
    fresh = [i for i in items if state.items.get(i.item_id) != i.version]
    records: list[tuple[bytes | None, bytes]] = [
        (i.item_id.encode(), json.dumps(i.article, ensure_ascii=False).encode()) for i in fresh
    ]
    if records:
        produce_keyed(kafka, topic, records)  # acknowledged before the state moves on
    for item in fresh:
        state.items[item.item_id] = item.version
    state.save(state_dir)
    return PollResult(sent=len(fresh), unchanged=len(items) - len(fresh))


def poll_forever(
    kafka: KafkaConnection,
    topic: str,
    dlq_topic: str,
    source: str,
    state_dir: Path,
    every_s: float,
    stop: StopRequest,
    report: Any = print,
) -> None:
    """Poll until `stop` is set; a failed poll (fetch or produce) is reported and retried.

    The state only moves on after the broker acknowledged the items, so a failed poll sends
    its items again next time rather than losing them.
    """
    while not stop.is_set():
        try:
            result = poll_once(kafka, topic, dlq_topic, source, state_dir)
            report(describe(source, result))
        except (OSError, ValueError) as exc:
            report(
                f"{source}: fetch failed ({type(exc).__name__}: {exc}); next try in {every_s:g}s"
            )
        stop.wait(every_s)


def describe(source: str, result: PollResult) -> str:
    if result.not_modified:
        return f"{source}: not modified"
    if result.dead_lettered:
        return f"{source}: not a readable feed; sent to the dead-letter topic"
    if result.still_broken:
        return f"{source}: still not a readable feed (unchanged; dead-lettered before)"
    return f"{source}: sent {result.sent} new or changed item(s), {result.unchanged} already sent"
