"""What the templates show, built from Elasticsearch answers: pure functions, so the routes
stay thin and the page's links and labels are tested without a server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from newsroom import queries as q
from newsroom.marking import highlighted

FACET_LABELS = {**q.TYPE_LABELS, "topic": "Topics", "source": "Sources", "lang": "Languages"}


def entity_url(kind: str, name: str) -> str:
    return "/entity?" + urlencode({"type": kind, "name": name})


def search_url(state: q.SearchState) -> str:
    query = q.state_query_string(state)
    return "/" + ("?" + query if query else "")


def hit_view(hit: Mapping[str, Any]) -> dict[str, Any]:
    """One result: title and snippets with highlights (escaped), metadata, a few entities."""
    source = hit.get("_source") or {}
    lights = hit.get("highlight") or {}
    title = lights.get("title", [None])[0]
    return {
        "doc_id": source.get("doc_id") or hit.get("_id"),
        "title": highlighted(title) if title else (source.get("title") or "(untitled)"),
        "snippets": [highlighted(f) for f in lights.get("body", [])],
        "source": source.get("source"),
        "published": (source.get("published_at") or "")[:10],
        "language": source.get("language"),
        "topics": source.get("topic_labels") or [],
        "entities": [
            (kind, name)
            for kind, (_p, field) in q.ENTITY_TYPES.items()
            for name in (source.get(field) or [])[:4]
        ],
    }


def facets(state: q.SearchState, aggs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each facet's values with counts and the link that narrows the search by them."""
    return [
        {
            "kind": kind,
            "label": label,
            "values": [
                {
                    "value": str(b["key"]),
                    "count": b["doc_count"],
                    "href": search_url(state.adding(kind, str(b["key"]))),
                    "entity": entity_url(kind, str(b["key"])) if kind in q.ENTITY_TYPES else None,
                }
                for b in (aggs.get(kind) or {}).get("buckets", [])
            ],
        }
        for kind, label in FACET_LABELS.items()
    ]


def date_bars(
    state: q.SearchState, buckets: Sequence[Mapping[str, Any]], interval: str
) -> list[dict[str, Any]]:
    """The histogram's bars: label, count, height in % of the tallest, and the link that
    narrows the search to that period."""
    peak = max((b["doc_count"] for b in buckets), default=1) or 1
    width = {"year": 4, "quarter": 7, "month": 7}.get(interval, 10)
    bars = []
    for b in buckets:
        since, until = q.bucket_range(int(b["key"]), interval)
        bars.append(
            {
                "label": str(b["key_as_string"])[:width],
                "count": b["doc_count"],
                "height": max(4, round(100 * b["doc_count"] / peak)) if b["doc_count"] else 0,
                "href": search_url(q.with_dates(state, since, until)),
            }
        )
    return bars


def filter_chips(state: q.SearchState) -> list[dict[str, str]]:
    """The active filters, each with the link that removes it."""
    chips = [
        {"label": f"{q.TYPE_LABELS[k]}: {n}", "href": search_url(state.removing(k, n))}
        for k, n in state.entities
    ]
    for kind, values in (
        ("topic", state.topics),
        ("source", state.sources),
        ("lang", state.languages),
    ):
        chips.extend(
            {
                "label": f"{FACET_LABELS[kind].lower()[:-1]}: {v}",
                "href": search_url(state.removing(kind, v)),
            }
            for v in values
        )
    if state.since:
        chips.append(
            {"label": f"from {state.since}", "href": search_url(state.removing("since", ""))}
        )
    if state.until:
        chips.append(
            {"label": f"before {state.until}", "href": search_url(state.removing("until", ""))}
        )
    return chips
