"""Kibana saved objects for the news alias: a data view, a saved search and a dashboard.

`python -m deploy.kibana.saved_objects > deploy/kibana/newswire.ndjson` regenerates the file
that ops import (see docs/kibana.md); a test checks the file is this output and that every
field it names exists in the index mapping.
"""

from __future__ import annotations

import json
import sys
from typing import Any

DATA_VIEW_ID = "newswire-news"
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
_EMPTY_QUERY = {"query": "", "language": "kuery"}


def _search_source(with_index: bool = True) -> dict[str, str]:
    source: dict[str, Any] = {"query": _EMPTY_QUERY, "filter": []}
    if with_index:
        source["indexRefName"] = INDEX_REF
    return {"searchSourceJSON": json.dumps(source)}


def _index_ref() -> list[dict[str, str]]:
    return [{"name": INDEX_REF, "type": "index-pattern", "id": DATA_VIEW_ID}]


def data_view(alias: str) -> dict[str, Any]:
    return {
        "type": "index-pattern",
        "id": DATA_VIEW_ID,
        "attributes": {
            "title": alias,
            "name": f"newswire articles ({alias})",
            "timeFieldName": "published_at",
        },
        "references": [],
    }


def saved_search() -> dict[str, Any]:
    return {
        "type": "search",
        "id": "newswire-latest-articles",
        "attributes": {
            "title": "newswire: latest articles",
            "columns": ["title", "source", "persons", "organizations", "locations", "topic_labels"],
            "sort": [["published_at", "desc"]],
            "kibanaSavedObjectMeta": _search_source(),
        },
        "references": _index_ref(),
    }


def _visualization(
    vis_id: str, title: str, vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any]
) -> dict[str, Any]:
    state = {"title": title, "type": vis_type, "aggs": aggs, "params": params}
    return {
        "type": "visualization",
        "id": vis_id,
        "attributes": {
            "title": title,
            "visState": json.dumps(state),
            "uiStateJSON": "{}",
            "description": "",
            "version": 1,
            "kibanaSavedObjectMeta": _search_source(),
        },
        "references": _index_ref(),
    }


_COUNT = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def _terms(field: str, size: int, schema: str = "segment") -> dict[str, Any]:
    return {
        "id": "2",
        "enabled": True,
        "type": "terms",
        "schema": schema,
        "params": {"field": field, "size": size, "order": "desc", "orderBy": "1"},
    }


def visualizations() -> list[dict[str, Any]]:
    bar = {"type": "histogram", "addLegend": False, "addTooltip": True}
    table = {"perPage": 10, "showPartialRows": False, "showTotal": False}
    return [
        _visualization(
            "newswire-articles-over-time",
            "newswire: articles over time",
            "histogram",
            [
                _COUNT,
                {
                    "id": "2",
                    "enabled": True,
                    "type": "date_histogram",
                    "schema": "segment",
                    "params": {"field": "published_at", "interval": "auto", "min_doc_count": 1},
                },
            ],
            bar,
        ),
        _visualization(
            "newswire-top-people",
            "newswire: top people",
            "table",
            [_COUNT, _terms("persons", 15, "bucket")],
            table,
        ),
        _visualization(
            "newswire-top-organisations",
            "newswire: top organisations",
            "table",
            [_COUNT, _terms("organizations", 15, "bucket")],
            table,
        ),
        _visualization(
            "newswire-top-places",
            "newswire: top places",
            "table",
            [_COUNT, _terms("locations", 15, "bucket")],
            table,
        ),
        _visualization(
            "newswire-topics",
            "newswire: topics",
            "pie",
            [_COUNT, _terms("topic_labels", 17)],
            {"type": "pie", "addLegend": True, "isDonut": True},
        ),
        _visualization(
            "newswire-sources",
            "newswire: sources",
            "horizontal_bar",
            [_COUNT, _terms("source", 20)],
            {**bar, "type": "histogram"},
        ),
    ]


def dashboard(panels: list[dict[str, Any]]) -> dict[str, Any]:
    layout = []
    references = []
    for index, panel in enumerate(panels):
        x, y = (index % 2) * 24, (index // 2) * 15
        layout.append(
            {
                "panelIndex": str(index + 1),
                "gridData": {"x": x, "y": y, "w": 24, "h": 15, "i": str(index + 1)},
                "embeddableConfig": {},
                "panelRefName": f"panel_{index}",
            }
        )
        references.append({"name": f"panel_{index}", "type": panel["type"], "id": panel["id"]})
    return {
        "type": "dashboard",
        "id": "newswire-overview",
        "attributes": {
            "title": "newswire: overview",
            "description": "Articles over time; top people, organisations, places; topics; sources",
            "panelsJSON": json.dumps(layout),
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
            "timeRestore": False,
            "kibanaSavedObjectMeta": _search_source(with_index=False),
        },
        "references": references,
    }


def saved_objects(alias: str = "news") -> list[dict[str, Any]]:
    panels = [*visualizations(), saved_search()]
    return [data_view(alias), saved_search(), *visualizations(), dashboard(panels)]


def ndjson(alias: str = "news") -> str:
    return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in saved_objects(alias))


if __name__ == "__main__":
    sys.stdout.write(ndjson(sys.argv[1] if len(sys.argv) > 1 else "news"))
