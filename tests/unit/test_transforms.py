"""The Beam transforms on the Direct runner, with fake models and a fake Elasticsearch."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline as BeamPipeline
from apache_beam.testing.test_stream import TestStream as Stream
from apache_beam.testing.util import assert_that, equal_to

from enrich.enricher import ModelPaths
from schemas.article import parse_article
from schemas.dead_letter import ErrorCode
from schemas.source import KafkaCoordinates
from tests.unit.fakes import FakeEnricher, flaky_es, refusing_es
from transforms.connections import EsConnection
from transforms.elasticsearch import WriteToElasticsearch
from transforms.enrich import EnrichArticles
from transforms.kafka_source import KafkaRecord
from transforms.parse import DEAD_LETTER, ParseArticles, SourcedArticle

PATHS = ModelPaths(Path("unused"), Path("unused"), Path("unused"))
BODY = "Siemens said on Monday that its orders rose in the third quarter, helped by rail."


def record(offset: int, value: bytes) -> KafkaRecord:
    return KafkaRecord(
        KafkaCoordinates("news", 0, offset, 1_700_000_000_000, None, offset, 0), value
    )


def article(doc_id: str, title: str) -> bytes:
    return json.dumps({"id": doc_id, "title": title, "body": BODY}).encode()


def sourced(offset: int, doc_id: str, title: str) -> SourcedArticle:
    raw = article(doc_id, title)
    return SourcedArticle(parse_article(raw), KafkaCoordinates("news", 0, offset), raw)


def test_parse_splits_a_stream_into_articles_and_dead_letters() -> None:
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    stream = (
        Stream()
        .add_elements([record(0, article("a1", "Orders rise")), record(1, b"{not json")])
        .advance_watermark_to(10)
        .add_elements([record(2, b'{"id": "a3", "title": "no body"}'), record(3, b"\xff")])
        .advance_watermark_to_infinity()
    )
    with BeamPipeline(options=options) as pipeline:
        parsed = pipeline | stream | ParseArticles()
        assert_that(
            parsed.articles | beam.Map(lambda s: (s.article.doc_id, s.source.offset)),
            equal_to([("a1", 0)]),
            label="articles",
        )
        assert_that(
            parsed[DEAD_LETTER] | beam.Map(lambda d: (d.source.offset, str(d.code), d.original)),
            equal_to(
                [
                    (1, "not_json", b"{not json"),
                    (2, "missing_body", b'{"id": "a3", "title": "no body"}'),
                    (3, "not_utf8", b"\xff"),
                ]
            ),
            label="dead letters",
        )


def test_an_article_the_model_fails_on_is_dead_lettered_and_the_rest_go_on() -> None:
    items = [
        sourced(0, "a0", "Orders rise"),
        sourced(1, "a1", "FAIL here"),
        sourced(2, "a2", "Rail"),
    ]
    pipeline = BeamPipeline()
    enriched = pipeline | beam.Create(items) | EnrichArticles(PATHS, load=FakeEnricher)
    assert_that(
        enriched.documents
        | beam.Map(lambda r: (r.doc_id, r.document["organizations"], r.source.offset)),
        equal_to([("a0", ["Siemens"], 0), ("a2", ["Siemens"], 2)]),
        label="documents",
    )
    assert_that(
        enriched[DEAD_LETTER]
        | beam.Map(lambda d: (d.doc_id, d.code, d.reason, d.original, d.source.offset)),
        equal_to(
            [
                (
                    "a1",
                    ErrorCode.ENRICHMENT_FAILED,
                    "RuntimeError: the model broke on this batch",
                    article("a1", "FAIL here"),
                    1,
                )
            ]
        ),
        label="dead letters",
    )
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_name("enrichment_failed"))["counters"]
    assert sum(c.committed for c in counters) == 1


def test_the_sink_retries_a_failing_server_and_reports_each_document_once() -> None:
    from schemas.document import IndexRequest

    requests = [
        IndexRequest(d, {"doc_id": d}, KafkaCoordinates("news", 0, i), d.encode())
        for i, d in enumerate(["fast", "slow", "other"])
    ]
    with BeamPipeline() as pipeline:
        written = (
            pipeline
            | beam.Create(requests)
            | WriteToElasticsearch(EsConnection(), "news", client_factory=flaky_es)
        )
        assert_that(
            written.written | beam.Map(lambda w: (w.doc_id, w.outcome.value, w.source.offset)),
            equal_to([("fast", "indexed", 0), ("slow", "indexed", 1), ("other", "indexed", 2)]),
            label="written",
        )
        assert_that(written[DEAD_LETTER], equal_to([]), label="no dead letters")


def test_the_sink_dead_letters_a_document_the_server_refuses() -> None:
    from schemas.document import IndexRequest

    refused = IndexRequest("bad", {"doc_id": "bad"}, KafkaCoordinates("news", 0, 5), b"orig")
    with BeamPipeline() as pipeline:
        written = (
            pipeline
            | beam.Create([refused])
            | WriteToElasticsearch(EsConnection(), "news", client_factory=refusing_es)
        )
        assert_that(written.written, equal_to([]), label="nothing written")
        assert_that(
            written[DEAD_LETTER] | beam.Map(lambda d: (d.doc_id, d.code, d.original)),
            equal_to([("bad", ErrorCode.INDEX_REJECTED, b"orig")]),
            label="dead letter",
        )
