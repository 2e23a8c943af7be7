"""Zero-shot topic classification by embedding similarity to label descriptions.

Similarities of a small sentence encoder are low in absolute terms (0.05-0.4), so topics are
chosen relative to the best one: the top topic, and any other within `margin` of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from enrich.encoder import FloatArray, OnnxEncoder
from schemas.enrichment import TopicScore

DEFAULT_TOPICS_FILE = Path(__file__).resolve().parents[1] / "schemas" / "topics.yaml"
PROMPT = "This news article is about {}."


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: str
    ids: tuple[str, ...]
    labels: tuple[str, ...]
    descriptions: tuple[tuple[str, ...], ...]

    @classmethod
    def load(cls, path: Path = DEFAULT_TOPICS_FILE) -> Taxonomy:
        data = yaml.safe_load(path.read_text())
        topics = data["topics"]
        return cls(
            name=str(data.get("taxonomy", path.stem)),
            version=str(data.get("version", "")),
            ids=tuple(str(t["id"]) for t in topics),
            labels=tuple(str(t["label"]) for t in topics),
            descriptions=tuple(tuple(t.get("descriptions") or [t["label"]]) for t in topics),
        )


def document_chunks(
    title: str, body: str, max_chunks: int = 3, chunk_chars: int = 1000
) -> list[str]:
    """The title with the lead, then a few more body chunks: enough to know what it is about."""
    chunks = [f"{title}. {body[:chunk_chars]}".strip(". ")]
    rest = body[chunk_chars:]
    while rest and len(chunks) < max_chunks:
        chunks.append(rest[:chunk_chars])
        rest = rest[chunk_chars:]
    return chunks


def select(
    scores: FloatArray, taxonomy: Taxonomy, margin: float, max_topics: int
) -> list[TopicScore]:
    order = np.argsort(-scores)
    best = float(scores[order[0]])
    chosen = [i for i in order[:max_topics] if float(scores[i]) >= best - margin]
    return [
        TopicScore(taxonomy.ids[i], taxonomy.labels[i], round(float(scores[i]), 4)) for i in chosen
    ]


class ZeroShotTopics:
    def __init__(
        self,
        encoder: OnnxEncoder,
        taxonomy: Taxonomy,
        margin: float = 0.04,
        max_topics: int = 3,
    ) -> None:
        self.encoder = encoder
        self.taxonomy = taxonomy
        self.margin = margin
        self.max_topics = max_topics
        prompts = [PROMPT.format(d) for ds in taxonomy.descriptions for d in ds]
        vectors = encoder.embed(prompts)
        rows, cursor = [], 0
        for ds in taxonomy.descriptions:
            mean = vectors[cursor : cursor + len(ds)].mean(axis=0)
            rows.append(mean / np.linalg.norm(mean))
            cursor += len(ds)
        self.label_matrix = np.vstack(rows).astype(np.float32)

    def classify_batch(
        self, titles: Sequence[str], bodies: Sequence[str]
    ) -> list[list[TopicScore]]:
        chunks = [document_chunks(t, b) for t, b in zip(titles, bodies, strict=True)]
        vectors = self.encoder.embed([c for cs in chunks for c in cs])
        out, cursor = [], 0
        for cs in chunks:
            doc = vectors[cursor : cursor + len(cs)].mean(axis=0)
            cursor += len(cs)
            doc = doc / max(float(np.linalg.norm(doc)), 1e-12)
            out.append(select(self.label_matrix @ doc, self.taxonomy, self.margin, self.max_topics))
        return out
