"""Agreement between two labellings of the same articles (the blind second pass on test).

F1 between the two is symmetric (either side can be taken as gold). Entities are compared the
way `newswire eval` scores them (distinct entities, any surface form, by type), mentions as
CoNLL does (exact span and type), topics by whether the first topics agree and by the overlap
of the topic sets.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from enrich.evaluate import PredictedEntity, Prediction, score
from training.corpus import load_labels, project_spans
from training.corpus_splits import CORPUS, as_gold, label_files, texts_for
from training.span_scores import mention_scores


def agreement(first_files: list[Path], second: Path) -> dict[str, Any]:
    again = {a.id: a for a in load_labels([second])}
    before = [a for a in load_labels(first_files) if a.id in again]
    texts = texts_for(before)
    predictions = {
        a.id: Prediction(
            tuple(PredictedEntity(e.name, e.type, e.aliases) for e in again[a.id].entities),
            again[a.id].topics,
        )
        for a in before
    }
    entity = score(as_gold(before), predictions)
    mentions = mention_scores(
        [
            (
                project_spans(texts[a.id], a.entities),
                project_spans(texts[a.id], again[a.id].entities),
            )
            for a in before
        ]
    )
    first_topic = sum(1 for a in before if a.topics[:1] == again[a.id].topics[:1])
    jaccard = [
        len(set(a.topics) & set(again[a.id].topics)) / len(set(a.topics) | set(again[a.id].topics))
        for a in before
    ]
    return {
        "articles": len(before),
        "entities": entity["entities"],
        "mentions": mentions,
        "topics": {
            "same_first_topic": round(first_topic / len(before), 4),
            "mean_jaccard": round(sum(jaccard) / len(jaccard), 4),
            "second_first_topic_in_first_set": entity["topics"]["top1_accuracy"],
        },
        "differences": entity["errors"],
    }


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS / "agreement.json"
    firsts = label_files()
    report = agreement(firsts, CORPUS / "labels" / "blind.jsonl")
    out.write_text(json.dumps(report, indent=1) + "\n")
    e, m = report["entities"], report["mentions"]
    print(
        f"{report['articles']} articles; entity F1 {e['micro']['f1']:.3f} "
        + " ".join(f"{t}={e['per_type'][t]['f1']:.3f}" for t in e["per_type"])
        + f"; mention F1 {m['micro']['f1']:.3f}; topics {report['topics']}"
    )


if __name__ == "__main__":
    main()
