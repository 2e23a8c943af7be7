"""Everything the models add to an article, in one batched call; knows nothing of Beam or Kafka."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from enrich.entities import MIN_ENTITY_SCORE, confident_entities, group_mentions
from enrich.topic_classifier import TopicClassifier
from enrich.topics import Taxonomy, ZeroShotTopics
from enrich.transformer_ner import TransformerNer
from schemas.article import ArticleRecord
from schemas.enrichment import Enrichment, EntityMention, TopicScore

PRECISIONS = {"int8": "model.int8.onnx", "fp32": "model.fp32.onnx"}


@dataclass(frozen=True)
class ModelPaths:
    """Which models to run, resolved once (deploy/models/store.py `model_paths`)."""

    model_dir: Path  # newswire's model: model.json, model.<precision>.onnx, tokenizer, topics
    topics_file: Path  # the taxonomy (labels); schemas/topics.yaml by default
    threads: int = 0
    precision: str = "int8"
    ner_model: str = ""  # a Hugging Face token-classification checkpoint instead of ours
    zero_shot_encoder_dir: Path | None = None  # set when topics must be zero-shot
    min_entity_score: float = MIN_ENTITY_SCORE  # entities less sure than this are left out


def is_english(language: str | None) -> bool:
    """English, or too short to tell: the English NER model runs on these."""
    return language is None or language.split("-")[0] in ("en", "eng", "und", "")


class Enricher:
    """Loads the models once; one encoder pass gives entities and the topics' document vector.

    One batch runs at a time: onnxruntime already spreads a batch over every core, and Beam
    calls a shared model from several bundle threads at once. Letting them overlap
    oversubscribed the cores: the streaming pipeline reached 0.61 of the model-only rate; with
    batches queued here, 0.88 (docs/performance.md).
    """

    def __init__(self, paths: ModelPaths) -> None:
        self.model = TransformerNer(paths.model_dir, PRECISIONS[paths.precision], paths.threads)
        self.own_ner = not paths.ner_model
        if paths.ner_model:
            from enrich.hf_ner import HfTokenClassifier

            self.byo = HfTokenClassifier(paths.ner_model, paths.threads)
            self.ner_model = self.byo.name
        else:
            self.ner_model = self.model.name
        self.taxonomy = Taxonomy.load(paths.topics_file)
        self.zero_shot: ZeroShotTopics | None = None
        if paths.zero_shot_encoder_dir is not None:
            from enrich.encoder import EncoderConfig, OnnxEncoder

            encoder_dir = paths.zero_shot_encoder_dir
            encoder = OnnxEncoder(
                EncoderConfig(
                    encoder_dir / "model.onnx",
                    encoder_dir / "tokenizer.json",
                    threads=paths.threads,
                )
            )
            self.zero_shot = ZeroShotTopics(encoder, self.taxonomy)
            self.topic_model = (
                f"zero-shot:{encoder_dir.name}:{self.taxonomy.name}@{self.taxonomy.version}"
            )
        else:
            self.classifier = TopicClassifier.load(paths.model_dir)
            if not self.classifier.fits(self.taxonomy):
                raise ValueError(
                    f"{paths.topics_file}: its topic ids differ from those the topic classifier "
                    "was trained on; topics must come from the zero-shot classifier"
                )
            self.topic_model = (
                f"{self.classifier.name}:{self.taxonomy.name}@{self.taxonomy.version}"
            )
        self.min_entity_score = paths.min_entity_score
        self._lock = threading.Lock()

    def enrich_batch(self, articles: Sequence[ArticleRecord]) -> list[Enrichment]:
        return self.timed_batch(articles)[0]

    def timed_batch(self, articles: Sequence[ArticleRecord]) -> tuple[list[Enrichment], float]:
        """The enrichments, and the seconds the models ran (not counting the wait for them)."""
        with self._lock:
            started = time.perf_counter()
            return self._enrich_batch(articles), time.perf_counter() - started

    def _topics(
        self, articles: Sequence[ArticleRecord], vectors: dict[int, np.ndarray]
    ) -> list[list[TopicScore]]:
        if self.zero_shot is not None:
            return self.zero_shot.classify_batch(
                [a.title for a in articles], [a.body for a in articles]
            )
        missing = [i for i in range(len(articles)) if i not in vectors]
        if missing:  # not English: the model still reads it for its topic vector
            for i, analysis in zip(
                missing, self.model.analyse_batch([articles[i].text for i in missing]), strict=True
            ):
                vectors[i] = analysis.doc_vector
        matrix = np.vstack([vectors[i] for i in range(len(articles))])
        return self.classifier.classify(matrix, self.taxonomy)

    def _enrich_batch(self, articles: Sequence[ArticleRecord]) -> list[Enrichment]:
        english = [i for i, a in enumerate(articles) if is_english(a.language)]
        texts = [articles[i].text for i in english]
        vectors: dict[int, np.ndarray] = {}
        mentions: list[list[EntityMention]]
        if self.own_ner:
            analyses = self.model.analyse_batch(texts)
            mentions = [a.mentions for a in analyses]
            vectors = {i: a.doc_vector for i, a in zip(english, analyses, strict=True)}
        else:
            mentions = self.byo.extract_batch(texts)
        entities_by_index = {
            i: confident_entities(group_mentions(m), self.min_entity_score)
            for i, m in zip(english, mentions, strict=True)
        }
        topics = self._topics(articles, vectors) if articles else []
        return [
            Enrichment(
                entities=tuple(entities_by_index.get(i, ())),
                topics=tuple(topics[i]),
                ner_model=self.ner_model,
                topic_model=self.topic_model,
                ner_skipped_reason=None if i in entities_by_index else "language not supported",
            )
            for i in range(len(articles))
        ]
