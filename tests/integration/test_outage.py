"""Elasticsearch stopped in the middle of a run and started again: nothing lost, nothing doubled."""

import json
import threading
import time
from pathlib import Path

from deploy.local import stack
from enrich.enricher import ModelPaths
from pipeline.index_admin import setup_index
from pipeline.produce import produce
from pipeline.run import RunSummary, run_bounded
from pipeline.settings import Settings
from transforms.kafka_clients import ensure_topics

FEED = Path(__file__).resolve().parents[3] / "shared" / "data" / "news-feed.jsonl"
OUTAGE_SECONDS = 35


def test_the_run_waits_out_an_elasticsearch_outage(
    settings: Settings, es, model_paths: ModelPaths
) -> None:  # type: ignore[no-untyped-def]
    lines = FEED.read_bytes().splitlines()[:40]
    assert len(lines) == 40, f"needs {FEED}"
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    produce(settings.kafka, settings.topic, lines)
    setup_index(es, settings.index)

    result: dict[str, RunSummary | BaseException] = {}

    def run() -> None:
        try:
            result["summary"] = run_bounded(settings, model_paths)
        except BaseException as exc:  # reported below
            result["error"] = exc

    server = stack.ElasticsearchServer()
    worker = threading.Thread(target=run)
    worker.start()
    try:
        time.sleep(3)  # past index setup; the pipeline is now reading and enriching
        server.stop()
        assert not server.ready()
        time.sleep(OUTAGE_SECONDS)
    finally:
        stack.up()
    worker.join(timeout=900)
    assert not worker.is_alive()
    assert "error" not in result, result.get("error")
    summary = result["summary"]
    assert isinstance(summary, RunSummary)
    assert summary.indexed == 40 and summary.dead_lettered == 0
    assert summary.counters.get("bulk_retries", 0) > 0, "the outage was felt and retried"
    es.indices.refresh(index=settings.index)
    assert es.count(index=settings.index)["count"] == 40
    ids = {json.loads(line)["id"] for line in lines}
    found = {
        h["_id"]
        for h in es.search(index=settings.index, size=100, query={"match_all": {}})["hits"]["hits"]
    }
    assert found == ids
