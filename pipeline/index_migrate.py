"""`newswire index migrate`: build the next index version and swap the alias, without downtime.

Analysts keep querying the alias while the next version (`news-v2` after `news-v1`) is filled
from the current one, optionally re-enriched with the current models (a model upgrade). The
alias then moves in one atomic request, documents written during the copy are copied again,
and the old index is left in place for the operator to delete once satisfied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.document import document_version
from schemas.index import versioned_index

Reenrich = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


@dataclass
class MigrationResult:
    source: str
    target: str
    copied: int
    caught_up: int
    seconds: float


def next_version(index_name: str, alias: str) -> int:
    suffix = index_name.removeprefix(f"{alias}-v")
    return int(suffix) + 1 if suffix.isdigit() else 2


def _scan(
    client: Any, index: str, query: dict[str, Any], batch: int = 500
) -> Iterator[dict[str, Any]]:
    """Every matching document, in _id order, with search_after (no scroll or PIT state)."""
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"size": batch, "query": query, "sort": [{"doc_id": "asc"}]}
        if after is not None:
            body["search_after"] = after
        hits = client.search(index=index, **body)["hits"]["hits"]
        if not hits:
            return
        yield from hits
        after = hits[-1]["sort"]


def _copy(
    client: Any, hits: Iterable[dict[str, Any]], target: str, reenrich: Reenrich | None, chunk: int
) -> int:
    from elasticsearch.helpers import bulk

    copied = 0
    buffer: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal copied, buffer
        sources = [h["_source"] for h in buffer]
        if reenrich is not None:
            sources = reenrich(sources)
        actions = []
        for hit, source in zip(buffer, sources, strict=True):
            action: dict[str, Any] = {"_index": target, "_id": hit["_id"], "_source": source}
            version = document_version(source)
            if version is not None:
                action.update(version=version, version_type="external_gte")
            actions.append(action)
        done, _errors = bulk(client, actions, chunk_size=chunk, max_retries=5, raise_on_error=True)
        copied += done
        buffer = []

    for hit in hits:
        buffer.append(hit)
        if len(buffer) >= chunk:
            flush()
    if buffer:
        flush()
    return copied


def migrate(
    client: Any,
    alias: str,
    reenrich: Reenrich | None = None,
    chunk: int = 200,
    progress: Callable[[int], None] | None = None,
) -> MigrationResult:
    from pipeline.index_admin import setup_index

    started = time.monotonic()
    source = setup_index(client, alias)
    target = versioned_index(alias, next_version(source, alias))
    if client.indices.exists(index=target):
        raise RuntimeError(f"{target} already exists; delete it or finish the earlier migration")
    client.indices.create(index=target)  # the template applies to alias-v*
    start_time = datetime.now(UTC).isoformat()

    def counted(hits: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for n, hit in enumerate(hits, 1):
            if progress and n % 100 == 0:
                progress(n)
            yield hit

    copied = _copy(
        client, counted(_scan(client, source, {"match_all": {}})), target, reenrich, chunk
    )
    client.indices.refresh(index=target)
    client.indices.update_aliases(
        actions=[
            {"remove": {"index": source, "alias": alias}},
            {"add": {"index": target, "alias": alias, "is_write_index": True}},
        ]
    )
    # Writes that reached the old index while it was being copied.
    client.indices.refresh(index=source)
    late = _scan(client, source, {"range": {"indexed_at": {"gte": start_time}}})
    caught_up = _copy(client, late, target, reenrich, chunk)
    client.indices.refresh(index=target)
    return MigrationResult(source, target, copied, caught_up, time.monotonic() - started)
