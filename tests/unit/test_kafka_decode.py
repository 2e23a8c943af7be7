"""A batch the reader cannot decode: one error naming topic, partition, offset, cause, remedy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import CorruptRecordError, KafkaConnectionError, UnsupportedCodecError

from transforms.kafka_decode import UndecodableBatch
from transforms.kafka_source import _poll
from transforms.read_channel import ReadChannel


class FailingConsumer:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def poll(self, **_: Any) -> dict[Any, Any]:
        raise self.error

    def position(self, tp: Any) -> int:
        return 41


def test_a_missing_codec_names_the_batch_and_the_library_to_install(tmp_path: Path) -> None:
    tp = TopicPartition("news.articles", 2)
    channel = ReadChannel.create(str(tmp_path))
    missing = UnsupportedCodecError("Libraries for lz4 compression codec not found")
    with pytest.raises(UndecodableBatch) as caught:
        _poll(FailingConsumer(missing), tp, channel)
    message = str(caught.value)
    assert "news.articles partition 2 at offset 41" in message
    assert "UnsupportedCodecError" in message and "Install the lz4 codec (lz4" in message
    assert channel.failure() == message, "left for the streaming driver"


def test_a_corrupt_batch_points_at_offsets_skip() -> None:
    tp = TopicPartition("t", 0)
    with pytest.raises(UndecodableBatch) as caught:
        _poll(FailingConsumer(CorruptRecordError("failed crc check")), tp, None)
    assert "newswire offsets skip --partition 0 --offset 41" in str(caught.value)


def test_network_errors_are_not_decoding_errors() -> None:
    with pytest.raises(KafkaConnectionError):
        _poll(FailingConsumer(KafkaConnectionError("gone")), TopicPartition("t", 0), None)


def test_every_codec_library_is_importable() -> None:
    from kafka import codec

    assert codec.has_gzip() and codec.has_snappy() and codec.has_lz4() and codec.has_zstd()
    payload = b"newswire " * 1000
    assert codec.snappy_decode(codec.snappy_encode(payload)) == payload
    assert codec.lz4_decode(codec.lz4_encode(payload)) == payload
    assert codec.zstd_decode(codec.zstd_encode(payload)) == payload


def test_a_failure_after_the_run_ended_still_raises(tmp_path: Path) -> None:
    channel = ReadChannel.create(str(tmp_path))
    channel.remove()
    with pytest.raises(UndecodableBatch):
        _poll(FailingConsumer(CorruptRecordError("crc")), TopicPartition("t", 0), channel)
    assert channel.failure() is None
