"""WriteToElasticsearch: bulk indexing with per-document outcomes.

Requests are cut by count and bytes. One retry layer, here: connection errors, timeouts, 429
and 5xx (of a whole request or of single documents) are sent again with exponential backoff
and jitter until a deadline, and no request outlives it (the client itself retries nothing).
A document the server rejects (a mapping error, say) becomes a dead letter with the server's
reason instead of failing the batch.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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


def chunks(
    requests: Sequence[IndexRequest], max_actions: int, max_bytes: int
) -> Iterator[list[IndexRequest]]:
    """Consecutive requests, at most max_actions and (but for a lone large one) max_bytes each."""
    chunk: list[IndexRequest] = []
    size = 0
    for request in requests:
        weight = len(json.dumps(request.document)) + 200  # the action line and separators
        if chunk and (len(chunk) >= max_actions or size + weight > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(request)
        size += weight
    if chunk:
        yield chunk


def _operations(chunk: list[IndexRequest], index: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for request in chunk:
        action = bulk_action(request, index)
        source = action.pop("_source")
        action.pop("_op_type")
        lines += [{"index": action}, source]  # _index, _id and the external version
    return lines


def _retryable(exc: Exception) -> bool:
    """A whole request that failed for reasons of the moment (not of the documents)."""
    from elastic_transport import ConnectionError as TransportConnectionError
    from elastic_transport import ConnectionTimeout
    from elasticsearch import ApiError

    if isinstance(exc, TransportConnectionError | ConnectionTimeout):
        return True
    return isinstance(exc, ApiError) and (exc.meta.status == 429 or exc.meta.status >= 500)


@dataclass
class BulkIndexer:
    """Sends documents until each has a final outcome, or fails once `max_wait_s` is spent.

    Connection errors, timeouts, 5xx and 429 (for the whole request or single items) are
    retried with backoff and jitter; every request's timeout is what is left of the deadline,
    so the deadline holds even when the server hangs. After it the caller's bundle fails (and
    with it a bounded run, which then commits nothing), so an outage never turns documents
    into dead letters. Only refusals of a document itself (4xx, e.g. a mapping error) become
    dead letters. The client must not retry by itself (es_client(..., retries=False)).
    """

    client: Any
    index: str
    max_actions: int = 500
    max_bytes: int = 10 << 20
    max_wait_s: float = 600.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_retry: Callable[[], None] = lambda: None
    on_request: Callable[[float], None] = lambda seconds: None

    def index_all(self, requests: list[IndexRequest]) -> Iterator[Written | DeadLetter]:
        newest, older = newest_per_document(requests)
        for request in older:
            yield Written(request.doc_id, request.source, Outcome.SUPERSEDED)
        pending = {r.doc_id: r for r in newest}
        deadline = self.clock() + self.max_wait_s
        attempt = 0
        while pending:
            for chunk in chunks(list(pending.values()), self.max_actions, self.max_bytes):
                remaining = deadline - self.clock()
                if remaining <= 0:
                    break
                started = self.clock()
                try:
                    response = self.client.options(request_timeout=remaining).bulk(
                        operations=_operations(chunk, self.index)
                    )
                except Exception as exc:
                    if not _retryable(exc):
                        raise
                    LOG.warning(
                        "bulk request failed (%s); %d documents to retry", exc, len(pending)
                    )
                    continue
                finally:
                    self.on_request(self.clock() - started)
                for item in response["items"]:
                    doc_id = str(next(iter(item.values())).get("_id"))
                    status = int(next(iter(item.values())).get("status") or 0)
                    outcome = classify(200 <= status < 300, item)
                    if outcome is Outcome.RETRY:
                        continue
                    request = pending.pop(doc_id)
                    if outcome is Outcome.REJECTED:
                        yield DeadLetter(
                            ErrorCode.INDEX_REJECTED,
                            rejection_reason(item),
                            request.original,
                            request.source,
                            doc_id,
                        )
                    else:
                        yield Written(doc_id, request.source, outcome)
            if pending:
                if self.clock() >= deadline:
                    raise BulkRetriesExhausted(
                        f"{len(pending)} documents still not indexed after {self.max_wait_s:.0f}s"
                    )
                self.on_retry()
                self.sleep(min(backoff_seconds(attempt, self.rng), deadline - self.clock()))
                attempt += 1


class _BulkIndexFn(beam.DoFn):
    def __init__(
        self,
        connection: EsConnection,
        index: str,
        max_actions: int,
        max_bytes: int,
        max_wait_s: float,
        client_factory: Callable[[EsConnection], Any] | None = None,
    ) -> None:
        self.connection = connection
        self.client_factory = client_factory
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
        if self.client_factory is not None:  # tests hand in a fake server
            self.client = self.client_factory(self.connection)
        else:
            self.client = es_client(self.connection, retries=False)
        self.indexer = BulkIndexer(
            self.client,
            self.index,
            self.max_actions,
            self.max_bytes,
            self.max_wait_s,
            on_retry=self.retried.inc,
            on_request=lambda seconds: self.bulk_ms.update(int(seconds * 1000)),
        )

    def process(self, batch: list[IndexRequest]) -> Iterator[Written | pvalue.TaggedOutput]:
        for result in self.indexer.index_all(batch):
            if isinstance(result, DeadLetter):
                self.rejected.inc()
                yield pvalue.TaggedOutput(DEAD_LETTER, result)
                continue
            (self.indexed if result.outcome is Outcome.INDEXED else self.superseded).inc()
            yield result

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
        client_factory: Callable[[EsConnection], Any] | None = None,
    ) -> None:
        super().__init__()
        self.fn = _BulkIndexFn(
            connection, index, max_actions, max_bytes, max_wait_s, client_factory
        )

    def expand(self, requests: beam.PCollection[IndexRequest]) -> pvalue.DoOutputsTuple:
        return (
            requests
            # With element_size_fn, BatchElements bounds the summed size: batches stay under
            # the byte budget; the BulkIndexer then also cuts them by count.
            | "Batch"
            >> beam.BatchElements(
                min_batch_size=1,
                max_batch_size=self.fn.max_bytes,
                element_size_fn=lambda r: 2 * len(r.original) + 1,
            )
            | "Bulk" >> beam.ParDo(self.fn).with_outputs(DEAD_LETTER, main="written")
        )
