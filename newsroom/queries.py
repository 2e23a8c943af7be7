"""What the newsroom asks Elasticsearch: the page state (all of it in the URL) and the request
bodies built from it. Pure functions; the HTTP routes only send these and render the answers.

Nothing a visitor sends is passed on as query DSL: the search text goes through
`query_parser`, facet values only ever become the value of a `term` on a field chosen from a
fixed table, dates must look like dates, and the paging cursor is checked to be a short list of
plain values.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from newsroom.query_parser import QuerySyntaxError, parse_query, to_elasticsearch

# entity type -> (URL parameter, keyword field of canonical names)
ENTITY_TYPES: dict[str, tuple[str, str]] = {
    "PER": ("per", "persons"),
    "ORG": ("org", "organizations"),
    "LOC": ("loc", "locations"),
    "MISC": ("misc", "misc_entities"),
}
TYPE_LABELS = {"PER": "People", "ORG": "Organisations", "LOC": "Places", "MISC": "Other"}
SORTS = ("relevance", "newest")
PAGE_SIZE = 20
FACET_SIZE = 10
MAX_FILTER_VALUES = 20
MAX_VALUE_CHARS = 300
# Private-use characters mark highlights: they cannot be confused with markup, and the page
# escapes the fragment before turning them into <mark>.
HIGHLIGHT_OPEN = "\ue000"
HIGHLIGHT_CLOSE = "\ue001"
HIT_FIELDS = [
    "doc_id",
    "title",
    "source",
    "url",
    "published_at",
    "indexed_at",
    "language",
    "topic_labels",
    "persons",
    "organizations",
    "locations",
    "misc_entities",
]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?)?$")
_INTERVALS = (  # calendar interval, its rough length
    ("hour", timedelta(hours=1)),
    ("day", timedelta(days=1)),
    ("week", timedelta(weeks=1)),
    ("month", timedelta(days=30)),
    ("quarter", timedelta(days=91)),
    ("year", timedelta(days=365)),
)
MAX_BUCKETS = 90


class StateError(ValueError):
    """A URL parameter is not acceptable; `message` is meant for the analyst."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SearchState:
    """Everything the search page shows, as the URL carries it."""

    q: str = ""
    sort: str = "relevance"
    entities: tuple[tuple[str, str], ...] = ()  # (type, canonical name)
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: str | None = None  # published at or after
    until: str | None = None  # published before (exclusive)
    after: str | None = None  # paging cursor: the sort values of the previous page's last hit
    shown: int = 0  # how many results the earlier pages showed (for "21-40 of 5,000")

    @property
    def has_filters(self) -> bool:
        return bool(
            self.entities
            or self.topics
            or self.sources
            or self.languages
            or self.since
            or self.until
        )

    def first_page(self) -> SearchState:
        return replace(self, after=None, shown=0)

    def adding(self, kind: str, value: str) -> SearchState:
        """This search narrowed by one more facet value, from its first page."""
        state = self.first_page()
        if kind in ENTITY_TYPES:
            if (kind, value) in state.entities:
                return state
            return replace(state, entities=(*state.entities, (kind, value)))
        current: tuple[str, ...] = getattr(state, _LIST_PARAMS[kind])
        return state if value in current else _with_values(state, kind, (*current, value))

    def removing(self, kind: str, value: str) -> SearchState:
        state = self.first_page()
        if kind in ENTITY_TYPES:
            return replace(state, entities=tuple(e for e in state.entities if e != (kind, value)))
        if kind == "since":
            return replace(state, since=None)
        if kind == "until":
            return replace(state, until=None)
        current: tuple[str, ...] = getattr(state, _LIST_PARAMS[kind])
        return _with_values(state, kind, tuple(v for v in current if v != value))


_LIST_PARAMS = {"topic": "topics", "source": "sources", "lang": "languages"}


def _with_values(state: SearchState, kind: str, values: tuple[str, ...]) -> SearchState:
    if kind == "topic":
        return replace(state, topics=values)
    if kind == "source":
        return replace(state, sources=values)
    if kind == "lang":
        return replace(state, languages=values)
    raise StateError(f"Unknown filter {kind!r}.")


def with_sort(state: SearchState, sort: str) -> SearchState:
    return replace(state.first_page(), sort=sort)


def with_dates(state: SearchState, since: str, until: str) -> SearchState:
    return replace(state.first_page(), since=since, until=until)


def next_page(state: SearchState, cursor: str | None, shown_now: int) -> SearchState:
    return replace(state, after=cursor, shown=state.shown + shown_now)


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    value = values[-1].strip() if values else ""
    if len(value) > MAX_VALUE_CHARS * 2:
        raise StateError(f"The {name} parameter is too long.")
    return value or None


def _many(params: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    values = [v.strip() for v in params.get(name) or [] if v.strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise StateError(f"At most {MAX_FILTER_VALUES} {name} filters at once.")
    for value in values:
        if len(value) > MAX_VALUE_CHARS:
            raise StateError(f"A {name} filter is longer than {MAX_VALUE_CHARS} characters.")
    return tuple(dict.fromkeys(values))


def check_date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if not _DATE.match(value):
        raise StateError(
            f"{name} must be a date like 2024-03-01 or 2024-03-01T12:00:00Z, not {value!r}."
        )
    try:
        parse_instant(value)
    except ValueError:
        raise StateError(f"{name} {value!r} is not a real date.") from None
    return value


def parse_instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def state_from_params(params: Mapping[str, Sequence[str]]) -> SearchState:
    """The page state from URL parameters (a multi-dict: name -> values), validated."""
    sort = _one(params, "sort") or "relevance"
    if sort not in SORTS:
        raise StateError(f"sort must be one of {', '.join(SORTS)}.")
    entities: list[tuple[str, str]] = []
    for kind, (param, _field) in ENTITY_TYPES.items():
        entities.extend((kind, name) for name in _many(params, param))
    if len(entities) > MAX_FILTER_VALUES:
        raise StateError(f"At most {MAX_FILTER_VALUES} entity filters at once.")
    after = _one(params, "after")
    if after is not None:
        decode_cursor(after)
    shown_text = _one(params, "shown") or "0"
    if not shown_text.isdigit() or int(shown_text) > 10_000_000:
        raise StateError("shown must be a whole number.")
    return SearchState(
        q=(params.get("q") or [""])[-1],
        sort=sort,
        entities=tuple(entities),
        topics=_many(params, "topic"),
        sources=_many(params, "source"),
        languages=_many(params, "lang"),
        since=check_date(_one(params, "since"), "since"),
        until=check_date(_one(params, "until"), "until"),
        after=after,
        shown=int(shown_text) if after else 0,
    )


def state_params(state: SearchState) -> list[tuple[str, str]]:
    """URL parameters for a state: the inverse of state_from_params."""
    params: list[tuple[str, str]] = []
    if state.q:
        params.append(("q", state.q))
    if state.sort != "relevance":
        params.append(("sort", state.sort))
    for kind, name in state.entities:
        params.append((ENTITY_TYPES[kind][0], name))
    params.extend(("topic", v) for v in state.topics)
    params.extend(("source", v) for v in state.sources)
    params.extend(("lang", v) for v in state.languages)
    if state.since:
        params.append(("since", state.since))
    if state.until:
        params.append(("until", state.until))
    if state.after:
        params.append(("after", state.after))
        params.append(("shown", str(state.shown)))
    return params


def state_query_string(state: SearchState) -> str:
    return urlencode(state_params(state))


def encode_cursor(sort_values: Sequence[Any]) -> str:
    raw = json.dumps(list(sort_values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The sort values behind a cursor; only a short list of numbers and short strings."""
    problem = StateError("The page link is damaged; start again from the first page.")
    if len(cursor) > 1024:
        raise problem
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise problem from None
    if not isinstance(values, list) or not 1 <= len(values) <= 3:
        raise problem
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise problem
        if isinstance(value, str) and len(value) > 512:
            raise problem
    return values


def text_query(state: SearchState) -> dict[str, Any]:
    """The parsed search text as a query (QuerySyntaxError for broken syntax)."""
    return to_elasticsearch(parse_query(state.q))


def filter_clauses(state: SearchState) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for kind, name in state.entities:
        clauses.append({"term": {ENTITY_TYPES[kind][1]: name}})
    for values, field in (
        (state.topics, "topic_labels"),
        (state.sources, "source"),
        (state.languages, "language"),
    ):
        # Several values of one facet widen (any of them), different facets narrow.
        if values:
            clauses.append({"terms": {field: list(values)}})
    if state.since or state.until:
        bounds = {"gte": state.since, "lt": state.until}
        clauses.append({"range": {"published_at": {k: v for k, v in bounds.items() if v}}})
    return clauses


def bool_query(state: SearchState) -> dict[str, Any]:
    return {"bool": {"must": [text_query(state)], "filter": filter_clauses(state)}}


def sort_clause(sort: str) -> list[Any]:
    # doc_id last: a total order, which search_after needs to page without gaps or repeats.
    newest = {"published_at": {"order": "desc", "missing": "_last"}}
    if sort == "newest":
        return [newest, {"doc_id": "asc"}]
    return ["_score", newest, {"doc_id": "asc"}]


def histogram_interval(start: datetime | None, end: datetime | None) -> str:
    """The finest calendar interval that gives at most MAX_BUCKETS bars between start and end."""
    if start is None or end is None or end <= start:
        return "month"
    span = end - start
    for name, length in _INTERVALS:
        if span / length <= MAX_BUCKETS:
            return name
    return "year"


def search_request(
    state: SearchState,
    interval: str,
    size: int = PAGE_SIZE,
    facet_size: int = FACET_SIZE,
) -> dict[str, Any]:
    """The search page: hits with highlights, facet counts and the date histogram, one request."""
    body: dict[str, Any] = {
        "size": size,
        "query": bool_query(state),
        "sort": sort_clause(state.sort),
        "track_total_hits": True,
        "_source": HIT_FIELDS,
        "highlight": {
            "pre_tags": [HIGHLIGHT_OPEN],
            "post_tags": [HIGHLIGHT_CLOSE],
            "encoder": "default",
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 180, "number_of_fragments": 2, "no_match_size": 180},
            },
        },
        "aggs": {
            **{
                kind: {"terms": {"field": field, "size": facet_size}}
                for kind, (_p, field) in ENTITY_TYPES.items()
            },
            "topic": {"terms": {"field": "topic_labels", "size": 20}},
            "source": {"terms": {"field": "source", "size": facet_size}},
            "lang": {"terms": {"field": "language", "size": facet_size}},
            "dates": {
                "date_histogram": {
                    "field": "published_at",
                    "calendar_interval": interval,
                    "min_doc_count": 0,  # empty periods show as gaps, not as missing bars
                }
            },
        },
    }
    if state.after:
        body["search_after"] = decode_cursor(state.after)
    return body


def bounds_request() -> dict[str, Any]:
    """First and last publication time in the index: sizes the date histograms and trends."""
    return {
        "size": 0,
        "track_total_hits": True,
        "aggs": {
            "first": {"min": {"field": "published_at"}},
            "last": {"max": {"field": "published_at"}},
        },
    }


def bounds_from(response: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    aggs = response.get("aggregations") or {}

    def instant(name: str) -> datetime | None:
        value = (aggs.get(name) or {}).get("value")
        return datetime.fromtimestamp(value / 1000, UTC) if value is not None else None

    return instant("first"), instant("last")


def bucket_range(key_ms: int, interval: str) -> tuple[str, str]:
    """since/until (exclusive) of one histogram bar, as dates the URL can carry."""
    start = datetime.fromtimestamp(key_ms / 1000, UTC)
    if interval == "hour":
        end = start + timedelta(hours=1)
    elif interval == "day":
        end = start + timedelta(days=1)
    elif interval == "week":
        end = start + timedelta(weeks=1)
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[interval]
        month_index = start.month - 1 + months
        end = start.replace(year=start.year + month_index // 12, month=month_index % 12 + 1)
    return _iso(start), _iso(end)


def _iso(moment: datetime) -> str:
    if moment.hour == moment.minute == moment.second == 0:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def next_cursor(hits: Sequence[Mapping[str, Any]], size: int) -> str | None:
    """The cursor for the next page, if this page was full."""
    if len(hits) < size or not hits:
        return None
    return encode_cursor(hits[-1]["sort"])


# --- entity page -------------------------------------------------------------------------


def check_entity(kind: str, name: str) -> tuple[str, str]:
    if kind not in ENTITY_TYPES:
        raise StateError(f"type must be one of {', '.join(ENTITY_TYPES)}.")
    name = name.strip()
    if not name or len(name) > MAX_VALUE_CHARS:
        raise StateError("The entity name is missing or too long.")
    return kind, name


SURFACE_SAMPLE = 100


def entity_request(
    kind: str,
    name: str,
    interval: str,
    top: int = 12,
    span: tuple[datetime | None, datetime | None] = (None, None),
) -> dict[str, Any]:
    """Articles naming the entity (newest first), its mentions per interval, the entities seen
    with it most, and its entities' mention texts in the newest articles (surface forms)."""
    field = ENTITY_TYPES[kind][1]
    first, last = span
    same_entity = {
        "bool": {"filter": [{"term": {"entities.name": name}}, {"term": {"entities.type": kind}}]}
    }
    return {
        "size": SURFACE_SAMPLE,
        "track_total_hits": True,
        "query": {"bool": {"filter": [{"term": {field: name}}]}},
        "sort": [{"published_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "asc"}],
        "_source": [
            *HIT_FIELDS,
            "entities.name",
            "entities.type",
            "entities.count",
            "entities.mentions.text",
        ],
        "aggs": {
            "over_time": {
                "date_histogram": {
                    "field": "published_at",
                    "calendar_interval": interval,
                    "min_doc_count": 0,
                    # The whole period the index covers, so quiet stretches show as zero.
                    **(
                        {"extended_bounds": {"min": iso_instant(first), "max": iso_instant(last)}}
                        if first and last
                        else {}
                    ),
                },
                "aggs": {
                    "entity": {
                        "nested": {"path": "entities"},
                        "aggs": {
                            "this": {
                                "filter": same_entity,
                                "aggs": {"mentions": {"sum": {"field": "entities.count"}}},
                            }
                        },
                    }
                },
            },
            **{
                other: {"terms": {"field": other_field, "size": top, "exclude": [name]}}
                for other, (_p, other_field) in ENTITY_TYPES.items()
            },
        },
    }


def surface_forms(hits: Iterable[Mapping[str, Any]], kind: str, name: str) -> list[tuple[str, int]]:
    """How the entity is written in these articles, most frequent first."""
    counts: dict[str, int] = {}
    for hit in hits:
        for entity in (hit.get("_source") or {}).get("entities") or []:
            if entity.get("name") != name or entity.get("type") != kind:
                continue
            for mention in entity.get("mentions") or []:
                text = str(mention.get("text") or "")
                if text:
                    counts[text] = counts.get(text, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def mentions_series(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chart's points: per interval, articles and mentions."""
    buckets = ((response.get("aggregations") or {}).get("over_time") or {}).get("buckets") or []
    return [
        {
            "t": b.get("key_as_string") or b["key"],
            "key": b["key"],
            "articles": int(b["doc_count"]),
            "mentions": int(b["entity"]["this"]["mentions"]["value"] or 0),
        }
        for b in buckets
    ]


# --- trends ------------------------------------------------------------------------------

WINDOWS = {"day": timedelta(days=1), "week": timedelta(weeks=1)}


def trends_request(reference: datetime, window: str, size: int = 200) -> dict[str, Any]:
    """Entity counts in the last window before `reference` and in the window before that."""
    length = WINDOWS[window]
    recent = {"gte": iso_instant(reference - length), "lt": iso_instant(reference)}
    previous = {"gte": iso_instant(reference - 2 * length), "lt": iso_instant(reference - length)}
    per_type = {
        kind: {"terms": {"field": field, "size": size}}
        for kind, (_p, field) in ENTITY_TYPES.items()
    }
    return {
        "size": 0,
        "query": {"range": {"published_at": {"gte": previous["gte"], "lt": recent["lt"]}}},
        "aggs": {
            "recent": {"filter": {"range": {"published_at": recent}}, "aggs": per_type},
            "previous": {"filter": {"range": {"published_at": previous}}, "aggs": per_type},
        },
    }


def iso_instant(moment: datetime) -> str:
    """An instant as Elasticsearch and the URL carry it: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Rising:
    kind: str
    name: str
    recent: int
    previous: int

    @property
    def change(self) -> int:
        return self.recent - self.previous

    @property
    def ratio(self) -> float:
        """Growth against the period before; +1 smooths entities absent before."""
        return (self.recent + 1) / (self.previous + 1)


def rising_entities(response: Mapping[str, Any], top: int = 15, minimum: int = 2) -> list[Rising]:
    """Entities ranked by how many more articles named them in the last window than in the one
    before (ties: the larger relative rise first). Entities under `minimum` recent articles are
    noise and left out."""
    aggs = response.get("aggregations") or {}
    found: list[Rising] = []
    for kind in ENTITY_TYPES:
        recent = {b["key"]: b["doc_count"] for b in aggs["recent"][kind]["buckets"]}
        previous = {b["key"]: b["doc_count"] for b in aggs["previous"][kind]["buckets"]}
        for name, count in recent.items():
            if count >= minimum and count > previous.get(name, 0):
                found.append(Rising(kind, str(name), int(count), int(previous.get(name, 0))))
    found.sort(key=lambda r: (-r.change, -r.ratio, r.name))
    return found[:top]


# --- co-occurrence network ---------------------------------------------------------------


def network_nodes_request(state: SearchState, per_type: int = 8) -> dict[str, Any]:
    return {
        "size": 0,
        "query": bool_query(state),
        "aggs": {
            kind: {"terms": {"field": field, "size": per_type}}
            for kind, (_p, field) in ENTITY_TYPES.items()
        },
    }


def network_nodes(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    aggs = response.get("aggregations") or {}
    return [
        {
            "id": f"{kind}:{b['key']}",
            "type": kind,
            "name": str(b["key"]),
            "articles": b["doc_count"],
        }
        for kind in ENTITY_TYPES
        for b in (aggs.get(kind) or {}).get("buckets") or []
    ]


def network_edges_request(state: SearchState, nodes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """For each pair of the chosen entities, how many matching articles name both: a terms
    aggregation per type restricted to the chosen names, nested per other type."""
    names = {kind: [n["name"] for n in nodes if n["type"] == kind] for kind in ENTITY_TYPES}
    aggs: dict[str, Any] = {}
    for kind, (_p, field) in ENTITY_TYPES.items():
        if not names[kind]:
            continue
        inner = {
            other: {
                "terms": {"field": other_field, "include": names[other], "size": len(names[other])}
            }
            for other, (_q, other_field) in ENTITY_TYPES.items()
            if names[other]
        }
        aggs[kind] = {
            "terms": {"field": field, "include": names[kind], "size": len(names[kind])},
            "aggs": inner,
        }
    return {"size": 0, "query": bool_query(state), "aggs": aggs}


def network_edges(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    edges: dict[tuple[str, str], int] = {}
    for kind, agg in (response.get("aggregations") or {}).items():
        for bucket in agg["buckets"]:
            source = f"{kind}:{bucket['key']}"
            for other in ENTITY_TYPES:
                for inner in (bucket.get(other) or {}).get("buckets") or []:
                    target = f"{other}:{inner['key']}"
                    if target != source:
                        pair = (min(source, target), max(source, target))
                        edges[pair] = int(inner["doc_count"])
    return [{"source": a, "target": b, "articles": n} for (a, b), n in sorted(edges.items())]


# --- live updates and export -------------------------------------------------------------


def live_request(state: SearchState, since: str, size: int = 20) -> dict[str, Any]:
    """Matching articles indexed at or after `since`, oldest first (the page prepends them)."""
    query = bool_query(state)
    query["bool"]["filter"] = [*query["bool"]["filter"], {"range": {"indexed_at": {"gte": since}}}]
    return {
        "size": size,
        "query": query,
        "sort": [{"indexed_at": "asc"}, {"doc_id": "asc"}],
        "_source": HIT_FIELDS,
    }


EXPORT_DEFAULT = 1_000
EXPORT_MAX = 10_000
EXPORT_PAGE = 500
EXPORT_COLUMNS = (
    "doc_id",
    "published_at",
    "title",
    "source",
    "url",
    "language",
    "topic_labels",
    "persons",
    "organizations",
    "locations",
    "misc_entities",
)


def export_limit(value: str | None) -> int:
    if value is None or value == "":
        return EXPORT_DEFAULT
    if not value.isdigit() or not 1 <= int(value) <= EXPORT_MAX:
        raise StateError(f"limit must be a whole number from 1 to {EXPORT_MAX}.")
    return int(value)


def export_request(state: SearchState, after: list[Any] | None, size: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "size": size,
        "query": bool_query(state),
        "sort": sort_clause(state.sort),
        "_source": {"excludes": ["entities.mentions"]},
    }
    if after:
        body["search_after"] = after
    return body


def csv_cell(value: Any) -> str:
    """A spreadsheet-safe cell: lists joined with '; ', formulas defused with a quote."""
    if value is None:
        return ""
    text = "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_row(source: Mapping[str, Any]) -> list[str]:
    return [csv_cell(source.get(column)) for column in EXPORT_COLUMNS]


__all__ = ["QuerySyntaxError", "StateError"]
