"""--ner-model: a Hugging Face token-classification checkpoint, through transformers and torch.

Tested with newswire's own model in Hugging Face format, rebuilt from the shipped int8 weights
(training/onnx_to_hf.py), in the torch venv the project builds for it (deploy/models/store.py).
It must find what the shipped ONNX path finds, at the same offsets, and score like it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from deploy.models.store import shipped_model_dir, torch_python
from enrich.enricher import Enricher, ModelPaths
from pipeline.evaluate import DEFAULT_FEED, evaluate
from schemas.article import parse_article

ROOT = Path(__file__).resolve().parents[2]

ENTITIES = r"""
import dataclasses, json, sys
from enrich.enricher import Enricher, ModelPaths
from pipeline.evaluate import DEFAULT_FEED, evaluate
from pipeline.models import model_paths
from pipeline.settings import Settings
from schemas.article import parse_article
settings = dataclasses.replace(Settings(), ner_model=sys.argv[1])
enricher = Enricher(model_paths(settings))
article = parse_article(open(sys.argv[2], "rb").read())
(result,) = enricher.enrich_batch([article])
print(json.dumps({
    "ner_model": result.ner_model,
    "entities": [[e.name, e.type] for e in result.entities],
    "mentions": [[m.text, m.type, m.start, m.end] for e in result.entities for m in e.mentions],
}))
"""


def in_torch_venv(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [str(torch_python()), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("newswire-hf")
    done = in_torch_venv("-m", "training.onnx_to_hf", str(shipped_model_dir()), str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "config.json").exists() and (out / "model.safetensors").exists()
    return out


def test_own_checkpoint_in_hf_format_finds_the_seed_entities(
    checkpoint: Path, enricher: Enricher, seed_article_path: Path
) -> None:
    done = in_torch_venv("-c", ENTITIES, str(checkpoint), str(seed_article_path))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["ner_model"] == f"hf:{checkpoint}"
    article = parse_article(seed_article_path.read_bytes())
    for text, _type, start, end in result["mentions"]:
        assert article.text[start:end] == text
    hf = {(name, kind) for name, kind in result["entities"]}
    (onnx,) = enricher.enrich_batch([article])
    ours = {(e.name, e.type) for e in onnx.entities}
    assert {("Viktor Orban", "PER"), ("Xi Jinping", "PER"), ("Aleksandar Vucic", "PER")} <= hf
    # The same weights (int8 -> dequantised fp32): nearly the same entities.
    assert len(hf & ours) >= 0.9 * len(ours)


def test_newswire_eval_runs_a_checkpoint(
    checkpoint: Path, model_paths: ModelPaths, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    done = in_torch_venv(
        "-m",
        "pipeline.cli",
        "eval",
        "--split",
        "dev",
        "--ner-model",
        str(checkpoint),
        "--report",
        str(report),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    scores = json.loads(report.read_text())
    assert scores["ner_model"] == f"hf:{checkpoint}"
    # The same weights through torch in fp32 score like the shipped int8 ONNX model.
    shipped = evaluate("dev", DEFAULT_FEED, model_paths)
    assert abs(scores["entities"]["micro"]["f1"] - shipped["entities"]["micro"]["f1"]) <= 0.03
