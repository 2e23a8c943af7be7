"""Fake clients for testing the adapters' logic without the services (the real services are
tested in tests/integration)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError

from enrich.enricher import ModelPaths
from schemas.article import ArticleRecord
from schemas.enrichment import Enrichment, Entity, EntityMention, TopicScore


def api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "es", 9200))
    return ApiError(f"HTTP {status}", meta=meta, body={})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


class FakeElasticsearch:
    """Answers each bulk request from a script: an exception to raise, or {doc_id: status}
    for the documents that do not get 201. Past the script every document gets 201."""

    def __init__(self, script: Sequence[Any] = (), clock: FakeClock | None = None) -> None:
        self.script = list(script)
        self.clock = clock
        self.timeout: float | None = None
        self.calls: list[tuple[float | None, list[str]]] = []

    def options(self, request_timeout: float) -> FakeElasticsearch:
        self.timeout = request_timeout
        return self

    def bulk(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        actions = operations[::2]
        ids = [a["index"]["_id"] for a in actions]
        self.calls.append((self.timeout, ids))
        step = self.script.pop(0) if self.script else {}
        if callable(step):
            step = step(self)
        if isinstance(step, Exception):
            raise step
        items = []
        for doc_id in ids:
            status = step.get(doc_id, 201)
            item: dict[str, Any] = {"_id": doc_id, "status": status}
            if status == 409:
                item["error"] = {"type": "version_conflict_engine_exception", "reason": "newer"}
            elif status >= 300:
                item["error"] = {"type": "document_parsing_exception", "reason": f"{status}"}
            items.append({"index": item})
        return {"errors": bool(step), "items": items}

    def close(self) -> None:
        pass


class FakeEnricher:
    """Tags every article with one entity (its first word) and one topic; an article whose
    title contains FAIL makes any batch holding it raise, as a model error would."""

    name = "fake-ner@0"
    topic_model = "fake-topics@0"

    def __init__(self, _paths: ModelPaths | None = None) -> None:
        pass

    def timed_batch(self, articles: Sequence[ArticleRecord]) -> tuple[list[Enrichment], float]:
        if any("FAIL" in a.title for a in articles):
            raise RuntimeError("the model broke on this batch")
        return [self._one(a) for a in articles], 0.01 * len(articles)

    def _one(self, article: ArticleRecord) -> Enrichment:
        word = article.body.split()[0]
        mention = EntityMention(
            word, "ORG", article.body_offset, article.body_offset + len(word), 0.9
        )
        return Enrichment(
            entities=(Entity(word, "ORG", 1, mention.start, 0.9, (mention,)),),
            topics=(TopicScore("medtop:04000000", "economy, business and finance", 0.3),),
            ner_model=self.name,
            topic_model=self.topic_model,
        )


def flaky_es(_connection: object) -> FakeElasticsearch:
    """One 503 for the whole request, then one 429 for the document `slow`, then success."""
    return FakeElasticsearch([api_error(503), {"slow": 429}])


def refusing_es(_connection: object) -> FakeElasticsearch:
    """Refuses the document `bad` (as a mapping error would), accepts the rest."""
    return FakeElasticsearch([{"bad": 400}])
