"""Scoring span predictions: CoNLL mention F1 (exact span and type) and the project's entity F1.

The entity-level score is `newswire eval`'s (distinct entities per article, any surface form),
so teachers, the old head and the new model are compared with the very same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from enrich.entities import group_mentions
from enrich.evaluate import TYPES, Counts, GoldArticle, PredictedEntity, Prediction, score
from schemas.enrichment import EntityMention
from training.corpus import Span


def mention_counts(gold: Sequence[Span], predicted: Sequence[Span]) -> dict[str, Counts]:
    counts = {t: Counts() for t in TYPES}
    g = {(s.start, s.end, s.type) for s in gold}
    p = {(s.start, s.end, s.type) for s in predicted}
    for _, _, t in g & p:
        counts[t].tp += 1
    for _, _, t in g - p:
        counts[t].fn += 1
    for _, _, t in p - g:
        if t in counts:
            counts[t].fp += 1
    return counts


def mention_scores(pairs: Sequence[tuple[Sequence[Span], Sequence[Span]]]) -> dict[str, Any]:
    total = {t: Counts() for t in TYPES}
    for gold, predicted in pairs:
        for t, c in mention_counts(gold, predicted).items():
            total[t].tp += c.tp
            total[t].fp += c.fp
            total[t].fn += c.fn
    micro = Counts(*(sum(getattr(c, f) for c in total.values()) for f in ("tp", "fp", "fn")))
    return {"micro": micro.scores(), "per_type": {t: c.scores() for t, c in total.items()}}


def prediction_from_spans(text: str, spans: Sequence[Span]) -> Prediction:
    mentions = [EntityMention(text[s.start : s.end], s.type, s.start, s.end, 1.0) for s in spans]
    entities = tuple(
        PredictedEntity(e.name, e.type, tuple(m.text for m in e.mentions))
        for e in group_mentions(mentions)
    )
    return Prediction(entities, ())


def entity_scores(
    gold: Sequence[GoldArticle], texts: Mapping[str, str], spans: Mapping[str, Sequence[Span]]
) -> dict[str, Any]:
    predictions = {g.id: prediction_from_spans(texts[g.id], spans[g.id]) for g in gold}
    return score(gold, predictions)["entities"]
