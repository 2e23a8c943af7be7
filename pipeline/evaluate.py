"""`newswire eval`: run the configured models over a labelled set and score them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from enrich.enricher import Enricher, ModelPaths
from enrich.evaluate import GoldArticle, PredictedEntity, Prediction, load_gold, score
from schemas.article import ArticleRecord, InvalidArticle, parse_article

DEFAULT_FEED = Path(__file__).resolve().parents[2] / "shared" / "data" / "news-feed.jsonl"


def find_articles(gold: list[GoldArticle], feed: Path) -> dict[str, ArticleRecord]:
    """The labelled articles' texts, from the feed (by line number, checked by id)."""
    lines = feed.read_bytes().splitlines()
    wanted = {g.id for g in gold}
    found: dict[str, ArticleRecord] = {}
    for g in gold:
        if g.feed_line is not None and g.feed_line < len(lines):
            try:
                article = parse_article(lines[g.feed_line])
            except InvalidArticle:
                continue
            if article.doc_id == g.id:
                found[g.id] = article
    if len(found) < len(wanted):  # lines moved: look the rest up by id
        for line in lines:
            try:
                article = parse_article(line)
            except InvalidArticle:
                continue
            if article.doc_id in wanted:
                found.setdefault(article.doc_id, article)
    missing = wanted - set(found)
    if missing:
        raise ValueError(f"{len(missing)} labelled article(s) not in {feed}: {sorted(missing)[:3]}")
    return found


def load_split(split: str) -> list[GoldArticle]:
    """A split of the labelled corpus (eval/corpus/, see its README) as gold articles."""
    from training.corpus_splits import as_gold, labelled

    return as_gold(labelled(split))


def evaluate(
    gold_source: Path | str,
    feed: Path,
    paths: ModelPaths,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Score the models on a gold file, or on a corpus split named train, dev or test."""
    gold = load_gold(gold_source) if isinstance(gold_source, Path) else load_split(gold_source)
    articles = find_articles(gold, feed)
    enricher = Enricher(paths)
    predictions: dict[str, Prediction] = {}
    started = time.perf_counter()
    for g in gold:
        enrichment = enricher.enrich_batch([articles[g.id]])[0]
        predictions[g.id] = Prediction(
            tuple(
                PredictedEntity(e.name, e.type, tuple(m.text for m in e.mentions))
                for e in enrichment.entities
            ),
            tuple(t.id for t in enrichment.topics),
        )
        if progress:
            progress(1)
    seconds = time.perf_counter() - started
    report = score(gold, predictions)
    report.update(
        {
            "gold": str(gold_source),
            "ner_model": enricher.ner_model,
            "topic_model": enricher.topic_model,
            "seconds": round(seconds, 1),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    return report


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
