"""Hundreds of mangled records through the real broker and pipeline: every one is accounted for."""

import json
import random

from kafka import KafkaConsumer

from enrich.enricher import ModelPaths
from pipeline.produce import produce_keyed
from pipeline.run import run_bounded
from pipeline.settings import Settings
from schemas.article import ErrorCode, InvalidArticle, parse_article
from transforms.kafka_clients import ensure_topics

BASE = {
    "id": "fuzz",
    "title": "Minister visits Berlin",
    "body": "The Polish foreign minister met officials in Berlin on Tuesday to discuss energy.",
    "published_at": "2024-02-01T10:00:00Z",
    "source": "fuzz",
}
SWAPS = [None, 3, 2.5, True, [], {}, ["x"], "", " ", "<p></p>", "\u0000", "2024-13-45", "x" * 300]


def mangle(rng: random.Random, n: int) -> bytes:
    article = dict(BASE, id=f"fuzz-{n}")
    action = rng.randrange(6)
    if action == 0:  # a field gets a strange value
        article[rng.choice(list(article))] = rng.choice(SWAPS)
    elif action == 1:  # a field goes missing
        article.pop(rng.choice(list(article)))
    elif action == 2:  # extra junk fields
        article[rng.choice(["x", "meta", "\u0000"])] = {"deep": [1, {"a": None}]}
    raw = json.dumps(article, ensure_ascii=rng.random() < 0.5).encode()
    if action == 3:  # truncated
        raw = raw[: rng.randrange(len(raw))]
    elif action == 4:  # random bytes flipped
        data = bytearray(raw)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        raw = bytes(data)
    return raw  # action 5: left intact


def test_mangled_records_are_indexed_or_dead_lettered_never_lost(
    settings: Settings,
    es,
    model_paths: ModelPaths,  # type: ignore[no-untyped-def]
) -> None:
    rng = random.Random(20261125)
    records = [(f"k{n}".encode(), mangle(rng, n)) for n in range(300)]
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    produce_keyed(settings.kafka, settings.topic, records)

    summary = run_bounded(settings, model_paths)

    assert summary.records == 300
    assert summary.indexed + summary.superseded + summary.dead_lettered == 300
    assert 30 < summary.dead_lettered < 270, "the mix has both kinds"
    consumer = KafkaConsumer(
        settings.dlq_topic,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    letters = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert len(letters) == summary.dead_lettered
    assert all(letter["error_code"] in set(ErrorCode) and letter["reason"] for letter in letters)
    # The parser alone says which records are articles and under which ids; the index must
    # hold exactly those (records sharing an id, e.g. the same text without an id, are one).
    expected_ids, expected_rejections = set(), 0
    for _key, value in records:
        try:
            expected_ids.add(parse_article(value).doc_id)
        except InvalidArticle:
            expected_rejections += 1
    assert summary.dead_lettered == expected_rejections
    assert es.count(index=settings.index)["count"] == len(expected_ids)
