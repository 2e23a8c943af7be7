"""Pure pieces of the adapters: offset plans, settings, documents, dead letters, the template."""

import argparse
import base64
import json
from datetime import UTC, datetime

from pipeline.produce import record_key
from pipeline.search import search_body
from pipeline.settings import Settings
from schemas.article import parse_article
from schemas.dead_letter import DeadLetter, ErrorCode
from schemas.document import build_document
from schemas.enrichment import Enrichment, Entity, EntityMention, TopicScore
from schemas.index import index_template, versioned_index
from schemas.source import KafkaCoordinates
from transforms.elasticsearch import rejection_reason
from transforms.kafka_positions import OffsetRange, plan_ranges


def test_plan_starts_at_committed_offsets_else_the_beginning_and_skips_empty_ranges() -> None:
    end = {("t", 0): 10, ("t", 1): 5, ("t", 2): 7}
    beginning = {("t", 0): 0, ("t", 1): 2, ("t", 2): 0}
    committed = {("t", 0): 4, ("t", 1): None, ("t", 2): 7}
    assert plan_ranges(committed, beginning, end) == [
        OffsetRange("t", 0, 4, 10),
        OffsetRange("t", 1, 2, 5),
    ]


def test_settings_precedence_is_flag_then_environment_then_default() -> None:
    env = {"NEWSWIRE_TOPIC": "from-env", "NEWSWIRE_INDEX": "env-index"}
    args = argparse.Namespace(topic="from-flag", index=None)
    settings = Settings.resolve(args, env)
    assert settings.topic == "from-flag"
    assert settings.index == "env-index"
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert settings.dlq_topic == "news.articles.dlq"


def test_document_has_facets_offsets_per_field_and_provenance() -> None:
    article = parse_article(
        json.dumps({"id": "x", "title": "Orban visits", "body": "Orban met Putin."}).encode()
    )
    body_at = article.body_offset
    mention = EntityMention("Putin", "PER", body_at + 10, body_at + 15, 0.9)
    enrichment = Enrichment(
        entities=(Entity("Putin", "PER", 1, body_at + 10, 0.9, (mention,)),),
        topics=(TopicScore("medtop:11000000", "politics", 0.3),),
        ner_model="ner@1",
        topic_model="topics@1",
    )
    doc = build_document(
        article, enrichment, KafkaCoordinates("t", 1, 42, 1000), datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert doc["persons"] == ["Putin"] and doc["organizations"] == []
    span = doc["entities"][0]["mentions"][0]
    assert span["field"] == "body" and article.body[span["start"] : span["end"]] == "Putin"
    assert doc["topic_labels"] == ["politics"]
    assert doc["provenance"]["kafka"] == {
        "topic": "t",
        "partition": 1,
        "offset": 42,
        "timestamp": 1000,
    }
    mapping = index_template("news")["template"]["mappings"]["properties"]
    assert set(doc) <= set(mapping), "every document field is mapped (the mapping is strict)"


def test_dead_letter_keeps_the_original_bytes_and_coordinates() -> None:
    letter = DeadLetter(
        ErrorCode.NOT_UTF8, "bad byte", b"\xff\x00", KafkaCoordinates("t", 0, 7, None, b"k")
    )
    record = json.loads(letter.to_bytes())
    assert base64.b64decode(record["original_b64"]) == b"\xff\x00"
    assert record["original_utf8"] is False
    assert record["error_code"] == "not_utf8"
    assert record["kafka"]["offset"] == 7 and base64.b64decode(record["kafka"]["key_b64"]) == b"k"


def test_index_names_and_template_patterns_agree() -> None:
    assert versioned_index("news") == "news-v1"
    assert index_template("news")["index_patterns"] == ["news-v*"]


def test_rejection_reason_is_one_readable_line() -> None:
    item = {
        "index": {
            "_id": "1",
            "status": 400,
            "error": {
                "type": "document_parsing_exception",
                "reason": "failed to parse field [published_at]",
                "caused_by": {"type": "x", "reason": "y"},
            },
        }
    }
    assert rejection_reason(item) == (
        "HTTP 400: document_parsing_exception: failed to parse field [published_at]"
        " (caused by x: y)"
    )


def test_record_key_is_the_article_id_when_there_is_one() -> None:
    assert record_key(b'{"id": "a1"}') == b"a1"
    assert record_key(b"not json") is None


def test_search_body_matches_all_for_star() -> None:
    assert search_body("*")["query"]["bool"]["must"] == [{"match_all": {}}]


def test_bulk_outcomes_separate_retries_from_rejections() -> None:
    from transforms.elasticsearch import Outcome, classify

    def item(status: int, kind: str = "x") -> dict[str, object]:
        return {"index": {"_id": "1", "status": status, "error": {"type": kind}}}

    assert classify(True, {"index": {"_id": "1", "status": 201}}) is Outcome.INDEXED
    assert classify(False, item(409, "version_conflict_engine_exception")) is Outcome.SUPERSEDED
    assert classify(False, item(429)) is Outcome.RETRY
    assert classify(False, item(503)) is Outcome.RETRY
    assert classify(False, item(400, "document_parsing_exception")) is Outcome.REJECTED


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    import random

    from transforms.elasticsearch import backoff_seconds

    rng = random.Random(1)
    for attempt in range(10):
        delays = [backoff_seconds(attempt, rng) for _ in range(50)]
        assert all(0 <= d <= min(30.0, 2**attempt) for d in delays)
        assert len(set(delays)) > 1, "jittered"
    assert max(backoff_seconds(20, rng) for _ in range(200)) > 15


def test_newest_version_wins_within_a_batch() -> None:
    from schemas.document import IndexRequest
    from transforms.elasticsearch import newest_per_document

    def req(version: int | None, tag: str) -> IndexRequest:
        return IndexRequest("a", {"tag": tag}, None, b"", version)

    chosen, older = newest_per_document([req(3, "v3"), req(1, "v1"), req(2, "v2")])
    assert [r.document["tag"] for r in chosen] == ["v3"]
    # The others still get an outcome (superseded), so their offsets can be committed.
    assert sorted(r.document["tag"] for r in older) == ["v1", "v2"]


def test_secrets_come_from_env_or_files_and_never_print(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key_file = tmp_path / "key"
    key_file.write_text("s3cr3t-key\n")
    env = {
        "NEWSWIRE_ES_API_KEY_FILE": str(key_file),
        "NEWSWIRE_ES_USERNAME": "analyst",
        "NEWSWIRE_ES_PASSWORD": "pw-123",
        "NEWSWIRE_ES_CA_FILE": "/etc/ca.pem",
        "NEWSWIRE_ES_VERIFY_CERTS": "0",
    }
    settings = Settings.resolve(None, env)
    assert "s3cr3t" not in repr(settings) and "pw-123" not in repr(settings)
    kwargs = settings.es.client_kwargs()
    assert kwargs["api_key"] == "s3cr3t-key", "an API key wins over basic auth"
    assert kwargs["ca_certs"] == "/etc/ca.pem" and kwargs["verify_certs"] is False
    basic = Settings.resolve(None, {"NEWSWIRE_ES_USERNAME": "u", "NEWSWIRE_ES_PASSWORD": "p"})
    assert basic.es.client_kwargs()["basic_auth"] == ("u", "p")
    cloud = Settings.resolve(None, {"NEWSWIRE_ES_CLOUD_ID": "deploy:abc"})
    assert cloud.es.client_kwargs() == {"cloud_id": "deploy:abc"}


def test_secrets_have_no_command_line_flags() -> None:
    parser = argparse.ArgumentParser()
    Settings.add_arguments(parser)
    flags = {a for action in parser._actions for a in action.option_strings}
    assert "--es-url" in flags and "--es-username" in flags
    assert "--es-password" not in flags and "--es-api-key" not in flags


def test_a_kafka_cluster_id_never_looks_like_an_option(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from deploy.local import stack

    # 0xf8 as the first byte gives a leading "-" in base64url: the id Kafka's tool rejected.
    draws = iter([uuid.UUID(bytes=bytes([0xF8]) + bytes(15)), uuid.UUID(int=1)])
    monkeypatch.setattr(stack.uuid, "uuid4", lambda: next(draws))
    assert base64.urlsafe_b64encode(bytes([0xF8]) + bytes(15)).decode().startswith("-")
    cluster_id = stack._kafka_cluster_id()
    assert not cluster_id.startswith("-")
    assert len(cluster_id) == 22
