"""Score every teacher and their combinations on a labelled split; the best labels the silver.

python -m training.compare_teachers --split dev --out REPORT.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from deploy.models.store import teacher_python
from training.corpus import LabelledArticle, Span, project_spans
from training.corpus_splits import as_gold, labelled, texts_for
from training.span_scores import entity_scores, mention_scores
from training.teachers import combine, corenlp_tagger, spacy_tagger, tag_parallel

SPACY_SCRIPT = Path(__file__).resolve().with_name("spacy_teacher.py")

# Each combination: a base teacher, then (teacher, types) filling where the base found nothing.
COMBINATIONS: dict[str, list[tuple[str, set[str]]]] = {
    "all3 + conll4 MISC": [("corenlp-all3", {"PER", "ORG", "LOC"}), ("corenlp-conll4", {"MISC"})],
    "all3 + conll4 MISC + spacy MISC": [
        ("corenlp-all3", {"PER", "ORG", "LOC"}),
        ("corenlp-conll4", {"MISC"}),
        ("spacy", {"MISC"}),
    ],
    "conll4 + all3": [
        ("corenlp-conll4", {"PER", "ORG", "LOC", "MISC"}),
        ("corenlp-all3", {"PER", "ORG", "LOC"}),
    ],
    "all3 + conll4 + spacy MISC": [
        ("corenlp-all3", {"PER", "ORG", "LOC"}),
        ("corenlp-conll4", {"PER", "ORG", "LOC", "MISC"}),
        ("spacy", {"MISC"}),
    ],
}


def combined(outputs: dict[str, list[Span]], recipe: list[tuple[str, set[str]]]) -> list[Span]:
    spans: list[Span] = []
    for i, (teacher, types) in enumerate(recipe):
        chosen = [s for s in outputs[teacher] if s.type in types]
        spans = chosen if i == 0 else combine(spans, chosen, types)
    return spans


def taggers() -> dict[str, Any]:
    out: dict[str, Any] = {
        name: corenlp_tagger(name, heap="2g") for name in ("corenlp-all3", "corenlp-conll4")
    }
    out["spacy"] = spacy_tagger(teacher_python(), SPACY_SCRIPT)
    return out


def compare(labelled: list[LabelledArticle], texts: dict[str, str]) -> dict[str, Any]:
    gold = as_gold(labelled)
    ids = [g.id for g in gold]
    raw = tag_parallel(taggers(), [texts[i] for i in ids])
    per_article = {name: dict(zip(ids, spans, strict=True)) for name, spans in raw.items()}
    systems: dict[str, dict[str, list[Span]]] = dict(per_article)
    for name, recipe in COMBINATIONS.items():
        systems[name] = {
            i: combined({t: per_article[t][i] for t in per_article}, recipe) for i in ids
        }
    gold_by_id = {a.id: project_spans(texts[a.id], a.entities) for a in labelled}
    report = {}
    for name, spans in systems.items():
        report[name] = {
            "entities": entity_scores(gold, texts, spans),
            "mentions": mention_scores([(gold_by_id[i], spans[i]) for i in ids]),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("train", "dev", "test"), default="dev")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    labelled_articles = labelled(args.split)
    report = compare(labelled_articles, texts_for(labelled_articles))
    args.out.write_text(json.dumps(report, indent=1))
    for name, r in report.items():
        e, m = r["entities"], r["mentions"]
        types = " ".join(f"{t}={e['per_type'][t]['f1']:.3f}" for t in ("PER", "ORG", "LOC", "MISC"))
        scores = f"entity F1 {e['micro']['f1']:.3f} ({types}) mention F1 {m['micro']['f1']:.3f}"
        print(f"{name:34s} {scores}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
