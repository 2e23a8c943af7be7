"""The index and the sink against the real Elasticsearch server."""

import json

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipeline.index_admin import setup_index
from pipeline.settings import Settings
from schemas.dead_letter import ErrorCode
from schemas.document import IndexRequest
from transforms.elasticsearch import WriteToElasticsearch
from transforms.parse import DEAD_LETTER


def request(doc_id: str, **fields: object) -> IndexRequest:
    document = {"doc_id": doc_id, "title": f"title {doc_id}", **fields}
    return IndexRequest(doc_id, document, None, json.dumps(document).encode())


def test_template_and_alias_install_twice_without_error(settings: Settings, es) -> None:  # type: ignore[no-untyped-def]
    first = setup_index(es, settings.index)
    second = setup_index(es, settings.index)
    assert first == second == f"{settings.index}-v1"
    assert list(es.indices.get_alias(name=settings.index)) == [first]
    mapping = es.indices.get_mapping(index=first)[first]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["entities"]["type"] == "nested"


def test_a_rejected_document_is_dead_lettered_and_the_others_indexed(
    settings: Settings, es
) -> None:  # type: ignore[no-untyped-def]
    setup_index(es, settings.index)
    good = [request(f"d{i}", source="s") for i in range(5)]
    bad = request("bad", published_at="not a date")
    with beam.Pipeline() as pipeline:
        written = (
            pipeline
            | beam.Create([*good[:3], bad, *good[3:]])
            | WriteToElasticsearch(settings.es, settings.index)
        )
        assert_that(
            written.written | beam.Map(lambda w: w.doc_id),
            equal_to([r.doc_id for r in good]),
            label="indexed",
        )
        codes = written[DEAD_LETTER] | beam.Map(
            lambda d: (d.doc_id, d.code, "published_at" in d.reason)
        )
        assert_that(codes, equal_to([("bad", ErrorCode.INDEX_REJECTED, True)]), label="rejected")
    es.indices.refresh(index=settings.index)
    assert es.count(index=settings.index)["count"] == 5


def test_indexing_the_same_document_twice_keeps_one_copy(settings: Settings, es) -> None:  # type: ignore[no-untyped-def]
    setup_index(es, settings.index)
    for title in ("first", "second"):
        with beam.Pipeline() as pipeline:
            _ = (
                pipeline
                | beam.Create([request("same", source=title)])
                | WriteToElasticsearch(settings.es, settings.index)
            )
    es.indices.refresh(index=settings.index)
    hits = es.search(index=settings.index, query={"match_all": {}})["hits"]["hits"]
    assert [h["_source"]["source"] for h in hits] == ["second"]


def test_setup_adds_new_fields_to_a_live_index_and_refuses_type_changes(
    settings: Settings, es
) -> None:  # type: ignore[no-untyped-def]
    from pipeline.index_admin import MappingConflict
    from schemas.index import index_template

    old = index_template(settings.index)["template"]["mappings"]
    old_properties = {k: v for k, v in old["properties"].items() if k != "fingerprint"}
    index = f"{settings.index}-v1"
    es.indices.create(
        index=index, mappings={**old, "properties": old_properties}, aliases={settings.index: {}}
    )
    assert setup_index(es, settings.index) == index
    assert "fingerprint" in es.indices.get_mapping(index=index)[index]["mappings"]["properties"]

    es.indices.delete(index=index)
    clashing = {**old_properties, "fingerprint": {"type": "integer"}}
    es.indices.create(
        index=index, mappings={**old, "properties": clashing}, aliases={settings.index: {}}
    )
    with pytest.raises(MappingConflict, match="index migrate"):
        setup_index(es, settings.index)
