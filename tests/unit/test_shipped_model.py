"""The model in the repository is the one its manifest names, compact, with its recipe."""

import json
import shutil
from pathlib import Path

import pytest

from deploy.models.store import HERE, SHIPPED_MODEL, ModelError, read_manifest, verify

MODEL = HERE / SHIPPED_MODEL


def test_every_shipped_file_matches_its_manifest() -> None:
    verify(MODEL)
    listed = set(read_manifest(MODEL))
    present = {p.name for p in MODEL.iterdir() if p.is_file() and p.name != "MANIFEST.sha256"}
    assert listed == present


def test_the_shipped_model_is_compact_and_says_how_it_was_made() -> None:
    size = sum(p.stat().st_size for p in MODEL.iterdir() if p.is_file())
    assert size <= 50 * 1024 * 1024
    card = json.loads((MODEL / "model.json").read_text())
    assert card["onnx"] == "model.int8.onnx"
    assert card["labels"][0] == "O" and len(card["labels"]) == 9
    assert card["recipe"]["window"] == card["window"]
    assert (MODEL / "RECIPE.md").exists()


def test_a_damaged_model_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MODEL, copy)
    with (copy / "topics.npz").open("r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match="SHA-256"):
        verify(copy)
