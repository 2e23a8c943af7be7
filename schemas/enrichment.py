"""What the models add to an article: the value types model code returns and documents carry.

They live with the contracts, not with the models (as Beam's `PredictionResult` lives beside
`ModelHandler`), so the output document and the index request depend on no model code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EntityMention:
    text: str
    type: str  # PER, ORG, LOC, MISC
    start: int  # character offsets into the article text
    end: int
    score: float


@dataclass(frozen=True)
class Entity:
    name: str
    type: str
    count: int
    first_offset: int
    score: float
    mentions: tuple[EntityMention, ...]


@dataclass(frozen=True)
class TopicScore:
    id: str
    label: str
    score: float


@dataclass(frozen=True)
class Enrichment:
    entities: tuple[Entity, ...]
    topics: tuple[TopicScore, ...]
    ner_model: str
    topic_model: str
    ner_skipped_reason: str | None = None
