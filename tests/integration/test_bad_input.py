"""The catalogue of bad inputs, duplicates and updates through the real broker and pipeline."""

import base64
import json

from kafka import KafkaConsumer

from enrich.enricher import ModelPaths
from pipeline import dead_letters
from pipeline.produce import produce_keyed
from pipeline.run import run_bounded
from pipeline.settings import Settings
from tests.bad_inputs import CATALOGUE
from transforms.kafka_clients import ensure_topics


def good(doc_id: str, title: str = "Markets rally", **extra: object) -> bytes:
    body = (
        f"Shares in Frankfurt and Paris rose on Monday ({doc_id}) after the European Central "
        "Bank said it would keep interest rates unchanged, traders said."
    )
    return json.dumps({"id": doc_id, "title": title, "body": body, **extra}).encode()


def consume_all(settings: Settings, topic: str) -> list[tuple[bytes | None, bytes]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    try:
        return [(m.key, m.value) for m in consumer]
    finally:
        consumer.close()


def test_each_bad_input_is_dead_lettered_with_its_code_and_nothing_else_stops(
    settings: Settings,
    es,
    model_paths: ModelPaths,  # type: ignore[no-untyped-def]
) -> None:
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic], partitions=1)
    records: list[tuple[bytes | None, bytes]] = []
    for name, payload, _code in CATALOGUE:
        records.append((name.encode(), payload))
        records.append((f"good-{name}".encode(), good(f"good-{name}")))
    # The same article three times, its versions out of order: the newest must win.
    for version, hour in (("v1", 9), ("v3", 11), ("v2", 10)):
        records.append(
            (b"upd", good("upd", title=version, updated_at=f"2024-05-01T{hour:02d}:00:00Z"))
        )
    records.append((b"dup", good("dup")))
    records.append((b"dup", good("dup")))
    syndicated = "Rain is expected across Paris and Lyon on Monday, Meteo-France said."
    for copy in ("copy-a", "copy-b"):
        article = {"id": copy, "title": "Rain", "body": syndicated, "source": copy}
        records.append((copy.encode(), json.dumps(article).encode()))
    records.append((b"key\x00with\x00nul", good("nul-key", title="Nul\u0000 in title")))
    produce_keyed(settings.kafka, settings.topic, records)

    summary = run_bounded(settings, model_paths)

    assert summary.records == len(records)
    assert summary.dead_lettered == len(CATALOGUE)
    assert summary.indexed + summary.superseded + summary.dead_lettered == len(records)

    letters = {key: json.loads(value) for key, value in consume_all(settings, settings.dlq_topic)}
    assert len(letters) == len(CATALOGUE)
    for name, payload, code in CATALOGUE:
        letter = letters[name.encode()]
        assert letter["error_code"] == code, name
        assert letter["reason"], name
        assert letter["kafka"]["topic"] == settings.topic
        assert base64.b64decode(letter["original_b64"]) == payload, "original bytes kept"

    for name, _payload, _code in CATALOGUE:
        assert es.exists(index=settings.index, id=f"good-{name}"), f"good article after {name}"
    assert es.get(index=settings.index, id="upd")["_source"]["title"] == "v3"
    assert es.count(index=settings.index, query={"term": {"doc_id": "dup"}})["count"] == 1
    a = es.get(index=settings.index, id="copy-a")["_source"]["fingerprint"]
    b = es.get(index=settings.index, id="copy-b")["_source"]["fingerprint"]
    assert a == b
    assert es.get(index=settings.index, id="nul-key")["_source"]["title"] == "Nul in title"

    summary_lines = "\n".join(dead_letters.inspect(settings.kafka, settings.dlq_topic).lines())
    assert f"{len(CATALOGUE)} dead letter(s)" in summary_lines
    assert "future_date" in summary_lines


def test_replay_resends_the_chosen_dead_letters_once(
    settings: Settings, es, model_paths: ModelPaths
) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    broken = [p for n, p, c in CATALOGUE if c == "missing_body"]
    produce_keyed(
        settings.kafka,
        settings.topic,
        [(None, p) for p in broken] + [(None, good("ok"))],
    )
    run_bounded(settings, model_paths)

    target = settings.topic + ".replayed"

    def replay(dry_run: bool = False) -> dead_letters.ReplayResult:
        return dead_letters.replay(
            settings.kafka,
            settings.dlq_topic,
            settings.topic,
            codes={"missing_body"},
            to_topic=target,
            dry_run=dry_run,
        )

    assert replay(dry_run=True).replayed == len(broken)
    assert replay().replayed == len(broken)
    assert sorted(v for _k, v in consume_all(settings, target)) == sorted(broken)
    again = replay()
    assert again.replayed == 0, "a dead letter is replayed once"
