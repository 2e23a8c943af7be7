"""`newswire produce --feed-url` against a feed on 127.0.0.1 and the real broker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from kafka import KafkaConsumer

from pipeline.settings import Settings
from tests.integration.feed_server import serve_feed

ROOT = Path(__file__).resolve().parents[2]
RSS = (ROOT / "samples" / "rss.xml").read_bytes()
NEW_ITEM = b"""<item>
      <title>Ljubljana hosts EU farm ministers</title>
      <guid isPermaLink="false">nwex-europe-20261123-ljubljana</guid>
      <pubDate>Mon, 23 Nov 2026 11:00:00 GMT</pubDate>
      <description>Farm ministers of the European Union met in Ljubljana on Monday.</description>
    </item>
  </channel>"""


def records(settings: Settings, topic: str) -> list[tuple[bytes | None, dict[str, object]]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=4000,
    )
    try:
        return [(m.key, json.loads(m.value)) for m in consumer]
    finally:
        consumer.close()


def newswire(settings: Settings, state: Path, *args: str) -> list[str]:
    base = [sys.executable, "-m", "pipeline.cli", "produce", "--topic", settings.topic]
    base += ["--dlq-topic", settings.dlq_topic, "--state-dir", str(state)]
    return base + list(args)


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out")


def test_polling_sends_new_and_changed_items_once_across_restarts(
    settings: Settings, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with serve_feed(RSS) as feed:
        poller = subprocess.Popen(
            newswire(settings, state, "--feed-url", feed.url, "--every", "1s"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            wait_for(lambda: len(records(settings, settings.topic)) == 2)
            first = feed.requests
            wait_for(lambda: feed.requests >= first + 2, timeout=30)  # polls on, sends nothing
            assert len(records(settings, settings.topic)) == 2
            assert feed.not_modified >= 2, "unchanged content is not downloaded again"
            feed.body = RSS.replace(b"</channel>", NEW_ITEM.split(b"</channel>")[0] + b"</channel>")
            feed.body = feed.body.replace(b"forecast rain for the weekend", b"forecast rain")
            wait_for(lambda: len(records(settings, settings.topic)) == 4)
        finally:
            poller.send_signal(signal.SIGTERM)
            out, err = poller.communicate(timeout=30)
        assert poller.returncode == 0, err
        assert "sent 2 new or changed item(s), 0 already sent" in out
        assert "sent 2 new or changed item(s), 1 already sent" in out
        assert f"{feed.url}: not modified" in out

        # A restart (a new process, the same state directory): the server has nothing new
        # (304 for the remembered ETag), and when it serves the same items as new content
        # (another ETag) the state file still knows every one of them.
        def poll() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                newswire(settings, state, "--feed-url", feed.url),
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )

        assert poll().stdout == f"{feed.url}: not modified\n"
        feed.body = feed.body.replace(b"<channel>", b"<channel><!-- rebuilt -->")
        again = poll()
        assert again.returncode == 0, again.stderr
        assert "sent 0 new or changed item(s), 3 already sent" in again.stdout

    sent = records(settings, settings.topic)
    assert [k for k, _ in sent].count(b"nwex-europe-20261123-danube") == 2, "sent, then changed"
    assert [k for k, _ in sent].count(b"nwex-europe-20261123-ljubljana") == 1
    danube = [v for k, v in sent if k == b"nwex-europe-20261123-danube"]
    assert "forecast rain for the weekend" in str(danube[0]["body"])
    assert "forecast rain for the weekend" not in str(danube[1]["body"])
    assert {v["source_format"] for _, v in sent} == {"rss"}


def test_a_broken_feed_is_dead_lettered_once_with_its_bytes(
    settings: Settings, tmp_path: Path
) -> None:
    import base64

    broken = b"<html><body>503 Service Unavailable</body></html>"
    state = tmp_path / "state"
    with serve_feed(broken, "text/html") as feed:
        outputs = []
        for body in (broken, broken, broken + b"\n"):  # the last: same page, another ETag
            feed.body = body
            result = subprocess.run(
                newswire(settings, state, "--feed-url", feed.url),
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            outputs.append(result.stdout.split(": ", 1)[1].strip())
    assert outputs == [
        "not a readable feed; sent to the dead-letter topic",
        "not modified",
        "not a readable feed; sent to the dead-letter topic",
    ]
    letters = records(settings, settings.dlq_topic)
    assert len(letters) == 2, "each distinct broken content is dead-lettered once"
    key, letter = letters[0]
    assert letter["error_code"] == "feed_malformed"
    assert base64.b64decode(str(letter["original_b64"])) == broken
    assert key is not None and key.decode().startswith("http://127.0.0.1:")
