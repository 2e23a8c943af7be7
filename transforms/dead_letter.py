"""WriteToDeadLetter: rejections to the dead-letter topic, acknowledged before the bundle ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.dead_letter import DeadLetter
from transforms.connections import KafkaConnection
from transforms.kafka_clients import producer


def count_dead_letter(letter: DeadLetter) -> None:
    """The dead-letter metrics: the total and one counter per error code."""
    Metrics.counter("newswire", f"dead_lettered.{letter.code}").inc()
    Metrics.counter("newswire", "dead_lettered").inc()


class _ProduceDeadLetterFn(beam.DoFn):
    def __init__(self, kafka: KafkaConnection, topic: str) -> None:
        self.kafka = kafka
        self.topic = topic

    def setup(self) -> None:
        self.producer = producer(self.kafka, acks="all", retries=10)

    def start_bundle(self) -> None:
        self.pending: list[Any] = []

    def process(self, letter: DeadLetter) -> Iterator[str]:
        count_dead_letter(letter)
        self.pending.append(
            self.producer.send(self.topic, value=letter.to_bytes(), key=letter.kafka_key())
        )
        yield str(letter.code)

    def finish_bundle(self) -> None:
        # The bundle only succeeds once the broker has every dead letter: nothing is lost
        # between "rejected" and "recorded".
        self.producer.flush()
        for future in self.pending:
            future.get(timeout=30)
        self.pending = []

    def teardown(self) -> None:
        producer = getattr(self, "producer", None)
        if producer is not None:
            producer.close()


class WriteToDeadLetter(beam.PTransform):
    def __init__(self, kafka: KafkaConnection, topic: str) -> None:
        super().__init__()
        self.fn = _ProduceDeadLetterFn(kafka, topic)

    def expand(self, letters: beam.PCollection[DeadLetter]) -> beam.PCollection[str]:
        return letters | "Produce" >> beam.ParDo(self.fn)
