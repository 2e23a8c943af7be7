"""Topics from the NER model's own pass: a multi-label classifier over the document vector.

One logistic regression per topic (trained in training/topics_train.py on the labelled corpus)
over the standardised document vector that enrich/transformer_ner.py returns with the entities.
An article gets its most probable topic, and up to two more whose probability passes
`threshold`. It knows the topic ids it was trained on; a taxonomy with other ids (a user's edit
of schemas/topics.yaml) needs the zero-shot classifier instead (enrich/topics.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from enrich.topics import Taxonomy
from schemas.enrichment import TopicScore

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TopicClassifier:
    ids: tuple[str, ...]
    weights: FloatArray  # [topics, features]
    bias: FloatArray  # [topics]
    mean: FloatArray  # [features]
    scale: FloatArray  # [features]
    threshold: float
    max_topics: int
    name: str

    @classmethod
    def load(cls, directory: Path) -> TopicClassifier:
        meta = json.loads((directory / "topics.json").read_text())
        arrays = np.load(directory / "topics.npz")
        return cls(
            tuple(meta["ids"]),
            arrays["weights"].astype(np.float32),
            arrays["bias"].astype(np.float32),
            arrays["mean"].astype(np.float32),
            arrays["scale"].astype(np.float32),
            float(meta["threshold"]),
            int(meta.get("max_topics", 3)),
            str(meta["name"]),
        )

    def save(self, directory: Path) -> None:
        np.savez(
            directory / "topics.npz",
            weights=self.weights,
            bias=self.bias,
            mean=self.mean,
            scale=self.scale,
        )
        meta = {
            "name": self.name,
            "ids": list(self.ids),
            "threshold": self.threshold,
            "max_topics": self.max_topics,
        }
        (directory / "topics.json").write_text(json.dumps(meta, indent=2) + "\n")

    def fits(self, taxonomy: Taxonomy) -> bool:
        return set(self.ids) == set(taxonomy.ids)

    def probabilities(self, vectors: FloatArray) -> FloatArray:
        z = ((vectors - self.mean) / self.scale) @ self.weights.T + self.bias
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def classify(self, vectors: FloatArray, taxonomy: Taxonomy) -> list[list[TopicScore]]:
        labels = dict(zip(taxonomy.ids, taxonomy.labels, strict=True))
        out = []
        for p in self.probabilities(vectors):
            order = np.argsort(-p)
            chosen = [order[0], *(i for i in order[1 : self.max_topics] if p[i] >= self.threshold)]
            out.append(
                [
                    TopicScore(self.ids[i], labels[self.ids[i]], round(float(p[i]), 4))
                    for i in chosen
                ]
            )
        return out
