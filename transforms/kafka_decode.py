"""When a fetched record batch cannot be decoded: one error that says where, why and what to do.

kafka-python decompresses each record batch as it is polled. A batch it cannot read (its
codec's library is missing, it fails its CRC, the compressed bytes are broken) raises from
`poll()`, and polling again raises again: the reader is stuck at that offset. Raising
UndecodableBatch stops the run with the topic, partition, offset and cause in one message
instead of a retry loop (docs/operations.md, "A batch the source cannot decode"); the reader
also leaves the message in the run's ReadChannel, since a streaming runner only reports to
the driver that the pipeline failed.
"""

from __future__ import annotations

import time

from transforms.connections import KafkaConnection

# Kafka codec ids (the low three bits of a record batch's attributes) and the Python
# libraries kafka-python uses for them (declared in pyproject.toml).
CODEC_LIBRARIES = {
    "gzip": "the standard library",
    "snappy": "python-snappy (cramjam)",
    "lz4": "lz4",
    "zstd": "zstandard",
}


class UndecodableBatch(RuntimeError):
    """A record batch the reader cannot decode; the message says where, why and what to do."""


def undecodable(topic: str, partition: int, offset: int, cause: BaseException) -> UndecodableBatch:
    # kafka-python's errors already start with their class name; the libraries' do not.
    name = type(cause).__name__
    reason = str(cause) if str(cause).startswith(name) else f"{name}: {cause}"
    return UndecodableBatch(
        f"cannot decode the record batch of {topic} partition {partition} at offset "
        f"{offset} ({reason}). {remedy(topic, partition, offset, reason)}"
    )


def remedy(topic: str, partition: int, offset: int, cause: str) -> str:
    """What to do about it: install the codec, or step over a batch nobody can read."""
    missing = next(
        (codec for codec in CODEC_LIBRARIES if f"for {codec} compression" in cause), None
    )
    if missing:
        return (
            f"Install the {missing} codec ({CODEC_LIBRARIES[missing]}; `make venv` installs "
            "every codec) and run again: nothing was skipped."
        )
    return (
        "If the batch cannot be read at all, step the consumer group over it: "
        f"`newswire offsets skip --partition {partition} --offset {offset}` (with --topic "
        f"{topic} if that is not the configured topic); its records stay in Kafka."
    )


def batch_bounds(
    kafka: KafkaConnection, topic: str, partition: int, offset: int
) -> tuple[int, int]:
    """First offset and the offset after the record batch that holds `offset`.

    Read from the batch header, which is never compressed, so this works for the batches the
    consumer cannot decode. kafka-python's consumer hides batches, so this sends one Fetch
    request itself (v4: the oldest version Kafka 4 brokers answer).
    """
    from kafka import KafkaClient
    from kafka.protocol.fetch import FetchRequest
    from kafka.record.memory_records import MemoryRecords
    from kafka.structs import TopicPartition

    from transforms.kafka_clients import MAX_RECORD_BYTES, client_config

    client = KafkaClient(**client_config(kafka))
    try:
        client.poll(future=client.add_topic(topic))
        leader = client.cluster.leader_for_partition(TopicPartition(topic, partition))
        if leader is None or leader < 0:
            raise RuntimeError(f"{topic}[{partition}] has no leader (does the partition exist?)")
        deadline = time.monotonic() + 30
        while not client.ready(leader):
            if time.monotonic() > deadline:
                raise RuntimeError(f"cannot connect to the leader of {topic}[{partition}]")
            client.poll(timeout_ms=200)
        request = FetchRequest[4](
            -1, 500, 1, 2 * MAX_RECORD_BYTES, 0, [(topic, [(partition, offset, MAX_RECORD_BYTES)])]
        )
        future = client.send(leader, request)
        client.poll(future=future)
        if future.failed():
            raise RuntimeError(f"fetch failed: {future.exception}")
        for _name, partitions in future.value.topics:
            for _p, error_code, _hw, _lso, _aborted, records in partitions:
                if error_code:
                    raise RuntimeError(f"{topic}[{partition}] fetch error code {error_code}")
                batches = MemoryRecords(records)
                while (batch := batches.next_batch()) is not None:
                    if batch.base_offset <= offset < batch.next_offset:
                        return int(batch.base_offset), int(batch.next_offset)
        raise RuntimeError(f"no record batch holds offset {offset} of {topic}[{partition}]")
    finally:
        client.close()
