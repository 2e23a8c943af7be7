"""WriteToElasticsearch: bulk indexing with per-document outcomes.

Built on elasticsearch-py's `streaming_bulk`: requests are cut by count and bytes, 429s are
retried with exponential backoff, connection errors and 502/503/504 are retried by the client,
and a document the server rejects (a mapping error, say) becomes a dead letter with the
server's reason instead of failing the batch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from schemas.article import ErrorCode
from schemas.dead_letter import DeadLetter
from transforms.enrich import IndexRequest
from transforms.parse import DEAD_LETTER


def make_client(url: str) -> Any:
    from elasticsearch import Elasticsearch

    return Elasticsearch(
        url,
        request_timeout=60,
        max_retries=8,
        retry_on_timeout=True,
        retry_on_status=(502, 503, 504),
    )


def bulk_action(request: IndexRequest, index: str) -> dict[str, Any]:
    action: dict[str, Any] = {
        "_op_type": "index",
        "_index": index,
        "_id": request.doc_id,
        "_source": request.document,
    }
    if request.version is not None:
        # An older version arriving after a newer one is refused by the server (409), so the
        # index always holds the newest version whatever order updates arrive in; re-indexing
        # the same version (a replay) is allowed.
        action.update(version=request.version, version_type="external_gte")
    return action


def newest_per_document(requests: list[IndexRequest]) -> list[IndexRequest]:
    """One request per document id: the newest version, or the last one seen."""
    chosen: dict[str, IndexRequest] = {}
    for request in requests:
        current = chosen.get(request.doc_id)
        if current is None or (request.version or 0) >= (current.version or 0):
            chosen[request.doc_id] = request
    return list(chosen.values())


def is_superseded(item: dict[str, Any]) -> bool:
    result = next(iter(item.values()))
    error = result.get("error")
    return (
        result.get("status") == 409
        and isinstance(error, dict)
        and (error.get("type") == "version_conflict_engine_exception")
    )


def rejection_reason(item: dict[str, Any]) -> str:
    """A one-line reason from a failed bulk item (`{"index": {"status": 400, "error": {...}}}`)."""
    result = next(iter(item.values()))
    error = result.get("error")
    if isinstance(error, dict):
        reason = f"{error.get('type')}: {error.get('reason')}"
        cause = error.get("caused_by")
        if isinstance(cause, dict):
            reason += f" (caused by {cause.get('type')}: {cause.get('reason')})"
        return f"HTTP {result.get('status')}: {reason}"
    return f"HTTP {result.get('status')}: {json.dumps(error)}"


class _BulkIndexFn(beam.DoFn):
    def __init__(self, es_url: str, index: str, max_actions: int, max_bytes: int) -> None:
        self.es_url = es_url
        self.index = index
        self.max_actions = max_actions
        self.max_bytes = max_bytes
        self.indexed = Metrics.counter("newswire", "articles_indexed")
        self.rejected = Metrics.counter("newswire", "index_rejected")
        self.superseded = Metrics.counter("newswire", "articles_superseded")
        self.bulk_ms = Metrics.distribution("newswire", "bulk_ms")

    def setup(self) -> None:
        self.client = make_client(self.es_url)

    def process(self, batch: list[IndexRequest]) -> Iterator[str | pvalue.TaggedOutput]:
        yield from self._index(batch)

    def _index(self, requests: list[IndexRequest]) -> Iterator[str | pvalue.TaggedOutput]:
        from elasticsearch.helpers import streaming_bulk

        batch = newest_per_document(requests)
        by_id = {r.doc_id: r for r in batch}
        superseded_in_batch = len(requests) - len(batch)
        if superseded_in_batch:
            self.superseded.inc(superseded_in_batch)
        started = time.perf_counter()
        for ok, item in streaming_bulk(
            self.client,
            (bulk_action(r, self.index) for r in batch),
            chunk_size=self.max_actions,
            max_chunk_bytes=self.max_bytes,
            raise_on_error=False,
            max_retries=8,
            initial_backoff=1,
            max_backoff=30,
        ):
            doc_id = str(next(iter(item.values())).get("_id"))
            if ok:
                self.indexed.inc()
                yield doc_id
            elif is_superseded(item):
                self.superseded.inc()  # a newer version is already indexed
            else:
                self.rejected.inc()
                request = by_id[doc_id]
                yield pvalue.TaggedOutput(
                    DEAD_LETTER,
                    DeadLetter(
                        ErrorCode.INDEX_REJECTED,
                        rejection_reason(item),
                        request.original,
                        request.source,
                        doc_id,
                    ),
                )
        self.bulk_ms.update(int((time.perf_counter() - started) * 1000))

    def teardown(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()


class WriteToElasticsearch(beam.PTransform):
    """Outputs `indexed` (document ids) and `dead_letter` (DeadLetter for rejected documents)."""

    def __init__(
        self, es_url: str, index: str, max_actions: int = 500, max_bytes: int = 10 << 20
    ) -> None:
        super().__init__()
        self.fn = _BulkIndexFn(es_url, index, max_actions, max_bytes)

    def expand(self, requests: beam.PCollection[IndexRequest]) -> pvalue.DoOutputsTuple:
        return (
            requests
            # With element_size_fn, BatchElements bounds the summed size: batches stay under
            # the byte budget; streaming_bulk then also cuts them by count.
            | "Batch"
            >> beam.BatchElements(
                min_batch_size=1,
                max_batch_size=self.fn.max_bytes,
                element_size_fn=lambda r: 2 * len(r.original) + 1,
            )
            | "Bulk" >> beam.ParDo(self.fn).with_outputs(DEAD_LETTER, main="indexed")
        )
