"""Which models run, decided once at the edge from the settings."""

from __future__ import annotations

from pathlib import Path

from deploy.models.store import encoder_dir, model_dir
from enrich.enricher import ModelPaths
from enrich.topic_classifier import TopicClassifier
from enrich.topics import DEFAULT_TOPICS_FILE, Taxonomy
from pipeline.settings import Settings


def model_paths(settings: Settings) -> ModelPaths:
    """Which models run, decided once here: the shipped model (or its fp32 build), a user's
    Hugging Face NER checkpoint, and trained or zero-shot topics for the taxonomy."""
    if settings.model_precision not in ("int8", "fp32"):
        raise ValueError(f"model_precision must be int8 or fp32, not {settings.model_precision!r}")
    if not 0.0 <= settings.min_entity_score <= 1.0:
        raise ValueError(f"min_entity_score must be between 0 and 1: {settings.min_entity_score}")
    if settings.topic_model not in ("auto", "trained", "zero-shot"):
        raise ValueError(
            f"topic_model must be auto, trained or zero-shot: {settings.topic_model!r}"
        )
    directory = model_dir(settings.model_precision)
    topics_file = Path(settings.topics_file) if settings.topics_file else DEFAULT_TOPICS_FILE
    fits = TopicClassifier.load(directory).fits(Taxonomy.load(topics_file))
    if settings.topic_model == "trained" and not fits:
        raise ValueError(
            f"{topics_file}: its topic ids differ from the ones the topic classifier was trained "
            "on; use --topic-model zero-shot (or auto)"
        )
    zero_shot = settings.topic_model == "zero-shot" or (settings.topic_model == "auto" and not fits)
    return ModelPaths(
        directory,
        topics_file,
        settings.model_threads,
        settings.model_precision,
        settings.ner_model,
        encoder_dir() if zero_shot else None,
        settings.min_entity_score,
    )
