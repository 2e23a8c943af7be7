"""Pure logic of reading positions, offset commits, settings files and logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.settings import Settings, describe, load_config_file
from transforms.connections import EsConnection, KafkaConnection, Secret
from transforms.kafka_commit import Settled, advance
from transforms.kafka_positions import (
    COMMITTED,
    EARLIEST,
    LATEST,
    Bound,
    OffsetRange,
    parse_bound,
    parse_start,
    plan_backfill,
    resolve_start,
)

TP = ("news", 0)


def test_bounds_are_offsets_per_partition_offsets_or_times() -> None:
    assert parse_bound("1200") == Bound(offset=1200)
    assert parse_bound("0:10, 1:20") == Bound(per_partition=((0, 10), (1, 20)))
    assert parse_bound("2026-11-25T08:00:00Z").time_ms == 1795593600000
    assert parse_bound("2026-11-25T08:00:00") == parse_bound("2026-11-25T08:00:00+00:00")
    with pytest.raises(ValueError, match="neither an offset"):
        parse_bound("yesterday")
    assert parse_start("latest") == LATEST
    with pytest.raises(ValueError, match="committed, earliest, latest or a time"):
        parse_start("17")


def test_start_positions_resolve_within_what_the_partition_holds() -> None:
    assert resolve_start(COMMITTED, TP, None, 5, 50, {}) == 5  # never committed: earliest
    assert resolve_start(COMMITTED, TP, 2, 5, 50, {}) == 5  # committed, then deleted by retention
    assert resolve_start(COMMITTED, TP, 30, 5, 50, {}) == 30
    assert resolve_start(EARLIEST, TP, 30, 5, 50, {}) == 5
    assert resolve_start(LATEST, TP, 30, 5, 50, {}) == 50
    at = parse_bound("2026-01-01T00:00:00Z")
    assert resolve_start(at, TP, None, 5, 50, {TP: 17}) == 17
    assert resolve_start(at, TP, None, 5, 50, {TP: None}) == 50  # nothing that recent


def test_backfills_span_the_bounds_in_every_partition() -> None:
    beginning = {("t", 0): 0, ("t", 1): 10}
    end = {("t", 0): 100, ("t", 1): 40}
    ranges = plan_backfill(Bound(offset=20), Bound(offset=60), beginning, end, {}, {})
    assert ranges == [OffsetRange("t", 0, 20, 60), OffsetRange("t", 1, 20, 40)]
    by_time = plan_backfill(
        Bound(time_ms=1), None, beginning, end, {("t", 0): 90, ("t", 1): None}, {}
    )
    assert by_time == [OffsetRange("t", 0, 90, 100)]
    per = plan_backfill(Bound(per_partition=((1, 35),)), None, beginning, end, {}, {})
    assert per == [OffsetRange("t", 1, 35, 40)]  # partition 0 not named: nothing to read


def settled(start: int, offset: int, origin: int = 0, letter: bool = False) -> Settled:
    from schemas.dead_letter import DeadLetter, ErrorCode
    from schemas.source import KafkaCoordinates

    source = KafkaCoordinates("t", 0, offset, span_start=start, origin=origin)
    dead = DeadLetter(ErrorCode.NOT_JSON, "x", b"x", source) if letter else None
    return Settled(source, dead)


def test_the_commit_frontier_only_moves_over_an_unbroken_chain() -> None:
    # Records at 0, 1, 3 (2 is a transaction marker: the record at 3 accounts for it).
    zero, one, three = settled(0, 0), settled(1, 1), settled(2, 3)
    assert advance(0, [three, one]) == (0, [], [one, three])  # 0 still in flight
    frontier, done, waiting = advance(0, [three, zero, one])
    assert (frontier, waiting) == (4, []) and done == [zero, one, three]
    # Work redone after a retry lies behind the frontier: passed, not re-committed.
    assert advance(4, [one]) == (4, [one], [])


def test_the_frontier_starts_where_the_reader_started() -> None:
    later = [settled(40, 40, origin=40), settled(41, 41, origin=40)]
    assert advance(40, later)[0] == 42


def test_settings_files_flags_and_environment_in_that_order(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("s3cret\n")
    config = tmp_path / "newswire.toml"
    config.write_text(
        f'topic = "from-file"\nindex = "from-file"\nbulk_actions = 100\n'
        f'es_password_file = "{password}"\nkafka_ssl_check_hostname = false\n'
    )
    env = {"NEWSWIRE_CONFIG": str(config), "NEWSWIRE_INDEX": "from-env"}
    explained = Settings.explain(env=env)
    settings = Settings.resolve(env=env)
    assert settings.topic == "from-file" and settings.index == "from-env"
    assert settings.bulk_actions == 100 and settings.kafka.ssl_check_hostname is False
    assert settings.es.password == Secret("s3cret")
    assert explained["index"][1] == "env NEWSWIRE_INDEX"
    shown = "\n".join(describe(explained))
    assert "s3cret" not in shown and "***" in shown and str(config) in shown


def test_settings_files_refuse_secrets_and_unknown_names(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("es_api_key: abc\n")
    with pytest.raises(ValueError, match="is a secret"):
        load_config_file(bad)
    bad.write_text("topik: news\n")
    with pytest.raises(ValueError, match="unknown setting 'topik'"):
        load_config_file(bad)


def test_a_child_process_gets_the_same_settings_without_secrets() -> None:
    settings = Settings(topic="x", es=EsConnection(password=Secret("pw"), verify_certs=False))
    env = settings.to_env()
    assert env["NEWSWIRE_TOPIC"] == "x" and env["NEWSWIRE_ES_VERIFY_CERTS"] == "0"
    assert "pw" not in json.dumps(env)
    assert Settings.resolve(env=env).topic == "x"


def test_kafka_sasl_needs_a_mechanism_and_credentials() -> None:
    with pytest.raises(ValueError, match="needs a SASL mechanism"):
        KafkaConnection("b:9092", "SASL_SSL")
    with pytest.raises(ValueError, match="user name and a password"):
        KafkaConnection("b:9092", "SASL_SSL", "SCRAM-SHA-512", "u")
    ok = KafkaConnection(
        "b:9092", "SASL_SSL", "SCRAM-SHA-512", "u", Secret("pw"), ssl_cafile="/ca.pem"
    )
    kwargs = ok.client_kwargs()
    assert kwargs["sasl_plain_password"] == "pw" and kwargs["ssl_cafile"] == "/ca.pem"
    assert "pw" not in repr(ok)


def test_json_logs_are_one_object_per_line_with_the_extra_fields() -> None:
    from pipeline.logs import JsonFormatter

    record = logging.LogRecord("newswire.summary", logging.INFO, "", 0, "in %d", (3,), None)
    record.articles_indexed = 3
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "in 3" and entry["articles_indexed"] == 3
    assert entry["level"] == "info" and entry["ts"].endswith("+00:00")


def test_kafka_admin_debug_logs_never_show_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import transforms.connections  # noqa: F401 - installs the mask

    caplog.set_level(logging.DEBUG)
    logging.getLogger("kafka.admin.client").debug(
        "Starting KafkaAdminClient with configuration: %s", {"sasl_plain_password": "pw1"}
    )
    assert "pw1" not in caplog.text and "***" in caplog.text


def test_a_confidence_floor_outside_zero_to_one_is_refused() -> None:
    import dataclasses

    from pipeline.models import model_paths

    with pytest.raises(ValueError, match="min_entity_score must be between 0 and 1"):
        model_paths(dataclasses.replace(Settings(), min_entity_score=1.5))
