"""SASL/SCRAM against the real broker's SASL listener: the whole pipeline authenticates."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from deploy.local import stack
from enrich.enricher import ModelPaths
from pipeline.produce import produce
from pipeline.run import run_bounded
from pipeline.settings import Settings
from tests.integration.streaming_process import dead_letters
from transforms.kafka_clients import ensure_topics

FEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "news-feed.jsonl"


def scram_settings(base: Settings, mechanism: str, password_file: Path) -> Settings:
    resolved = Settings.resolve(
        env={
            "NEWSWIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{stack.KAFKA_SASL_PORT}",
            "NEWSWIRE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "NEWSWIRE_KAFKA_SASL_MECHANISM": mechanism,
            "NEWSWIRE_KAFKA_SASL_USERNAME": stack.SCRAM_USER,
            "NEWSWIRE_KAFKA_SASL_PASSWORD_FILE": str(password_file),
        }
    )
    return replace(base, kafka=resolved.kafka)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_the_pipeline_runs_over_sasl_scram(
    settings: Settings,
    es,
    model_paths: ModelPaths,
    mechanism: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # type: ignore[no-untyped-def]
    password_file = stack.KafkaBroker().scram_password_file
    password = password_file.read_text().strip()
    secure = scram_settings(settings, mechanism, password_file)
    assert password not in repr(secure) and password not in str(secure.kafka)

    kafka = secure.kafka
    caplog.set_level(logging.DEBUG)
    ensure_topics(kafka, [secure.topic, secure.dlq_topic])
    articles = FEED.read_bytes().splitlines()[600:603]
    produce(kafka, secure.topic, [*articles, b"not json"])
    summary = run_bounded(secure, model_paths)
    assert (summary.indexed, summary.dead_lettered) == (3, 1)
    assert [d["error_code"] for d in dead_letters(secure)] == ["not_json"]
    assert password not in caplog.text


def test_a_wrong_password_is_refused_with_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    from transforms.kafka_clients import KafkaUnreachable

    wrong = tmp_path / "password"
    wrong.write_text("not-the-password\n")
    secure = scram_settings(settings, "SCRAM-SHA-256", wrong)
    with pytest.raises(KafkaUnreachable) as failure:
        ensure_topics(secure.kafka, [secure.topic])
    assert "authenticate" in str(failure.value) and "'newswire'" in str(failure.value)
    assert "not-the-password" not in str(failure.value)
