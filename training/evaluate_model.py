"""Score a newswire model directory on a corpus split: entities as `newswire eval` scores them,
mentions as CoNLL does, topics; the numbers behind docs/models.md.

    python -m training.evaluate_model MODEL_DIR --split dev|test [--onnx model.fp32.onnx]
        [--min-entity-score 0.7]

Mentions are scored as the pipeline indexes them: those of the entities it keeps
(`mentions`), and also every mention the model found (`mentions_all`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from enrich.entities import MIN_ENTITY_SCORE, confident_entities, group_mentions
from enrich.evaluate import PredictedEntity, Prediction, score
from enrich.topic_classifier import TopicClassifier
from enrich.topics import Taxonomy
from enrich.transformer_ner import TransformerNer
from training.corpus import Span, project_spans
from training.corpus_splits import as_gold, labelled, texts_for
from training.span_scores import mention_scores


def evaluate_model(
    model_dir: Path,
    split: str,
    onnx: str | None = None,
    min_entity_score: float = MIN_ENTITY_SCORE,
) -> dict[str, Any]:
    articles = labelled(split)
    texts = texts_for(articles)
    model = TransformerNer(model_dir, onnx)
    classifier = TopicClassifier.load(model_dir) if (model_dir / "topics.npz").exists() else None
    taxonomy = Taxonomy.load()
    predictions: dict[str, Prediction] = {}
    pairs, pairs_all = [], []
    started = time.perf_counter()
    for a in articles:
        (analysis,) = model.analyse_batch([texts[a.id]])
        topics: tuple[str, ...] = ()
        if classifier is not None:
            (chosen,) = classifier.classify(analysis.doc_vector[None], taxonomy)
            topics = tuple(t.id for t in chosen)
        entities = confident_entities(group_mentions(analysis.mentions), min_entity_score)
        predictions[a.id] = Prediction(
            tuple(
                PredictedEntity(e.name, e.type, tuple(m.text for m in e.mentions)) for e in entities
            ),
            topics,
        )
        gold = project_spans(texts[a.id], a.entities)
        kept = [m for e in entities for m in e.mentions]
        pairs.append((gold, [Span(m.start, m.end, m.type) for m in kept]))
        pairs_all.append((gold, [Span(m.start, m.end, m.type) for m in analysis.mentions]))
    report = score(as_gold(articles), predictions)
    report["mentions"] = mention_scores(pairs)
    report["mentions_all"] = mention_scores(pairs_all)
    report["min_entity_score"] = min_entity_score
    report["model"] = model.name
    report["split"] = split
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--split", default="dev", choices=("train", "dev", "test"))
    parser.add_argument("--onnx")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--min-entity-score", type=float, default=MIN_ENTITY_SCORE)
    args = parser.parse_args()
    report = evaluate_model(args.model_dir, args.split, args.onnx, args.min_entity_score)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    e, m = report["entities"], report["mentions"]
    types = " ".join(f"{t}={e['per_type'][t]['f1']:.3f}" for t in e["per_type"])
    print(
        f"{report['model']} {args.split}: entity F1 {e['micro']['f1']:.3f} ({types}); "
        f"mention F1 {m['micro']['f1']:.3f}; topic top-1 {report['topics']['top1_accuracy']:.3f}"
    )


if __name__ == "__main__":
    main()
