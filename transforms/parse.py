"""ParseArticles: raw Kafka records (any accepted format) -> articles, or dead letters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from schemas.article import ArticleRecord, InvalidArticle
from schemas.dead_letter import DeadLetter
from schemas.formats import parse_record
from schemas.source import KafkaCoordinates
from transforms.kafka_source import KafkaRecord

DEAD_LETTER = "dead_letter"


@dataclass(frozen=True)
class SourcedArticle:
    """An article with where it came from and its original bytes (for dead-lettering later)."""

    article: ArticleRecord
    source: KafkaCoordinates
    original: bytes


class _ParseFn(beam.DoFn):
    def __init__(self) -> None:
        self.articles_in = Metrics.counter("newswire", "articles_in")
        self.valid = Metrics.counter("newswire", "articles_valid")

    def process(self, record: KafkaRecord) -> Iterator[SourcedArticle | pvalue.TaggedOutput]:
        self.articles_in.inc()
        try:
            article = parse_record(record.value)
        except InvalidArticle as exc:
            yield pvalue.TaggedOutput(
                DEAD_LETTER, DeadLetter(exc.code, exc.reason, record.value, record.source)
            )
            return
        self.valid.inc()
        yield SourcedArticle(article, record.source, record.value)


class ParseArticles(beam.PTransform):
    """Outputs `articles` (SourcedArticle) and `dead_letter` (DeadLetter)."""

    def expand(self, records: beam.PCollection[KafkaRecord]) -> pvalue.DoOutputsTuple:
        return records | "Validate" >> beam.ParDo(_ParseFn()).with_outputs(
            DEAD_LETTER, main="articles"
        )
