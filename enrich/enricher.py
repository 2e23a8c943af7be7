"""Everything the models add to an article, in one batched call; knows nothing of Beam or Kafka."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from enrich.encoder import EncoderConfig, OnnxEncoder
from enrich.entities import group_mentions
from enrich.ner import NerModel
from enrich.ner_head import NerHead
from enrich.topics import Taxonomy, ZeroShotTopics
from schemas.article import ArticleRecord
from schemas.enrichment import Enrichment


@dataclass(frozen=True)
class ModelPaths:
    encoder_dir: Path  # model.onnx + tokenizer.json
    ner_head_dir: Path  # head.npz + head.json
    topics_file: Path
    threads: int = 0


def is_english(language: str | None) -> bool:
    """English, or too short to tell: the English NER model runs on these."""
    return language is None or language.split("-")[0] in ("en", "eng", "und", "")


class Enricher:
    """Loads the encoder once and shares it between NER and topic classification.

    One batch runs at a time: onnxruntime already spreads a batch over every core, and Beam
    calls a shared model from several bundle threads at once. Letting them overlap
    oversubscribed the cores: the streaming pipeline reached 0.61 of the model-only rate; with
    batches queued here, 0.88 (docs/performance.md).
    """

    def __init__(self, paths: ModelPaths) -> None:
        encoder = OnnxEncoder(
            EncoderConfig(
                paths.encoder_dir / "model.onnx",
                paths.encoder_dir / "tokenizer.json",
                threads=paths.threads,
            )
        )
        self.ner = NerModel(encoder, NerHead.load(paths.ner_head_dir))
        taxonomy = Taxonomy.load(paths.topics_file)
        self.topics = ZeroShotTopics(encoder, taxonomy)
        self.topic_model = f"zero-shot:{paths.encoder_dir.name}:{taxonomy.name}@{taxonomy.version}"
        self._lock = threading.Lock()

    def enrich_batch(self, articles: Sequence[ArticleRecord]) -> list[Enrichment]:
        return self.timed_batch(articles)[0]

    def timed_batch(self, articles: Sequence[ArticleRecord]) -> tuple[list[Enrichment], float]:
        """The enrichments, and the seconds the models ran (not counting the wait for them)."""
        with self._lock:
            started = time.perf_counter()
            return self._enrich_batch(articles), time.perf_counter() - started

    def _enrich_batch(self, articles: Sequence[ArticleRecord]) -> list[Enrichment]:
        english = [i for i, a in enumerate(articles) if is_english(a.language)]
        mentions = self.ner.extract_batch([articles[i].text for i in english])
        entities_by_index = {i: group_mentions(m) for i, m in zip(english, mentions, strict=True)}
        topics = self.topics.classify_batch([a.title for a in articles], [a.body for a in articles])
        return [
            Enrichment(
                entities=tuple(entities_by_index.get(i, ())),
                topics=tuple(topics[i]),
                ner_model=self.ner.name,
                topic_model=self.topic_model,
                ner_skipped_reason=None if i in entities_by_index else "language not supported",
            )
            for i in range(len(articles))
        ]
