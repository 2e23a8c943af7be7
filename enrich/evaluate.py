"""Scoring entities and topics against a labelled set: pure functions, no models.

Entities are scored per article at the level analysts use them: distinct entities with a type.
A predicted entity matches a gold one when the types agree and one of its surface forms (the
canonical name or any mention) equals one of the gold entity's forms (its name or aliases),
ignoring case, surrounding punctuation and a leading "the". Each gold entity matches at most one
prediction. Topics: top-1 accuracy (the best predicted topic is one of the gold topics) and the
precision/recall of the predicted set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TYPES = ("PER", "ORG", "LOC", "MISC")


@dataclass(frozen=True)
class GoldEntity:
    name: str
    type: str
    aliases: tuple[str, ...] = ()

    def forms(self) -> set[str]:
        return {normalise(f) for f in (self.name, *self.aliases)}


@dataclass(frozen=True)
class GoldArticle:
    id: str
    entities: tuple[GoldEntity, ...]
    topics: tuple[str, ...]
    feed_line: int | None = None
    title: str = ""


@dataclass(frozen=True)
class PredictedEntity:
    name: str
    type: str
    forms: tuple[str, ...] = ()  # mention surfaces besides the name

    def normalised_forms(self) -> set[str]:
        return {normalise(f) for f in (self.name, *self.forms)}


@dataclass(frozen=True)
class Prediction:
    entities: tuple[PredictedEntity, ...]
    topics: tuple[str, ...]  # best first


def normalise(text: str) -> str:
    text = " ".join(text.split()).strip(" .,;:'\"’‘“”()[]").casefold()
    return text[4:] if text.startswith("the ") else text


def load_gold(path: Path) -> list[GoldArticle]:
    articles = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            entities = tuple(
                GoldEntity(e["name"], e["type"], tuple(e.get("aliases", ())))
                for e in raw["entities"]
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled article ({exc})") from None
        unknown = {e.type for e in entities} - set(TYPES)
        if unknown:
            raise ValueError(f"{path}:{number}: unknown entity types {sorted(unknown)}")
        articles.append(
            GoldArticle(
                raw["id"],
                entities,
                tuple(raw.get("topics", ())),
                raw.get("feed_line"),
                raw.get("title", ""),
            )
        )
    return articles


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict[str, float | int]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "support": self.tp + self.fn,
            "predicted": self.tp + self.fp,
        }


@dataclass
class ArticleErrors:
    id: str
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)


def match_entities(
    gold: Sequence[GoldEntity], predicted: Sequence[PredictedEntity], typed: bool = True
) -> tuple[list[tuple[GoldEntity, PredictedEntity]], list[GoldEntity], list[PredictedEntity]]:
    """Greedy one-to-one matching: (pairs, unmatched gold, unmatched predictions)."""
    pairs = []
    free = list(predicted)
    missed = []
    for g in gold:
        forms = g.forms()
        hit = next(
            (p for p in free if (not typed or p.type == g.type) and p.normalised_forms() & forms),
            None,
        )
        if hit is None:
            missed.append(g)
        else:
            pairs.append((g, hit))
            free.remove(hit)
    return pairs, missed, free


def score(gold: Iterable[GoldArticle], predictions: dict[str, Prediction]) -> dict[str, Any]:
    per_type = {t: Counts() for t in TYPES}
    untyped = Counts()
    topics_top1 = 0
    topics_set = Counts()
    errors = []
    articles = 0
    for article in gold:
        articles += 1
        prediction = predictions[article.id]
        pairs, missed, spurious = match_entities(article.entities, prediction.entities)
        for g, _p in pairs:
            per_type[g.type].tp += 1
        for g in missed:
            per_type[g.type].fn += 1
        for p in spurious:
            if p.type in per_type:
                per_type[p.type].fp += 1
        u_pairs, u_missed, u_spurious = match_entities(
            article.entities, prediction.entities, typed=False
        )
        untyped.tp += len(u_pairs)
        untyped.fn += len(u_missed)
        untyped.fp += len(u_spurious)
        if prediction.topics and prediction.topics[0] in article.topics:
            topics_top1 += 1
        chosen, wanted = set(prediction.topics), set(article.topics)
        topics_set.tp += len(chosen & wanted)
        topics_set.fp += len(chosen - wanted)
        topics_set.fn += len(wanted - chosen)
        if missed or spurious:
            errors.append(
                ArticleErrors(
                    article.id,
                    [f"{g.type} {g.name}" for g in missed],
                    [f"{p.type} {p.name}" for p in spurious],
                )
            )
    overall = Counts(
        sum(c.tp for c in per_type.values()),
        sum(c.fp for c in per_type.values()),
        sum(c.fn for c in per_type.values()),
    )
    return {
        "articles": articles,
        "entities": {
            "micro": overall.scores(),
            "per_type": {t: c.scores() for t, c in per_type.items()},
            "ignoring_type": untyped.scores(),
        },
        "topics": {
            "top1_accuracy": round(topics_top1 / articles, 4) if articles else 0.0,
            "set": topics_set.scores(),
        },
        "errors": [vars(e) for e in errors],
    }


def table(report: dict[str, Any]) -> list[str]:
    """The per-type scores as a Markdown table."""
    rows = ["| type | precision | recall | F1 | gold | predicted |", "|---|---|---|---|---|---|"]
    entities = report["entities"]
    for name, s in [
        *entities["per_type"].items(),
        ("all (micro)", entities["micro"]),
        ("any type", entities["ignoring_type"]),
    ]:
        rows.append(
            f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
            f"{s['support']} | {s['predicted']} |"
        )
    topics = report["topics"]
    rows.append("")
    rows.append(
        f"topics: top-1 accuracy {topics['top1_accuracy']:.3f}; predicted set precision "
        f"{topics['set']['precision']:.3f}, recall {topics['set']['recall']:.3f}"
    )
    return rows
