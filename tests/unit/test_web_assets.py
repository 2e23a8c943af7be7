"""The newsroom's npm files: served only while they match what npm ci installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy import web_assets
from deploy.artifacts import sha256_of


def test_locked_packages_are_the_ones_served() -> None:
    lock = json.loads((web_assets.WEB_DIR / "package-lock.json").read_text())
    package = json.loads((web_assets.WEB_DIR / "package.json").read_text())
    for name, version in package["dependencies"].items():
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == version and locked["integrity"].startswith("sha512-")
    served_packages = {relative.split("/")[0] for relative in web_assets.SERVED_FILES.values()}
    assert served_packages == set(package["dependencies"])


def test_a_changed_or_missing_file_is_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWIRE_CACHE_DIR", str(tmp_path))
    root = web_assets.assets_dir()
    for relative in web_assets.SERVED_FILES.values():
        path = root / "node_modules" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("/* library */")
    assert not web_assets._verified(root)  # no manifest yet: never installed completely
    sums = {
        name: sha256_of(root / "node_modules" / relative)
        for name, relative in web_assets.SERVED_FILES.items()
    }
    (root / web_assets._MANIFEST).write_text(json.dumps(sums))
    assert web_assets._verified(root)
    (root / "node_modules" / web_assets.SERVED_FILES["chart.umd.min.js"]).write_text("altered")
    assert not web_assets._verified(root)
