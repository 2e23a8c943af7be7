"""What analysts ask the index: full-text search with entity and topic facets."""

from __future__ import annotations

from typing import Any

FACETS = (
    ("PER", "persons"),
    ("ORG", "organizations"),
    ("LOC", "locations"),
    ("MISC", "misc_entities"),
)


def search_body(query: str, size: int = 10) -> dict[str, Any]:
    must: list[dict[str, Any]] = (
        [
            {
                "multi_match": {
                    "query": query,
                    "fields": ["title^3", "body", "persons^2", "organizations^2", "locations^2"],
                }
            }
        ]
        if query.strip() and query.strip() != "*"
        else [{"match_all": {}}]
    )
    return {
        "size": size,
        "query": {"bool": {"must": must}},
        "sort": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
        "_source": {"excludes": ["body", "entities.mentions"]},
        "highlight": {"fields": {"body": {"fragment_size": 160, "number_of_fragments": 1}}},
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
            lines.append(f"  {kind:<9} {', '.join(names[:12])}{' ...' if len(names) > 12 else ''}")
    fragments = hit.get("highlight", {}).get("body", [])
    if fragments:
        lines.append(f"  > {fragments[0].replace(chr(10), ' ')}")
    return "\n".join(lines)
