"""`newswire run --streaming` on Prism: live indexing, crashes, outages, graceful stops."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

from deploy.local import stack
from pipeline.index_admin import setup_index
from pipeline.produce import produce
from pipeline.settings import Settings
from tests.integration.streaming_process import (
    StreamingProcess,
    committed_offsets,
    dead_letters,
    end_offsets,
    wait_until_settled,
)
from transforms.kafka_clients import ensure_topics

FEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "news-feed.jsonl"
INVALID = [b'{"id": "broken", "title": ', b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"id": "x"}']


def feed(first: int, count: int) -> list[bytes]:
    lines = FEED.read_bytes().splitlines()[first : first + count]
    assert len(lines) == count, f"needs {FEED}"
    return lines


def index_ids(es, settings: Settings) -> list[str]:  # type: ignore[no-untyped-def]
    es.indices.refresh(index=settings.index)
    hits = es.search(index=settings.index, size=1000, query={"match_all": {}}, source=False)
    return [h["_id"] for h in hits["hits"]["hits"]]


def count(es, settings: Settings) -> int:  # type: ignore[no-untyped-def]
    es.indices.refresh(index=settings.index)
    return int(es.count(index=settings.index)["count"])


def prism_processes() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.split(b"\0")[0].endswith(b"/prism"):
                found.add(int(entry.name))
    return found


def test_streaming_indexes_articles_as_they_arrive_and_stops_cleanly(
    settings: Settings, es, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    setup_index(es, settings.index)
    pipeline = StreamingProcess(settings, tmp_path / "stream.log")
    with pipeline.stopped_cleanly():
        first = feed(200, 6)
        produce(settings.kafka, settings.topic, [*first, INVALID[0]])
        deadline = time.monotonic() + 240
        while count(es, settings) < 6 and time.monotonic() < deadline:
            assert pipeline.alive(), pipeline.tail()
            time.sleep(1)
        assert count(es, settings) == 6, pipeline.tail()
        # The pipeline keeps running: later articles are picked up too.
        later = feed(206, 3)
        produce(settings.kafka, settings.topic, later)
        wait_until_settled(settings, pipeline, 120)
        assert count(es, settings) == 9
    log = pipeline.log_path.read_text()
    assert "stopping (SIGTERM)" in log and "stopped: DRAINED" in log, pipeline.tail()
    assert committed_offsets(settings) == end_offsets(settings)
    letters = dead_letters(settings)
    assert [letter["error_code"] for letter in letters] == ["not_json"]


def test_partitions_added_while_running_are_read(settings: Settings, es, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kafka import KafkaAdminClient
    from kafka.admin import NewPartitions

    from transforms.kafka_clients import client_config

    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic], partitions=1)
    setup_index(es, settings.index)
    pipeline = StreamingProcess(settings, tmp_path / "stream.log")
    with pipeline.stopped_cleanly():
        produce(settings.kafka, settings.topic, feed(300, 2))
        wait_until_settled(settings, pipeline, 240)
        admin = KafkaAdminClient(**client_config(settings.kafka))
        admin.create_partitions({settings.topic: NewPartitions(total_count=3)})
        admin.close()
        produce(settings.kafka, settings.topic, feed(302, 6))
        assert len(end_offsets(settings)) == 3
        wait_until_settled(settings, pipeline, 180)
    assert count(es, settings) == 8
    # Records landed in the new partitions, and were read from there.
    new = {p: o for (_t, p), o in committed_offsets(settings).items() if p > 0}
    assert sum(new.values()) > 0 and new == {
        p: o for (_t, p), o in end_offsets(settings).items() if p > 0
    }


def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    settings: Settings, es, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    seed = int(os.environ.get("NEWSWIRE_CRASH_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    print(f"crash test seed {seed}")
    # Enough articles that the kills land mid-stream: the models read about 8 articles/s here.
    valid = feed(400, 120)
    records = list(valid)
    for i, bad in enumerate(INVALID):
        records.insert(5 + 9 * i, bad)
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    setup_index(es, settings.index)
    produce(settings.kafka, settings.topic, records)
    prism_before = prism_processes()

    in_flight_kills = 0
    for attempt in range(4):
        pipeline = StreamingProcess(settings, tmp_path / f"run-{attempt}.log")
        if attempt == 0:
            time.sleep(rng.uniform(2, 12))  # anywhere from start-up to the first bundles
        else:
            # Kill while it works: once it indexed more (attempts 1, 2) or committed more
            # (attempt 3: a restart then resumes mid-partition), at a random moment after.
            def progress(attempt: int = attempt) -> int:
                if attempt < 3:
                    return count(es, settings)
                return sum(committed_offsets(settings).values())

            before = progress()
            deadline = time.monotonic() + 120
            while progress() <= before and time.monotonic() < deadline:
                assert pipeline.alive(), pipeline.tail()
                time.sleep(0.3)
            time.sleep(rng.uniform(0, 1.5))
        assert pipeline.alive(), pipeline.tail()
        pipeline.kill()
        indexed, committed = count(es, settings), sum(committed_offsets(settings).values())
        if indexed > 0 and committed < len(records):
            in_flight_kills += 1
        print(f"kill {attempt}: indexed {indexed}, committed {committed}")
        if committed == len(records):
            break
    assert in_flight_kills >= 2, "the kills did not land while records were being processed"

    # The kills may have left nothing to do (seed 498770006 committed all 40 records by the
    # fourth): the survivor is then stopped while it still starts, and must stop cleanly.
    survivor = StreamingProcess(settings, tmp_path / "final.log")
    with survivor.stopped_cleanly():
        wait_until_settled(settings, survivor, 400)

    ids = index_ids(es, settings)
    assert len(ids) == len(set(ids)) == len(valid)
    assert set(ids) == {json.loads(line)["id"] for line in valid}  # the feed's own ids
    letters = dead_letters(settings)
    offsets = [(letter["kafka"]["partition"], letter["kafka"]["offset"]) for letter in letters]
    assert len(offsets) == len(set(offsets)) == len(INVALID), letters
    assert sorted(base64_original(letter) for letter in letters) == sorted(INVALID)
    time.sleep(1)
    assert prism_processes() <= prism_before, "a killed pipeline left its Prism behind"


def test_sigterm_while_starting_stops_cleanly(settings: Settings, tmp_path: Path) -> None:
    """A service manager may stop the run while Beam, the models and Prism still load (the
    crash test's survivor with seed 498770006 was): exit 0, nothing started, no Prism left."""
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    prism_before = prism_processes()
    pipeline = StreamingProcess(settings, tmp_path / "stream.log")
    assert pipeline.handles_signals(), pipeline.exit_report(pipeline.process.poll())
    pipeline.process.send_signal(signal.SIGTERM)
    code = pipeline.wait(120)
    assert code == 0, pipeline.exit_report(code)
    log = pipeline.log_path.read_text()
    assert "STOPPED_BEFORE_START (SIGTERM)" in log or "before the pipeline started" in log, log
    time.sleep(1)
    assert prism_processes() <= prism_before, "a stopped start-up left its Prism behind"


def test_streaming_waits_out_an_elasticsearch_outage(
    settings: Settings, es, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    setup_index(es, settings.index)
    pipeline = StreamingProcess(settings, tmp_path / "stream.log")
    server = stack.ElasticsearchServer()
    with pipeline.stopped_cleanly():
        try:
            produce(settings.kafka, settings.topic, feed(500, 3))
            wait_until_settled(settings, pipeline, 240)
            server.stop()
            assert not server.ready()
            produce(settings.kafka, settings.topic, feed(503, 12))
            time.sleep(35)
            assert pipeline.alive(), pipeline.tail()
            # Nothing may be committed past what could not be indexed.
            assert sum(committed_offsets(settings).values()) < 15
            stack.up()
            wait_until_settled(settings, pipeline, 300)
        finally:
            stack.up()  # before the stop: it settles what it read
    assert count(es, settings) == 15
    log = pipeline.log_path.read_text()
    assert "bulk request failed" in log, "the outage was felt and retried"
    assert dead_letters(settings) == []


def base64_original(letter: dict[str, object]) -> bytes:
    import base64

    return base64.b64decode(str(letter["original_b64"]))


def test_streaming_rides_out_a_broker_outage(settings: Settings, es, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    setup_index(es, settings.index)
    pipeline = StreamingProcess(settings, tmp_path / "stream.log")
    broker = stack.KafkaBroker()
    with pipeline.stopped_cleanly():
        try:
            produce(settings.kafka, settings.topic, [*feed(520, 6), INVALID[0]])
            deadline = time.monotonic() + 240
            while count(es, settings) < 2 and time.monotonic() < deadline:
                time.sleep(0.3)
            broker.stop()  # mid-stream: records read, some indexed, offsets not all committed
            time.sleep(30)
            assert pipeline.alive(), pipeline.tail()
            stack.up()
            wait_until_settled(settings, pipeline, 300)
        finally:
            stack.up()  # before the stop: it settles what it read
    ids = index_ids(es, settings)
    assert len(ids) == len(set(ids)) == 6
    assert [d["error_code"] for d in dead_letters(settings)] == ["not_json"]
