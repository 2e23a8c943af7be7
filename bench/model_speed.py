"""NER and topics alone: articles/s and tokens/s, fp32 (and int8 when its files are cached).

Same articles for every variant, batched by characters as the pipeline batches, rounds
alternating between variants; medians. Writes bench/results/model-speed-latest.json.

    python -m bench.model_speed [--articles 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pipeline_bench import DEFAULT_FEED, RESULTS, batches, machine, token_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feed", type=Path, default=DEFAULT_FEED)
    parser.add_argument("--skip", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-chars", type=int, default=60_000)
    args = parser.parse_args(argv)

    from deploy.models.store import encoder_dir, ner_head_dir
    from deploy.paths import cache_dir
    from enrich.enricher import Enricher, ModelPaths
    from enrich.topics import DEFAULT_TOPICS_FILE
    from schemas.article import InvalidArticle, parse_article

    articles = []
    for line in args.feed.read_bytes().splitlines()[args.skip :]:
        try:
            article = parse_article(line)
        except InvalidArticle:
            continue
        if article.language in (None, "en", "und"):
            articles.append(article)
        if len(articles) == args.articles:
            break
    variants = {"fp32": ModelPaths(encoder_dir(), ner_head_dir(), DEFAULT_TOPICS_FILE)}
    models = cache_dir() / "models"
    int8 = sorted(models.glob("all-minilm-l6-v2-q-*"))
    int8_heads = sorted(models.glob("newswire-ner-head-v3-all-minilm-l6-v2-q-*"))
    if int8 and int8_heads:
        variants["int8"] = ModelPaths(int8[-1], int8_heads[-1], DEFAULT_TOPICS_FILE)
    enrichers = {name: Enricher(paths) for name, paths in variants.items()}
    tokens = token_count(
        [a.text for a in articles], variants["fp32"].encoder_dir / "tokenizer.json"
    )
    groups = batches(articles, args.batch_chars)
    english = [a.text for a in articles]
    timings: dict[str, dict[str, list[float]]] = {n: {"ner": [], "topics": []} for n in variants}
    for _round in range(args.rounds):
        for name, enricher in enrichers.items():
            started = time.perf_counter()
            for group in groups:
                enricher.ner.extract_batch([a.text for a in group])
            timings[name]["ner"].append(time.perf_counter() - started)
            started = time.perf_counter()
            for group in groups:
                enricher.topics.classify_batch([a.title for a in group], [a.body for a in group])
            timings[name]["topics"].append(time.perf_counter() - started)
    report: dict[str, Any] = {
        "articles": len(articles),
        "tokens": tokens,
        "characters": sum(len(t) for t in english),
        "rounds": args.rounds,
        "machine": machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for name in variants:
        for task in ("ner", "topics"):
            median = statistics.median(timings[name][task])
            report[f"{name}_{task}_articles_per_s"] = round(len(articles) / median, 2)
            report[f"{name}_{task}_tokens_per_s"] = round(tokens / median, 1)
            report[f"{name}_{task}_seconds"] = [round(t, 2) for t in timings[name][task]]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "model-speed-latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
