"""`newswire models train`: rebuild newswire's model from the corpus and pinned artifacts.

The recipe (training/recipe.py) runs in the torch venv (deploy/models/store.py), stage by
stage, cached in the work directory. Then the result is installed: the whole export (fp32 and
int8 ONNX, the Hugging Face checkpoint, topics) into the cache for `--model-precision fp32` and
`--ner-model`, and the shipped files (int8 ONNX, tokenizer, card, topic classifier) into
deploy/models/<name>/ with a fresh SHA-256 manifest, ready to commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from deploy.models.store import (
    HERE,
    SHIPPED_MODEL,
    built_model_dir,
    torch_python,
    write_manifest,
)
from deploy.paths import cache_dir

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_FILES = ("model.int8.onnx", "tokenizer.json", "model.json", "topics.npz", "topics.json")


def install(export: Path, checkpoint: Path, shipped: Path, built: Path) -> None:
    shutil.rmtree(built, ignore_errors=True)
    shutil.copytree(export, built, ignore=shutil.ignore_patterns(".done", "stage.json"))
    shutil.copytree(checkpoint, built / "hf", ignore=shutil.ignore_patterns(".done", "stage.json"))
    write_manifest(built)
    shipped.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES:
        shutil.copy(export / name, shipped / name)
    write_manifest(shipped)


def train_and_install(workdir: Path | None, install_shipped: bool = True) -> int:
    work = workdir or cache_dir() / "training" / SHIPPED_MODEL
    python = torch_python()
    started = time.time()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([str(python), "-m", "training.recipe", str(work)], check=True, env=env, cwd=ROOT)
    built = built_model_dir()
    shipped = HERE / SHIPPED_MODEL if install_shipped else built.with_name(built.name + "-shipped")
    install(work / "export", work / "phase2", shipped, built)
    print(f"models: trained in {time.time() - started:.0f} s; fp32 and checkpoint in {built}")
    print(f"models: shipped files in {shipped} (commit them with their manifest)")
    return 0
