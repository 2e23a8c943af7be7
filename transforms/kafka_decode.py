"""When a fetched record batch cannot be decoded: one error that says where, why and what to do.

kafka-python decompresses each record batch as it is polled. A batch it cannot read (its
codec's library is missing, it fails its CRC, the compressed bytes are broken) raises from
`poll()`, and polling again raises again: the reader is stuck at that offset. Raising
UndecodableBatch stops the run with the topic, partition, offset and cause in one message
instead of a retry loop (docs/operations.md, "A batch the source cannot decode").
"""

from __future__ import annotations

# Kafka codec ids (the low three bits of a record batch's attributes) and the Python
# libraries kafka-python uses for them (declared in pyproject.toml).
CODEC_LIBRARIES = {
    "gzip": "the standard library",
    "snappy": "python-snappy (cramjam)",
    "lz4": "lz4",
    "zstd": "zstandard",
}
# Set when a local reader hits an undecodable batch: a streaming run ends with this message
# (the runner only reports that the pipeline failed).
LAST_FAILURE: list[UndecodableBatch] = []


class UndecodableBatch(RuntimeError):
    def __init__(self, topic: str, partition: int, offset: int, cause: BaseException) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.cause = f"{type(cause).__name__}: {cause}"
        super().__init__(
            f"cannot decode the record batch of {topic} partition {partition} at offset "
            f"{offset} ({self.cause}). {remedy(topic, partition, offset, self.cause)}"
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
        "If the batch is corrupt, move the consumer group past it with Kafka's "
        f"kafka-consumer-groups --reset-offsets --topic {topic}:{partition} --to-offset <the "
        "offset after the batch> (docs/operations.md says how to find it); the records stay "
        "in Kafka."
    )
