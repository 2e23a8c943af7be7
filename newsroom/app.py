"""The newsroom web application: thin routes over the query builders in `queries`.

Read-only: the routes only search the alias. Every page is rendered by Jinja2 with autoescape,
so article text is text; the few HTML pieces built in Python (marked mentions, highlights)
come from `marking`, which escapes every piece of article text it uses.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import StreamingResponse
from starlette.staticfiles import StaticFiles

from newsroom import queries as q
from newsroom.access import TOKEN_COOKIE, Access, allowed
from newsroom.marking import highlighted, json_for_script, mark_mentions, mentions_in, web_link
from newsroom.query_parser import QuerySyntaxError

LOG = logging.getLogger(__name__)
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    # No inline script anywhere: scripts come from this server only, so even markup that slipped
    # into a page could not run. Chart.js and Cytoscape set element styles, hence style-src.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass
class UiOptions:
    index: str
    access: Access = field(default_factory=Access)
    live_interval_s: float = 2.0
    live_overlap_s: float = 30.0
    live_max_s: float = 600.0  # the browser reconnects after this, resuming where it was
    bounds_ttl_s: float = 30.0


class _Bounds:
    """The index's first and last publication times, refreshed at most every ttl seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.lock = threading.Lock()
        self.value: tuple[datetime | None, datetime | None] = (None, None)
        self.fetched = 0.0

    def get(self, client: Any, index: str) -> tuple[datetime | None, datetime | None]:
        with self.lock:
            if time.monotonic() - self.fetched > self.ttl:
                self.value = q.bounds_from(client.search(index=index, **q.bounds_request()))
                self.fetched = time.monotonic()
            return self.value


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    return params


def _entity_url(kind: str, name: str) -> str:
    return "/entity?" + urlencode({"type": kind, "name": name})


def _search_url(state: q.SearchState) -> str:
    query = q.state_query_string(state)
    return "/" + ("?" + query if query else "")


def _short_date(value: str | None) -> str:
    return (value or "")[:10]


def _hit_view(hit: Mapping[str, Any]) -> dict[str, Any]:
    source = hit.get("_source") or {}
    lights = hit.get("highlight") or {}
    title = lights.get("title", [None])[0]
    entities = [
        (kind, name)
        for kind, (_p, fieldname) in q.ENTITY_TYPES.items()
        for name in (source.get(fieldname) or [])[:4]
    ]
    return {
        "doc_id": source.get("doc_id") or hit.get("_id"),
        "title": highlighted(title) if title else (source.get("title") or "(untitled)"),
        "snippets": [highlighted(f) for f in lights.get("body", [])],
        "source": source.get("source"),
        "published": _short_date(source.get("published_at")),
        "language": source.get("language"),
        "topics": source.get("topic_labels") or [],
        "entities": entities,
    }


def create_app(client: Any, options: UiOptions, vendor: Mapping[str, Path]) -> FastAPI:
    """The application over an Elasticsearch client (sync; routes run in worker threads)."""
    app = FastAPI(title="newswire newsroom", docs_url=None, redoc_url=None, openapi_url=None)
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        entity_url=_entity_url,
        search_url=_search_url,
        type_labels=q.TYPE_LABELS,
        entity_types=list(q.ENTITY_TYPES),
        json_for_script=json_for_script,
        web_link=web_link,
        state_for_topic=lambda label: q.SearchState(topics=(label,)),
    )
    bounds = _Bounds(options.bounds_ttl_s)
    index = options.index

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**context), status_code=status)

    def problem(status: int, title: str, message: str) -> HTMLResponse:
        return page("problem.html", status, title=title, message=message)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        access = options.access
        query_token = request.query_params.get("token")
        if request.url.path != "/healthz" and not allowed(
            access,
            request.headers.get("authorization"),
            request.cookies.get(TOKEN_COOKIE),
            query_token,
        ):
            headers = {**SECURITY_HEADERS}
            if access.password:
                headers["WWW-Authenticate"] = 'Basic realm="newswire", charset="UTF-8"'
            response: Response = problem(
                401,
                "Access token needed",
                "This newsroom is protected. Open it with the link your administrator gave you "
                "(it ends in ?token=...), or sign in with your user name and password.",
            )
            response.headers.update(headers)
            return response
        if query_token and access.token:
            # Keep the token out of the address bar, history and shared links: a cookie holds
            # a digest of it from now on.
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + ("?" + urlencode(rest) if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                TOKEN_COOKIE, access.cookie_value(), httponly=True, samesite="strict"
            )
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    @app.exception_handler(q.StateError)
    async def bad_state(_request: Request, exc: q.StateError) -> HTMLResponse:
        return problem(400, "That link is not valid", exc.message)

    @app.exception_handler(QuerySyntaxError)
    async def bad_query(_request: Request, exc: QuerySyntaxError) -> HTMLResponse:
        return problem(400, "The search could not be understood", exc.message)

    from elastic_transport import ConnectionError as EsConnectionError
    from elasticsearch import ApiError

    @app.exception_handler(EsConnectionError)
    async def no_server(_request: Request, exc: EsConnectionError) -> HTMLResponse:
        LOG.warning("Elasticsearch unreachable: %s", exc)
        return problem(
            503, "The index is not reachable", "Elasticsearch did not answer; try again shortly."
        )

    @app.exception_handler(ApiError)
    async def server_refused(_request: Request, exc: ApiError) -> HTMLResponse:
        LOG.warning("Elasticsearch refused a request: %s", exc)
        if exc.meta.status == 404:
            return problem(404, "Not found", f"The index {index!r} does not exist yet.")
        return problem(502, "The index refused the request", f"Elasticsearch said: {exc.message}")

    static = StaticFiles(directory=HERE / "static")
    app.mount("/static", static, name="static")

    @app.get("/vendor/{name}")
    def vendor_file(name: str) -> Response:
        path = vendor.get(name)
        if path is None:
            return problem(404, "Not found", "No such file.")
        return FileResponse(
            path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    def interval_for(state: q.SearchState) -> str:
        first, last = bounds.get(client, index)
        start = q.parse_instant(state.since) if state.since else first
        end = q.parse_instant(state.until) if state.until else last
        return q.histogram_interval(start, end)

    @app.get("/", response_class=HTMLResponse)
    def search(request: Request) -> HTMLResponse:
        state = q.state_from_params(_params(request))
        context: dict[str, Any] = {
            "state": state,
            "sorts": q.SORTS,
            "error": None,
            "clear_url": _search_url(q.SearchState(q=state.q, sort=state.sort)),
        }
        try:
            q.text_query(state)
        except QuerySyntaxError as exc:
            context.update(error=exc.message, hits=[], total=None)
            return page("search.html", 400, **context)
        interval = interval_for(state)
        response = client.search(index=index, **q.search_request(state, interval))
        hits = response["hits"]["hits"]
        total = response["hits"]["total"]["value"]
        aggs = response.get("aggregations") or {}
        facets = []
        for kind in (*q.ENTITY_TYPES, "topic", "source", "lang"):
            label = (
                q.TYPE_LABELS.get(kind)
                or {
                    "topic": "Topics",
                    "source": "Sources",
                    "lang": "Languages",
                }[kind]
            )
            facets.append(
                {
                    "kind": kind,
                    "label": label,
                    "values": [
                        {
                            "value": str(b["key"]),
                            "count": b["doc_count"],
                            "href": _search_url(state.adding(kind, str(b["key"]))),
                            "entity": _entity_url(kind, str(b["key"]))
                            if kind in q.ENTITY_TYPES
                            else None,
                        }
                        for b in aggs.get(kind, {}).get("buckets", [])
                    ],
                }
            )
        date_buckets = aggs.get("dates", {}).get("buckets", [])
        peak = max((b["doc_count"] for b in date_buckets), default=1)
        dates = []
        for b in date_buckets:
            since, until = q.bucket_range(int(b["key"]), interval)
            narrowed = q.with_dates(state, since, until)
            dates.append(
                {
                    "label": b["key_as_string"][: 7 if interval in ("month", "quarter") else 10]
                    if interval != "year"
                    else b["key_as_string"][:4],
                    "count": b["doc_count"],
                    "height": max(4, round(100 * b["doc_count"] / peak)),
                    "href": _search_url(narrowed),
                }
            )
        chips = [
            {"label": f"{q.TYPE_LABELS[k]}: {n}", "href": _search_url(state.removing(k, n))}
            for k, n in state.entities
        ]
        for kind, values in (
            ("topic", state.topics),
            ("source", state.sources),
            ("lang", state.languages),
        ):
            chips.extend(
                {"label": f"{kind}: {v}", "href": _search_url(state.removing(kind, v))}
                for v in values
            )
        for kind in ("since", "until"):
            value = getattr(state, kind)
            if value:
                chips.append(
                    {
                        "label": f"{'from' if kind == 'since' else 'before'} {value}",
                        "href": _search_url(state.removing(kind, value)),
                    }
                )
        cursor = q.next_cursor(hits, q.PAGE_SIZE)
        next_url = (
            _search_url(q.next_page(state, cursor, len(hits)))
            if cursor and state.shown + len(hits) < total
            else None
        )
        query_string = q.state_query_string(state.first_page())
        return page(
            "search.html",
            **context,
            hits=[_hit_view(h) for h in hits],
            total=total,
            first=state.shown + 1,
            last=state.shown + len(hits),
            facets=facets,
            dates=dates,
            interval=interval,
            chips=chips,
            next_url=next_url,
            first_url=_search_url(state.first_page()) if state.after else None,
            sort_urls={s: _search_url(q.with_sort(state, s)) for s in q.SORTS},
            query_string=query_string,
            live_since=q.iso_instant(datetime.now(UTC)),
        )

    @app.get("/article/{doc_id:path}", response_class=HTMLResponse)
    def article(doc_id: str) -> HTMLResponse:
        response = client.search(
            index=index, size=1, query={"ids": {"values": [doc_id]}}, track_total_hits=False
        )
        hits = response["hits"]["hits"]
        if not hits:
            return problem(404, "Article not found", f"No article has the id {doc_id!r}.")
        doc = hits[0]["_source"]

        def link(m: Any) -> str:
            return _entity_url(m.kind, m.name)

        title_mentions = mentions_in(doc, "title")
        body_mentions = mentions_in(doc, "body")
        entities = sorted(
            doc.get("entities") or [], key=lambda e: (-int(e.get("count") or 0), e["name"])
        )
        return page(
            "article.html",
            doc=doc,
            title_html=mark_mentions(doc.get("title") or "", title_mentions, link),
            body_html=mark_mentions(doc.get("body") or "", body_mentions, link),
            marked=len(title_mentions) + len(body_mentions),
            entities=entities,
        )

    @app.get("/entity", response_class=HTMLResponse)
    def entity(request: Request) -> HTMLResponse:
        kind, name = q.check_entity(
            request.query_params.get("type", ""), request.query_params.get("name", "")
        )
        first, last = bounds.get(client, index)
        interval = q.histogram_interval(first, last)
        response = client.search(
            index=index, **q.entity_request(kind, name, interval, span=(first, last))
        )
        hits = response["hits"]["hits"]
        aggs = response.get("aggregations") or {}
        series = q.mentions_series(response)
        related = {
            other: [(str(b["key"]), b["doc_count"]) for b in aggs.get(other, {}).get("buckets", [])]
            for other in q.ENTITY_TYPES
        }
        return page(
            "entity.html",
            kind=kind,
            name=name,
            total=response["hits"]["total"]["value"],
            series=series,
            mentions=sum(p["mentions"] for p in series),
            interval=interval,
            related=related,
            forms=q.surface_forms(hits, kind, name)[:20],
            sample=len(hits),
            articles=[_hit_view(h) for h in hits[:20]],
            search_href=_search_url(q.SearchState(entities=((kind, name),), sort="newest")),
        )

    @app.get("/trends", response_class=HTMLResponse)
    def trends(request: Request) -> HTMLResponse:
        window = request.query_params.get("window", "week")
        if window not in q.WINDOWS:
            raise q.StateError("window must be day or week.")
        anchor = request.query_params.get("ref", "latest")
        if anchor not in ("latest", "now"):
            raise q.StateError("ref must be latest (the newest article) or now.")
        _first, last = bounds.get(client, index)
        reference = datetime.now(UTC) if anchor == "now" or last is None else last
        # The last article's own instant belongs to the recent window.
        reference = reference + timedelta(milliseconds=1)
        response = client.search(index=index, **q.trends_request(reference, window))
        return page(
            "trends.html",
            window=window,
            anchor=anchor,
            reference=reference,
            rising=q.rising_entities(response),
            windows=list(q.WINDOWS),
        )

    @app.get("/network", response_class=HTMLResponse)
    def network(request: Request) -> HTMLResponse:
        state = q.state_from_params(_params(request)).first_page()
        q.text_query(state)
        return page(
            "network.html",
            state=state,
            query_string=q.state_query_string(state),
            back=_search_url(state),
        )

    @app.get("/network.json")
    def network_json(request: Request) -> Response:
        state = q.state_from_params(_params(request)).first_page()
        nodes = q.network_nodes(client.search(index=index, **q.network_nodes_request(state)))
        edges = (
            q.network_edges(client.search(index=index, **q.network_edges_request(state, nodes)))
            if nodes
            else []
        )
        for node in nodes:
            node["href"] = _entity_url(node["type"], node["name"])
        return Response(
            json.dumps({"nodes": nodes, "edges": edges}, ensure_ascii=False),
            media_type="application/json",
        )

    @app.get("/live")
    async def live(request: Request) -> Response:
        state = q.state_from_params(_params(request)).first_page()
        q.text_query(state)
        # `opened`, not `since`: that one is the search's own publication-date filter.
        since = q.check_date(
            request.headers.get("last-event-id") or request.query_params.get("opened"), "opened"
        ) or q.iso_instant(datetime.now(UTC))
        hit_template = env.get_template("_hit.html")

        async def events() -> AsyncIterator[str]:
            sent: set[str] = set()
            opened = q.parse_instant(since)
            newest = opened
            started = time.monotonic()
            yield "retry: 3000\n\n"
            while time.monotonic() - started < options.live_max_s:
                if await request.is_disconnected():
                    return
                # Look a little before `newest`: a document's indexed_at is stamped before the
                # bulk request and the refresh make it visible.
                body = q.live_request(
                    state, q.iso_instant(newest - timedelta(seconds=options.live_overlap_s))
                )
                response = await anyio.to_thread.run_sync(
                    functools.partial(client.search, index=index, **body)
                )
                for hit in response["hits"]["hits"]:
                    doc_id = str(hit["_source"].get("doc_id") or hit["_id"])
                    indexed_at = q.parse_instant(hit["_source"]["indexed_at"])
                    newest = max(newest, indexed_at)
                    if doc_id in sent or indexed_at < opened:
                        continue
                    sent.add(doc_id)
                    html = hit_template.render(hit=_hit_view(hit), live=True)
                    payload = json.dumps({"doc_id": doc_id, "html": html})
                    yield f"id: {q.iso_instant(newest)}\nevent: article\ndata: {payload}\n\n"
                yield ": keep-alive\n\n"
                await anyio.sleep(options.live_interval_s)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    def exported(state: q.SearchState, limit: int) -> Iterator[dict[str, Any]]:
        after: list[Any] | None = None
        left = limit
        while left > 0:
            size = min(q.EXPORT_PAGE, left)
            hits = client.search(index=index, **q.export_request(state, after, size))["hits"][
                "hits"
            ]
            for hit in hits:
                yield hit["_source"]
            left -= len(hits)
            if len(hits) < size:
                return
            after = hits[-1]["sort"]

    def export_state(request: Request) -> tuple[q.SearchState, int]:
        params = _params(request)
        state = q.state_from_params(params).first_page()
        q.text_query(state)
        return state, q.export_limit((params.get("limit") or [""])[-1])

    @app.get("/export.csv")
    def export_csv(request: Request) -> Response:
        state, limit = export_state(request)

        def rows() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(q.EXPORT_COLUMNS)
            for source in exported(state, limit):
                writer.writerow(q.csv_row(source))
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="newswire-export.csv"'},
        )

    @app.get("/export.jsonl")
    def export_jsonl(request: Request) -> Response:
        state, limit = export_state(request)

        def lines() -> Iterator[str]:
            for source in exported(state, limit):
                yield json.dumps(source, ensure_ascii=False) + "\n"

        return StreamingResponse(
            lines(),
            media_type="application/x-ndjson; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="newswire-export.jsonl"'},
        )

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", media_type="text/plain")

    return app
