"""The output document: what analysts find in Elasticsearch (mapping in index_template.json)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.article import ArticleRecord, Subject, parse_timestamp
from schemas.enrichment import Enrichment, EntityMention
from schemas.source import KafkaCoordinates
from schemas.version import PIPELINE_VERSION

# Entity type -> the keyword field analysts filter and aggregate on.
FACET_FIELDS = {
    "PER": "persons",
    "ORG": "organizations",
    "LOC": "locations",
    "MISC": "misc_entities",
}


@dataclass(frozen=True)
class IndexRequest:
    """One document to write, with the record it came from (for its outcome or dead letter)."""

    doc_id: str
    document: dict[str, Any]
    source: KafkaCoordinates | None
    original: bytes
    version: int | None = None  # epoch ms of the article's newest timestamp; newest wins


def _mention(article: ArticleRecord, mention: EntityMention) -> dict[str, Any]:
    field, start = article.locate(mention.start)
    return {
        "text": mention.text,
        "field": field,
        "start": start,
        "end": start + (mention.end - mention.start),
        "score": mention.score,
    }


def build_document(
    article: ArticleRecord,
    enrichment: Enrichment,
    source: KafkaCoordinates | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    facets: dict[str, list[str]] = {name: [] for name in FACET_FIELDS.values()}
    for entity in enrichment.entities:
        facets[FACET_FIELDS[entity.type]].append(entity.name)
    return {
        "doc_id": article.doc_id,
        "article_id": article.id,
        "url": article.url,
        "title": article.title,
        "body": article.body,
        "source": article.source,
        "authors": list(article.authors),
        "section": article.section,
        "language": article.language,
        "language_declared": article.language_declared,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "updated_at": article.updated_at.isoformat() if article.updated_at else None,
        "fingerprint": article.fingerprint,
        "source_format": article.source_format,
        "item_version": article.item_version,
        "subjects": [s.to_json() for s in article.subjects],
        "body_truncated": article.body_truncated,
        "indexed_at": (now or datetime.now(UTC)).isoformat(),
        "body_chars": len(article.body),
        **facets,
        "entities": [
            {
                "name": e.name,
                "type": e.type,
                "count": e.count,
                "first_offset": e.first_offset,
                "score": e.score,
                "mentions": [_mention(article, m) for m in e.mentions],
            }
            for e in enrichment.entities
        ],
        "topic_labels": [t.label for t in enrichment.topics],
        "topics": [{"label": t.label, "score": t.score} for t in enrichment.topics],
        "provenance": {
            "pipeline_version": PIPELINE_VERSION,
            "kafka": None
            if source is None
            else {
                "topic": source.topic,
                "partition": source.partition,
                "offset": source.offset,
                "timestamp": source.timestamp_ms,
            },
            "ner_model": enrichment.ner_model,
            "ner_skipped": enrichment.ner_skipped_reason,
            "topic_model": enrichment.topic_model,
        },
    }


def article_from_document(doc: dict[str, Any]) -> tuple[ArticleRecord, KafkaCoordinates | None]:
    """The article a document was built from (for re-enrichment when the models change)."""

    def when(name: str) -> datetime | None:
        value = doc.get(name)
        return parse_timestamp(value) if value else None

    article = ArticleRecord(
        doc_id=doc["doc_id"],
        title=doc.get("title") or "",
        body=doc.get("body") or "",
        id=doc.get("article_id"),
        url=doc.get("url"),
        source=doc.get("source"),
        authors=tuple(doc.get("authors") or ()),
        published_at=when("published_at"),
        updated_at=when("updated_at"),
        language=doc.get("language") or "und",
        language_declared=doc.get("language_declared"),
        section=doc.get("section"),
        body_truncated=bool(doc.get("body_truncated")),
        fingerprint=doc.get("fingerprint") or "",
        subjects=tuple(Subject(**s) for s in doc.get("subjects") or ()),
        source_format=doc.get("source_format") or "newswire",
        item_version=doc.get("item_version"),
    )
    kafka = (doc.get("provenance") or {}).get("kafka")
    source = (
        KafkaCoordinates(
            kafka["topic"], kafka["partition"], kafka["offset"], kafka.get("timestamp")
        )
        if kafka
        else None
    )
    return article, source


def document_version(doc: dict[str, Any]) -> int | None:
    """The external version a document is written with (see ArticleRecord.version_ms)."""
    return article_from_document(doc)[0].version_ms
