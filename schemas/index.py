"""Index naming and the composable template: versioned indices (news-v1) behind an alias (news)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INDEX_VERSION = 1
_TEMPLATE_FILE = Path(__file__).with_name("index_template.json")


def versioned_index(alias: str, version: int = INDEX_VERSION) -> str:
    return f"{alias}-v{version}"


def template_name(alias: str) -> str:
    return f"{alias}-template"


def index_template(alias: str) -> dict[str, Any]:
    """The body for PUT _index_template/<alias>-template, matching every version of the alias."""
    body = json.loads(_TEMPLATE_FILE.read_text())
    body.pop("_comment", None)
    return {
        "index_patterns": [f"{alias}-v*"],
        "priority": 200,
        "version": INDEX_VERSION,
        "_meta": {"managed_by": "newswire", "alias": alias},
        **body,
    }
