"""deploy/kibana/newswire.ndjson: valid NDJSON, every reference resolves, every field is mapped."""

import json
from pathlib import Path
from typing import Any

from deploy.kibana.saved_objects import ndjson
from schemas.index import index_template

FILE = Path(__file__).resolve().parents[2] / "deploy" / "kibana" / "newswire.ndjson"


def mapped_fields() -> set[str]:
    def walk(properties: dict[str, Any], prefix: str = "") -> set[str]:
        out = set()
        for name, spec in properties.items():
            out.add(prefix + name)
            if "properties" in spec:
                out |= walk(spec["properties"], f"{prefix}{name}.")
            for sub in spec.get("fields", {}):
                out.add(f"{prefix}{name}.{sub}")
        return out

    return walk(index_template("news")["template"]["mappings"]["properties"])


def objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FILE.read_text().splitlines()]


def test_the_file_is_what_the_generator_writes() -> None:
    assert FILE.read_text() == ndjson("news")


def test_every_line_is_a_saved_object_and_every_reference_resolves() -> None:
    items = objects()
    ids = {(o["type"], o["id"]) for o in items}
    assert len(ids) == len(items), "ids are unique"
    kinds = {o["type"] for o in items}
    assert {"index-pattern", "search", "visualization", "dashboard"} <= kinds
    for item in items:
        assert item["attributes"]["title"]
        for ref in item["references"]:
            assert (ref["type"], ref["id"]) in ids, f"{item['id']} -> {ref}"
        source = item["attributes"].get("kibanaSavedObjectMeta", {}).get("searchSourceJSON")
        if source and "indexRefName" in json.loads(source):
            names = {r["name"] for r in item["references"]}
            assert json.loads(source)["indexRefName"] in names
    (board,) = [o for o in items if o["type"] == "dashboard"]
    panels = json.loads(board["attributes"]["panelsJSON"])
    assert {p["panelRefName"] for p in panels} == {r["name"] for r in board["references"]}


def test_every_field_named_exists_in_the_mapping() -> None:
    fields = mapped_fields()
    for item in objects():
        attributes = item["attributes"]
        if item["type"] == "index-pattern":
            assert attributes["title"] == "news"
            assert attributes["timeFieldName"] in fields
        for column in attributes.get("columns", []):
            assert column in fields, column
        for field, _order in attributes.get("sort", []):
            assert field in fields
        if "visState" in attributes:
            for agg in json.loads(attributes["visState"])["aggs"]:
                field = agg["params"].get("field")
                assert field is None or field in fields, field
