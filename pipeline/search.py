"""What analysts ask the index: search with filters, top and trending entities, co-occurrence.

Query builders are pure functions (tested against the real server in tests/integration);
the CLI only sends them and prints the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.document import FACET_FIELDS

FACETS = tuple(FACET_FIELDS.items())  # (type, field), in the order PER, ORG, LOC, MISC
FACET_BY_TYPE = FACET_FIELDS


@dataclass(frozen=True)
class Filters:
    entities: tuple[str, ...] = ()  # canonical names, any type
    entity_type: str | None = None  # with entities: only that type's facet
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: str | None = None  # date math or ISO date, e.g. now-7d, 2024-01-01
    until: str | None = None
    language: str | None = None


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for name in filters.entities:
        if filters.entity_type:
            clauses.append({"term": {FACET_BY_TYPE[filters.entity_type]: name}})
        else:
            clauses.append(
                {
                    "bool": {
                        "should": [{"term": {f: name}} for _, f in FACETS],
                        "minimum_should_match": 1,
                    }
                }
            )
    if filters.topics:
        clauses.append({"terms": {"topic_labels": list(filters.topics)}})
    if filters.sources:
        clauses.append({"terms": {"source": list(filters.sources)}})
    if filters.language:
        clauses.append({"term": {"language": filters.language}})
    if filters.since or filters.until:
        bounds = {"gte": filters.since, "lte": filters.until}
        clauses.append({"range": {"published_at": {k: v for k, v in bounds.items() if v}}})
    return clauses


def search_body(query: str, size: int = 10, filters: Filters | None = None) -> dict[str, Any]:
    text = query.strip()
    must: list[dict[str, Any]] = (
        [
            {
                "multi_match": {
                    "query": text,
                    "fields": ["title^3", "body", "persons^2", "organizations^2", "locations^2"],
                }
            }
        ]
        if text and text != "*"
        else [{"match_all": {}}]
    )
    return {
        "size": size,
        "query": {"bool": {"must": must, "filter": filter_clauses(filters or Filters())}},
        "sort": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
        "_source": {"excludes": ["body", "entities.mentions"]},
        "highlight": {
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 160, "number_of_fragments": 2},
            },
            "pre_tags": ["«"],
            "post_tags": ["»"],
        },
    }


def top_entities_body(
    top: int, filters: Filters | None = None, types: tuple[str, ...] = ("PER", "ORG", "LOC")
) -> dict[str, Any]:
    """The most mentioned entities per type (in how many articles they appear)."""
    return {
        "size": 0,
        "query": {"bool": {"filter": filter_clauses(filters or Filters())}},
        "aggs": {t: {"terms": {"field": FACET_BY_TYPE[t], "size": top}} for t in types},
    }


def trending_entities_body(
    top: int, since: str, types: tuple[str, ...] = ("PER", "ORG", "LOC")
) -> dict[str, Any]:
    """Entities unusually frequent since `since` compared with the whole index
    (significant_terms: foreground = the recent articles, background = all)."""
    return {
        "size": 0,
        "query": {"range": {"published_at": {"gte": since}}},
        "aggs": {
            t: {"significant_terms": {"field": FACET_BY_TYPE[t], "size": top, "min_doc_count": 2}}
            for t in types
        },
    }


def cooccurring_body(name: str, top: int, filters: Filters | None = None) -> dict[str, Any]:
    """Entities that appear in the same articles as `name`, per type."""
    base = Filters(
        entities=(name,),
        entity_type=(filters.entity_type if filters else None),
        topics=filters.topics if filters else (),
        sources=filters.sources if filters else (),
        since=filters.since if filters else None,
        until=filters.until if filters else None,
    )
    return {
        "size": 0,
        "query": {"bool": {"filter": filter_clauses(base)}},
        "aggs": {
            t: {"terms": {"field": f, "size": top + 1, "exclude": [name]}} for t, f in FACETS[:3]
        },
    }


def buckets(response: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    return {
        name: [(str(b["key"]), int(b["doc_count"])) for b in agg["buckets"]]
        for name, agg in response.get("aggregations", {}).items()
    }


def format_hit(hit: dict[str, Any]) -> str:
    doc = hit["_source"]
    lines = [f"{doc.get('title') or '(untitled)'}"]
    meta = " | ".join(
        str(v) for v in (doc.get("source"), doc.get("published_at"), doc.get("doc_id")) if v
    )
    lines.append(f"  {meta}")
    topics = ", ".join(f"{t['label']} ({t['score']:.2f})" for t in doc.get("topics", []))
    lines.append(f"  topics:   {topics or '-'}")
    for kind, fieldname in FACETS:
        names = doc.get(fieldname) or []
        if names:
            more = " ..." if len(names) > 12 else ""
            lines.append(f"  {kind:<9} {', '.join(names[:12])}{more}")
    for fragment in hit.get("highlight", {}).get("body", []):
        lines.append(f"  > {fragment.replace(chr(10), ' ')}")
    return "\n".join(lines)


def format_buckets(title: str, result: dict[str, list[tuple[str, int]]]) -> str:
    lines = [title]
    for kind, rows in result.items():
        lines.append(f"  {kind}")
        lines.extend(f"    {count:>6}  {key}" for key, count in rows)
        if not rows:
            lines.append("    (none)")
    return "\n".join(lines)
