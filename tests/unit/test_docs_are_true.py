"""The operations guide lists every setting and every metric the code has."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.settings import specs

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name, (spec, _default) in specs().items():
        assert f"`{name}`" in guide, name
        assert spec.env in guide, spec.env


def test_every_metric_is_documented() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    code = "\n".join(
        p.read_text() for folder in ("transforms", "pipeline") for p in (ROOT / folder).glob("*.py")
    )
    names = set(
        re.findall(r'Metrics\.(?:counter|distribution|gauge)\(\s*"newswire",\s*"([a-z_]+)"', code)
    )
    assert {"articles_in", "articles_indexed", "bulk_ms", "offsets_committed"} <= names
    for name in names:
        assert f"`{name}`" in guide, name
