"""The Elasticsearch sink's one retry layer and its deadline, against a fake server."""

from __future__ import annotations

import random

import pytest
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout

from schemas.dead_letter import DeadLetter, ErrorCode
from schemas.document import IndexRequest
from schemas.source import KafkaCoordinates
from tests.unit.fakes import FakeClock, FakeElasticsearch, api_error
from transforms.connections import EsConnection, es_client
from transforms.elasticsearch import BulkIndexer, BulkRetriesExhausted, Written, chunks


def request(doc_id: str, version: int | None = None) -> IndexRequest:
    source = KafkaCoordinates("t", 0, int(doc_id[1:]) if doc_id[1:].isdigit() else 99)
    return IndexRequest(doc_id, {"doc_id": doc_id}, source, doc_id.encode(), version)


def indexer(client: FakeElasticsearch, clock: FakeClock, max_wait_s: float = 60) -> BulkIndexer:
    return BulkIndexer(
        client,
        "news",
        max_actions=3,
        max_wait_s=max_wait_s,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(7),
    )


def outcomes(results: list[Written | DeadLetter]) -> dict[str, str]:
    return {
        r.doc_id or "": (r.outcome.value if isinstance(r, Written) else str(r.code))
        for r in results
    }


def test_every_document_gets_one_final_outcome_through_retries() -> None:
    clock = FakeClock()
    client = FakeElasticsearch(
        [
            TransportConnectionError("refused"),  # the whole first chunk
            {"d4": 409},  # the second chunk: d3 indexed, d4 already newer in the index
            {"d1": 429, "d2": 400},  # the first again: d0 indexed, d1 throttled, d2 refused
        ],
        clock,
    )
    results = list(indexer(client, clock).index_all([request(f"d{i}") for i in range(5)]))
    assert outcomes(results) == {
        "d0": "indexed",
        "d1": "indexed",
        "d2": "index_rejected",
        "d3": "indexed",
        "d4": "superseded",
    }
    letter = next(r for r in results if isinstance(r, DeadLetter))
    assert letter.code is ErrorCode.INDEX_REJECTED and letter.original == b"d2"
    assert letter.source == KafkaCoordinates("t", 0, 2)
    # Chunks of three; the retry round resends only what had no final outcome.
    assert [ids for _t, ids in client.calls] == [
        ["d0", "d1", "d2"],
        ["d3", "d4"],
        ["d0", "d1", "d2"],
        ["d1"],
    ]


def test_the_deadline_holds_when_the_server_hangs() -> None:
    clock = FakeClock()

    def hang(client: FakeElasticsearch) -> Exception:
        assert client.timeout is not None
        clock.now += client.timeout  # the request runs to its timeout
        return ConnectionTimeout("timed out")

    client = FakeElasticsearch([hang] * 1000, clock)
    started = clock.now
    with pytest.raises(BulkRetriesExhausted, match="not indexed after 45s"):
        list(indexer(client, clock, max_wait_s=45).index_all([request("d0"), request("d1")]))
    assert clock.now - started == pytest.approx(45)
    assert all(timeout is not None and 0 < timeout <= 45 for timeout, _ids in client.calls)


def test_the_deadline_holds_under_endless_throttling() -> None:
    clock = FakeClock()
    client = FakeElasticsearch([api_error(429)] * 1000, clock)
    started = clock.now
    with pytest.raises(BulkRetriesExhausted):
        list(indexer(client, clock, max_wait_s=100).index_all([request("d0")]))
    assert clock.now - started <= 100
    assert len(client.calls) > 5, "retried with backoff until the deadline"


def test_a_refusal_of_the_request_itself_is_not_retried() -> None:
    clock = FakeClock()
    client = FakeElasticsearch([api_error(400)], clock)
    with pytest.raises(Exception, match="HTTP 400"):
        list(indexer(client, clock).index_all([request("d0")]))
    assert len(client.calls) == 1


def test_older_versions_in_a_batch_are_superseded_without_a_request() -> None:
    clock = FakeClock()
    client = FakeElasticsearch([], clock)
    results = list(indexer(client, clock).index_all([request("a", 1), request("a", 3)]))
    written = [r for r in results if isinstance(r, Written)]
    assert sorted(r.outcome.value for r in written) == ["indexed", "superseded"]
    assert {r.source for r in written} == {KafkaCoordinates("t", 0, 99)}
    assert [ids for _t, ids in client.calls] == [["a"]]


def test_chunks_are_cut_by_count_and_by_bytes() -> None:
    small = [request(f"s{i}") for i in range(5)]
    assert [len(c) for c in chunks(small, 2, 1 << 20)] == [2, 2, 1]
    big = IndexRequest("big", {"body": "x" * 5000}, None, b"")
    assert [len(c) for c in chunks([big, *small[:2], big], 10, 5000)] == [1, 2, 1]


def test_the_sink_client_retries_nothing_by_itself() -> None:
    sink = es_client(EsConnection(), retries=False)
    command = es_client(EsConnection())
    try:
        assert sink._max_retries == 0 and sink._retry_on_timeout is False
        assert command._max_retries > 0  # commands keep the client's retries
    finally:
        sink.close()
        command.close()
