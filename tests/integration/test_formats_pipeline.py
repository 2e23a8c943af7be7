"""ninjs 1.x and 2.x, NewsML-G2, RSS and Atom end to end: Kafka, Beam, the models, Elasticsearch.

Each sample is indexed with its title, body, dates, language, subjects and entities; the
second version of each item replaces the first, and an older version sent late is superseded.
Hostile XML is dead-lettered with its code, and nothing it points at is read.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer

from enrich.enricher import ModelPaths
from pipeline.feeds import poll_once
from pipeline.produce import item_record, produce_keyed
from pipeline.run import run_bounded
from pipeline.settings import Settings
from schemas.article import stable_doc_id
from tests.hostile_xml import BILLION_LAUGHS, external_entity
from tests.integration.feed_server import serve_feed
from tests.integration.producers import kcat_produce
from transforms.kafka_clients import ensure_topics

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
RSS = (SAMPLES / "rss.xml").read_bytes()

NINJS1 = "urn:newswire.example:ninjs1:lisbon-tram-strike"
NINJS2 = stable_doc_id("https://newswire.example/items/2026/11/reykjavik-eruption", None, None, "")
G2 = "urn:newsml:newswire.example:20261122:rotterdam-port-fire"
RSS_ID = "nwex-europe-20261123-danube"
RSS_LINK_ID = stable_doc_id(
    "https://newswire.example/europe/2026/11/23/warsaw-metro", None, None, ""
)
ATOM_ID = stable_doc_id("tag:newswire.example,2026:science/esa-lunar-camera", None, None, "")
ATOM_2 = stable_doc_id("tag:newswire.example,2026:science/mars-tomatoes", None, None, "")


def jsonl(name: str) -> list[tuple[bytes | None, bytes]]:
    return [
        (json.loads(line)["uri"].encode(), line)
        for line in (SAMPLES / name).read_bytes().splitlines()
    ]


def letters(settings: Settings) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        settings.dlq_topic,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=32 * 1024 * 1024,
        receive_message_max_bytes=128 * 1024 * 1024,
    )
    try:
        return [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()


def test_each_format_is_indexed_and_a_second_version_replaces_the_first(
    settings: Settings, es: Any, model_paths: ModelPaths, tmp_path: Path
) -> None:
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    kafka, state = settings.kafka, tmp_path / "state"
    ninjs1, ninjs2 = jsonl("ninjs-1.jsonl"), jsonl("ninjs-2.jsonl")
    g2 = [item_record(SAMPLES / "newsml-g2" / f"rotterdam-fire-v{n}.xml") for n in (1, 2)]
    with serve_feed(RSS) as feed:
        produce_keyed(kafka, settings.topic, [ninjs1[0], ninjs2[0], g2[0]])
        assert poll_once(kafka, settings.topic, settings.dlq_topic, feed.url, state).sent == 2
        atom = str(SAMPLES / "atom.xml")
        assert poll_once(kafka, settings.topic, settings.dlq_topic, atom, state).sent == 2

        first = run_bounded(settings, model_paths)
        assert (first.records, first.indexed, first.dead_lettered) == (7, 7, 0)

        def doc(doc_id: str) -> dict[str, Any]:
            return dict(es.get(index=settings.index, id=doc_id)["_source"])

        expected = {
            NINJS1: ("ninjs-1", "Lisbon tram drivers walk out", "2026-11-20T08:00:00+00:00"),
            NINJS2: ("ninjs-2", "Volcano erupts near Grindavik", "2026-11-21T06:10:00+00:00"),
            G2: ("newsml-g2", "Fire at Rotterdam port", "2026-11-22T14:05:00+00:00"),
            RSS_ID: ("rss", "Danube shipping halted", "2026-11-23T09:15:00+00:00"),
            RSS_LINK_ID: ("rss", "Warsaw opens", "2026-11-23T10:05:00+00:00"),
            ATOM_ID: ("atom", "ESA picks Toulouse team", "2026-11-24T08:00:00+00:00"),
            ATOM_2: ("atom", "Dutch researchers grow", "2026-11-24T10:30:00+00:00"),
        }
        for doc_id, (fmt, title, published) in expected.items():
            found = doc(doc_id)
            assert found["source_format"] == fmt, doc_id
            assert found["title"].startswith(title), doc_id
            assert found["body_chars"] > 150 and "<p>" not in found["body"], doc_id
            assert found["published_at"] == published, doc_id
            assert found["language"] == "en", doc_id
            assert found["entities"], f"{doc_id}: entities"
            assert found["persons"] or found["organizations"] or found["locations"], doc_id
            assert found["subjects"], f"{doc_id}: the feed's own subjects are kept"
        # One name per article that a working NER finds, whatever type it gives it.
        names = {
            NINJS1: "Joao Mendes",
            NINJS2: "Kristrun Frostadottir",
            G2: "Rotterdam",
            RSS_ID: "Vienna",
            RSS_LINK_ID: "European Investment Bank",
            ATOM_ID: "European Space Agency",
            ATOM_2: "Wageningen University",
        }
        for doc_id, name in names.items():
            found = doc(doc_id)
            assert name in found["persons"] + found["organizations"] + found["locations"], name
        assert doc(G2)["subjects"][0] == {
            "name": "fire",
            "code": "medtop:20000139",
            "scheme": "medtop",
            "rel": "cpnat:abstract",
        }
        assert doc(NINJS2)["authors"] == ["Jon Sigurdsson", "Helga Olafsdottir"]

        # Second versions: ninjs and NewsML-G2 updates, an RSS item edited in place.
        produce_keyed(kafka, settings.topic, [ninjs1[1], ninjs2[1], g2[1]])
        feed.body = RSS.replace(b"forecast rain for the weekend", b"now forecast snow")
        assert poll_once(kafka, settings.topic, settings.dlq_topic, feed.url, state).sent == 1
        second = run_bounded(settings, model_paths)
        assert (second.records, second.indexed) == (4, 4)

    assert es.count(index=settings.index)["count"] == 7, "each update replaced its item"
    assert doc(NINJS1)["title"] == "Lisbon tram strike ends after Carris agrees to talks"
    assert doc(NINJS1)["item_version"] == "2"
    assert doc(NINJS2)["title"].startswith("Iceland eruption slows")
    assert doc(NINJS2)["updated_at"] == "2026-11-21T09:40:00+00:00"
    assert doc(G2)["title"] == "Rotterdam port fire under control, nobody hurt"
    assert doc(G2)["item_version"] == "2"
    assert "now forecast snow" in doc(RSS_ID)["body"]

    # The first version of the G2 item arriving late is refused: the newer one stays.
    produce_keyed(kafka, settings.topic, [g2[0]])
    late = run_bounded(settings, model_paths)
    assert (late.records, late.superseded) == (1, 1)
    assert doc(G2)["item_version"] == "2"


def test_hostile_xml_is_dead_lettered_and_nothing_is_read_from_disk(
    settings: Settings, es: Any, model_paths: ModelPaths, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = external_entity(secret)
    head = b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:big" version="1">'
    head += b'<contentSet><inlineData contenttype="text/plain">'
    huge = head + b"news " * (10 * 1024 * 1024) + b"</inlineData></contentSet></newsItem>"
    assert len(huge) > 50 * 1024 * 1024
    good = item_record(SAMPLES / "newsml-g2" / "rotterdam-fire-v1.xml")

    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic], partitions=1)
    produce_keyed(settings.kafka, settings.topic, [(b"laughs", BILLION_LAUGHS), (b"xxe", xxe)])
    # 50 MB does not fit a Kafka record; compressed (as a producer would) it does.
    kcat_produce(settings.kafka, settings.topic, "zstd", [("huge", huge)])
    produce_keyed(settings.kafka, settings.topic, [good])

    summary = run_bounded(settings, model_paths)
    assert (summary.records, summary.indexed, summary.dead_lettered) == (4, 1, 3)
    found = {base64.b64decode(d["kafka"]["key_b64"]).decode(): d for d in letters(settings)}
    assert found["laughs"]["error_code"] == "xml_forbidden"
    assert found["xxe"]["error_code"] == "xml_forbidden"
    assert base64.b64decode(found["xxe"]["original_b64"]) == xxe, "original bytes kept"
    assert found["huge"]["error_code"] == "payload_too_large"
    assert found["huge"]["original_truncated"] is True
    assert found["huge"]["original_sha256"] == hashlib.sha256(huge).hexdigest()
    for letter in found.values():
        assert "TOP-SECRET" not in json.dumps(letter)
    assert es.count(index=settings.index)["count"] == 1
