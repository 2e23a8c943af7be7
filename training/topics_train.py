"""Train the topic classifier on the NER model's document vectors (one pass serves both).

One-vs-rest logistic regression in numpy over standardised vectors, on the gold train split;
L2 strength and the threshold for second and third topics chosen on the dev split (best topic
right first, then the F1 of the topic sets). The vectors come from the very model that serves
(int8), so training and serving see the same numbers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from enrich.topic_classifier import TopicClassifier
from enrich.transformer_ner import TransformerNer

ROOT = Path(__file__).resolve().parents[1]
TOPICS_FILE = ROOT / "schemas" / "topics.yaml"
L2 = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float, epochs: int = 400, lr: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on the mean logistic loss plus l2/2 |w|^2, per topic."""
    n, d = x.shape
    w = np.zeros((y.shape[1], d), dtype=np.float64)
    b = np.zeros(y.shape[1], dtype=np.float64)
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-(x @ w.T + b)))
        g = p - y
        w -= lr * (g.T @ x / n + l2 * w)
        b -= lr * g.mean(axis=0)
    return w.astype(np.float32), b.astype(np.float32)


def topic_scores(
    classifier: TopicClassifier, x: np.ndarray, gold: Sequence[Sequence[str]]
) -> dict[str, float]:
    probs = classifier.probabilities(x)
    top1 = tp = fp = fn = 0
    for p, wanted in zip(probs, gold, strict=True):
        order = np.argsort(-p)
        chosen = {classifier.ids[order[0]]} | {
            classifier.ids[i]
            for i in order[1 : classifier.max_topics]
            if p[i] >= classifier.threshold
        }
        top1 += classifier.ids[order[0]] in wanted
        tp += len(chosen & set(wanted))
        fp += len(chosen - set(wanted))
        fn += len(set(wanted) - chosen)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"top1": round(top1 / len(gold), 4), "set_f1": round(f1, 4)}


def vectors(model: TransformerNer, texts: Sequence[str]) -> np.ndarray:
    out: list[np.ndarray] = []
    for i in range(0, len(texts), 8):
        out.extend(a.doc_vector for a in model.analyse_batch(texts[i : i + 8]))
    return np.vstack(out)


def train_topics(model_dir: Path, name: str) -> dict[str, Any]:
    from training.corpus_splits import labelled, texts_for

    started = time.time()
    ids = [t["id"] for t in yaml.safe_load(TOPICS_FILE.read_text())["topics"]]
    model = TransformerNer(model_dir)
    data = {}
    for split in ("train", "dev"):
        articles = labelled(split)
        texts = texts_for(articles)
        x = vectors(model, [texts[a.id] for a in articles])
        y = np.array([[t in a.topics for t in ids] for a in articles], dtype=np.float64)
        data[split] = (x, y, [a.topics for a in articles])
    x_train, y_train, _ = data["train"]
    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0) + 1e-6
    z_train = (x_train - mean) / scale
    trials = []
    for l2 in L2:
        w, b = fit_logistic(z_train, y_train, l2)
        for threshold in THRESHOLDS:
            c = TopicClassifier(
                tuple(ids),
                w,
                b,
                mean.astype(np.float32),
                scale.astype(np.float32),
                threshold,
                3,
                name,
            )
            dev = topic_scores(c, data["dev"][0], data["dev"][2])
            trials.append(((dev["top1"], dev["set_f1"]), l2, threshold, c, dev))
    trials.sort(key=lambda t: t[0], reverse=True)
    _, l2, threshold, best, dev = trials[0]
    best.save(model_dir)
    return {
        "l2": l2,
        "threshold": threshold,
        "dev": dev,
        "train_articles": len(y_train),
        "seconds": round(time.time() - started, 1),
        "trials": [{"l2": t[1], "threshold": t[2], **t[4]} for t in trials],
    }


def stage_topics(work: Path, recipe: Any, export: Path) -> Path:
    stage = work / "topics"
    if not (stage / ".done").exists():
        stage.mkdir(parents=True, exist_ok=True)
        info = train_topics(export, f"{recipe.name}-topics@{recipe.version}")
        (stage / "stage.json").write_text(json.dumps(info, indent=2) + "\n")
        (stage / ".done").touch()
    return export
