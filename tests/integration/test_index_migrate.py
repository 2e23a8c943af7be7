"""`index migrate` on the real server: the next version is filled, then the alias moves."""

from pathlib import Path
from typing import Any

from enrich.enricher import Enricher, ModelPaths
from pipeline.index_migrate import migrate
from pipeline.produce import feed_lines, produce
from pipeline.run import run_bounded
from pipeline.settings import Settings
from schemas.document import article_from_document, build_document
from transforms.kafka_clients import ensure_topics


def test_migrate_copies_then_swaps_the_alias_and_can_re_enrich(
    settings: Settings,
    es,
    model_paths: ModelPaths,
    enricher: Enricher,
    sample_feed: Path,  # type: ignore[no-untyped-def]
) -> None:
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    produce(settings.kafka, settings.topic, list(feed_lines(sample_feed)))
    run_bounded(settings, model_paths)
    alias = settings.index
    before = {h["_id"]: h["_source"] for h in es.search(index=alias, size=50)["hits"]["hits"]}
    assert len(before) == 5

    first = migrate(es, alias)
    assert (first.source, first.target) == (f"{alias}-v1", f"{alias}-v2")
    assert first.copied == 5
    assert list(es.indices.get_alias(name=alias)) == [f"{alias}-v2"]
    assert es.indices.exists(index=f"{alias}-v1"), "the old version is kept"
    after = {h["_id"]: h["_source"] for h in es.search(index=alias, size=50)["hits"]["hits"]}
    assert after == before

    calls: list[int] = []

    def reenrich(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        calls.append(len(docs))
        pairs = [article_from_document(d) for d in docs]
        results = enricher.enrich_batch([a for a, _ in pairs])
        return [build_document(a, r, s) for (a, s), r in zip(pairs, results, strict=True)]

    second = migrate(es, alias, reenrich)
    assert second.target == f"{alias}-v3" and sum(calls) == 5
    seed = es.get(index=alias, id="orban-putin-beijing")["_source"]
    assert "Vladimir Putin" in seed["persons"]
    assert seed["provenance"]["kafka"] == before["orban-putin-beijing"]["provenance"]["kafka"]
    assert seed["indexed_at"] > before["orban-putin-beijing"]["indexed_at"]
