"""Bulk indexing throughput of the sink against one request per document, side by side.

    python bench/bulk_throughput.py [--docs 3000] [--rounds 3] [--feed FEED.jsonl]

Documents are enriched once with the real models (from the first 100 articles of the feed,
copied under new ids up to --docs), then indexed alternately by the sink's bulk path
(`transforms.elasticsearch`, the code the pipeline runs) and by one `index` request per
document, each into a fresh index. Writes bench/results/bulk-<time>.json and bulk-latest.json
with per-round rates, medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def enriched_requests(feed: Path, docs: int) -> list[Any]:
    from enrich.enricher import Enricher
    from pipeline.models import model_paths
    from pipeline.settings import Settings
    from schemas.article import InvalidArticle, parse_article
    from schemas.document import IndexRequest, build_document

    enricher = Enricher(model_paths(Settings()))
    raws = feed.read_bytes().splitlines()[:100]
    articles = []
    for raw in raws:
        try:
            articles.append((parse_article(raw), raw))
        except InvalidArticle:
            continue
    results = enricher.enrich_batch([a for a, _ in articles])
    base = [
        (build_document(a, r, None), raw) for (a, raw), r in zip(articles, results, strict=True)
    ]
    requests = []
    for n in range(docs):
        doc, raw = base[n % len(base)]
        doc_id = f"bench-{n}"
        requests.append(IndexRequest(doc_id, {**doc, "doc_id": doc_id}, None, raw))
    return requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--feed", type=Path, default=ROOT.parent / "shared" / "data" / "news-feed.jsonl"
    )
    parser.add_argument("--es-url", default="http://127.0.0.1:9200")
    args = parser.parse_args()

    from schemas.index import index_template
    from transforms.connections import EsConnection, es_client
    from transforms.elasticsearch import BulkIndexer

    connection = EsConnection(url=args.es_url)
    client = es_client(connection)
    requests = enriched_requests(args.feed, args.docs)
    total_bytes = sum(len(json.dumps(r.document)) for r in requests)
    client.indices.put_index_template(name="bench-template", **index_template("bench"))

    def fresh(name: str) -> str:
        client.options(ignore_status=404).indices.delete(index=name)
        client.indices.create(index=name)
        return name

    def bulk_round(index: str) -> float:
        sink_client = es_client(connection, retries=False)  # as the sink opens it
        indexer = BulkIndexer(
            sink_client, index, max_actions=500, max_bytes=10 << 20, max_wait_s=60
        )
        started = time.perf_counter()
        for first in range(0, len(requests), 500):  # the batches BatchElements would hand over
            list(indexer.index_all(requests[first : first + 500]))
        client.indices.refresh(index=index)
        elapsed = time.perf_counter() - started
        sink_client.close()
        return elapsed

    def single_round(index: str) -> float:
        started = time.perf_counter()
        for r in requests:
            client.index(index=index, id=r.doc_id, document=r.document)
        client.indices.refresh(index=index)
        return time.perf_counter() - started

    rounds = []
    for n in range(args.rounds):
        bulk_s = bulk_round(fresh("bench-v1"))
        assert client.count(index="bench-v1")["count"] == len(requests)
        single_s = single_round(fresh("bench-v2"))
        assert client.count(index="bench-v2")["count"] == len(requests)
        rounds.append(
            {
                "bulk_docs_per_s": len(requests) / bulk_s,
                "single_docs_per_s": len(requests) / single_s,
            }
        )
        print(
            f"round {n + 1}: bulk {rounds[-1]['bulk_docs_per_s']:.0f} docs/s, "
            f"one per request {rounds[-1]['single_docs_per_s']:.0f} docs/s",
            flush=True,
        )
    for name in ("bench-v1", "bench-v2"):
        client.options(ignore_status=404).indices.delete(index=name)
    client.indices.delete_index_template(name="bench-template")

    bulk = statistics.median(r["bulk_docs_per_s"] for r in rounds)
    single = statistics.median(r["single_docs_per_s"] for r in rounds)
    report = {
        "benchmark": "bulk_throughput",
        "docs": len(requests),
        "mean_doc_bytes": round(total_bytes / len(requests)),
        "rounds": rounds,
        "bulk_docs_per_s_median": round(bulk, 1),
        "single_docs_per_s_median": round(single, 1),
        "ratio_bulk_to_single": round(bulk / single, 2),
        "machine": {"platform": platform.platform(), "cpus": __import__("os").cpu_count()},
        "measured_at": datetime.now(UTC).isoformat(),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in (out / f"bulk-{stamp}.json", out / "bulk-latest.json"):
        path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "rounds"}, indent=2))


if __name__ == "__main__":
    main()
