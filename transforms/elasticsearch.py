"""WriteToElasticsearch: bulk indexing with per-document outcomes.

Built on elasticsearch-py's `streaming_bulk`: requests are cut by count and bytes, 429s are
retried with exponential backoff, connection errors and 502/503/504 are retried by the client,
and a document the server rejects (a mapping error, say) becomes a dead letter with the
server's reason instead of failing the batch.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from schemas.dead_letter import DeadLetter, ErrorCode
from schemas.document import IndexRequest
from schemas.source import KafkaCoordinates
from transforms.connections import EsConnection, es_client
from transforms.parse import DEAD_LETTER

LOG = logging.getLogger(__name__)


class BulkRetriesExhausted(RuntimeError):
    """Elasticsearch kept failing for longer than the sink waits; the bundle fails and retries."""


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


def newest_per_document(
    requests: list[IndexRequest],
) -> tuple[list[IndexRequest], list[IndexRequest]]:
    """One request per document id (the newest version, or the last one seen), and the rest."""
    chosen: dict[str, IndexRequest] = {}
    older: list[IndexRequest] = []
    for request in requests:
        current = chosen.get(request.doc_id)
        if current is None or (request.version or 0) >= (current.version or 0):
            if current is not None:
                older.append(current)
            chosen[request.doc_id] = request
        else:
            older.append(request)
    return list(chosen.values()), older


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


class Outcome(Enum):
    INDEXED = "indexed"
    SUPERSEDED = "superseded"  # an equal or newer version is already in the index
    RETRY = "retry"  # 429 or 5xx for this item: send it again after a pause
    REJECTED = "rejected"  # the server refuses this document: dead-letter it


@dataclass(frozen=True)
class Written:
    """A document the index now holds (indexed) or already held newer (superseded)."""

    doc_id: str
    source: KafkaCoordinates | None
    outcome: Outcome


def classify(ok: bool, item: dict[str, Any]) -> Outcome:
    if ok:
        return Outcome.INDEXED
    if is_superseded(item):
        return Outcome.SUPERSEDED
    status = int(next(iter(item.values())).get("status") or 0)
    if status == 429 or status >= 500:
        return Outcome.RETRY
    return Outcome.REJECTED


def backoff_seconds(
    attempt: int, rng: random.Random, base: float = 1.0, cap: float = 30.0
) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0.0, min(cap, base * (2**attempt)))


class _BulkIndexFn(beam.DoFn):
    def __init__(
        self,
        connection: EsConnection,
        index: str,
        max_actions: int,
        max_bytes: int,
        max_wait_s: float,
    ) -> None:
        self.connection = connection
        self.index = index
        self.max_actions = max_actions
        self.max_bytes = max_bytes
        self.max_wait_s = max_wait_s
        self.indexed = Metrics.counter("newswire", "articles_indexed")
        self.rejected = Metrics.counter("newswire", "index_rejected")
        self.superseded = Metrics.counter("newswire", "articles_superseded")
        self.retried = Metrics.counter("newswire", "bulk_retries")
        self.bulk_ms = Metrics.distribution("newswire", "bulk_ms")

    def setup(self) -> None:
        self.client = es_client(self.connection, retries=False)
        self.rng = random.Random()

    def process(self, batch: list[IndexRequest]) -> Iterator[Written | pvalue.TaggedOutput]:
        yield from self._index(batch)

    def _index(self, requests: list[IndexRequest]) -> Iterator[Written | pvalue.TaggedOutput]:
        """Send the batch until every document has a final outcome.

        Connection errors, 5xx and 429 (for the whole request or single items) are retried with
        backoff and jitter for up to max_wait_s; after that the bundle fails (and with it a
        bounded run, which then commits nothing), so an outage never turns documents into dead
        letters. Only refusals of a document itself (4xx, e.g. a mapping error) are
        dead-lettered.
        """
        from elastic_transport import ConnectionError as TransportConnectionError
        from elasticsearch import ApiError
        from elasticsearch.helpers import streaming_bulk

        newest, older = newest_per_document(requests)
        pending = {r.doc_id: r for r in newest}
        for request in older:
            self.superseded.inc()
            yield Written(request.doc_id, request.source, Outcome.SUPERSEDED)
        attempt = 0
        deadline = time.monotonic() + self.max_wait_s
        while pending:
            started = time.perf_counter()
            retry: dict[str, IndexRequest] = {}
            try:
                for ok, item in streaming_bulk(
                    self.client,
                    (bulk_action(r, self.index) for r in pending.values()),
                    chunk_size=self.max_actions,
                    max_chunk_bytes=self.max_bytes,
                    raise_on_error=False,
                    raise_on_exception=True,
                    max_retries=3,
                    initial_backoff=1,
                    max_backoff=10,
                ):
                    doc_id = str(next(iter(item.values())).get("_id"))
                    request = pending.pop(doc_id)
                    outcome = classify(ok, item)
                    if outcome is Outcome.INDEXED:
                        self.indexed.inc()
                        yield Written(doc_id, request.source, outcome)
                    elif outcome is Outcome.SUPERSEDED:
                        self.superseded.inc()
                        yield Written(doc_id, request.source, outcome)
                    elif outcome is Outcome.RETRY:
                        retry[doc_id] = request
                    else:
                        self.rejected.inc()
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
            except (TransportConnectionError, ApiError) as exc:
                if (
                    isinstance(exc, ApiError)
                    and 400 <= exc.meta.status < 500
                    and exc.meta.status != 429
                ):
                    raise
                LOG.warning("bulk request failed (%s); %d documents to retry", exc, len(pending))
            finally:
                self.bulk_ms.update(int((time.perf_counter() - started) * 1000))
            pending.update(retry)
            if pending:
                if time.monotonic() >= deadline:
                    raise BulkRetriesExhausted(
                        f"{len(pending)} documents still not indexed after {self.max_wait_s:.0f}s"
                    )
                self.retried.inc()
                time.sleep(
                    min(backoff_seconds(attempt, self.rng), max(0.0, deadline - time.monotonic()))
                )
                attempt += 1

    def teardown(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()


class WriteToElasticsearch(beam.PTransform):
    """Outputs `written` (Written: indexed or superseded) and `dead_letter` (DeadLetter for
    documents the index refused)."""

    def __init__(
        self,
        connection: EsConnection,
        index: str,
        max_actions: int = 500,
        max_bytes: int = 10 << 20,
        max_wait_s: float = 600.0,
    ) -> None:
        super().__init__()
        self.fn = _BulkIndexFn(connection, index, max_actions, max_bytes, max_wait_s)

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
            | "Bulk" >> beam.ParDo(self.fn).with_outputs(DEAD_LETTER, main="written")
        )
