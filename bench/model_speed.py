"""The models alone (entities and topics, as the pipeline calls them): articles/s, tokens/s.

Every variant runs in its own worker process on the same articles, batched by characters as
the pipeline batches, one round each in turn (so a noisy machine slows all of them alike);
medians over rounds. Variants: the shipped int8 model, its fp32 build when `newswire models
train` has left one, and optionally a baseline checkout (another commit of newswire with its own
venv: `--baseline DIR`), timed by the very same worker code. Writes
bench/results/model-speed-latest.json.

    python -m bench.model_speed [--articles 100] [--rounds 3] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pipeline_bench import DEFAULT_FEED, REPO, RESULTS, machine, token_count

# Runs inside each variant's checkout and venv: only API that old and new code share.
WORKER = r"""
import dataclasses, json, sys, time
cfg = json.loads(sys.argv[1])
from enrich.enricher import Enricher
from schemas.article import InvalidArticle, parse_article
try:
    from pipeline.models import model_paths
    from pipeline.settings import Settings
    paths = model_paths(dataclasses.replace(Settings(), model_precision=cfg["precision"]))
except ImportError:  # newswire before its shipped model: encoder + NER head + zero-shot topics
    from deploy.models.store import encoder_dir, ner_head_dir
    from enrich.enricher import ModelPaths
    from enrich.topics import DEFAULT_TOPICS_FILE
    paths = ModelPaths(encoder_dir(), ner_head_dir(), DEFAULT_TOPICS_FILE)
articles = []
for line in open(cfg["feed"], "rb").read().splitlines()[cfg["skip"]:]:
    try:
        a = parse_article(line)
    except InvalidArticle:
        continue
    if a.language in (None, "en", "und"):
        articles.append(a)
    if len(articles) == cfg["articles"]:
        break
groups, size = [[]], 0
for a in articles:
    if groups[-1] and size + len(a.text) > cfg["batch_chars"]:
        groups.append([]); size = 0
    groups[-1].append(a); size += len(a.text)
enricher = Enricher(paths)
enricher.enrich_batch(groups[0][:1])
print(json.dumps({"ready": len(articles)}), flush=True)
for _ in sys.stdin:
    started = time.perf_counter()
    for g in groups:
        enricher.enrich_batch(g)
    print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)
"""


class Worker:
    def __init__(self, python: Path, checkout: Path, config: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [str(python), "-c", WORKER, json.dumps(config)],
            cwd=checkout,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.articles = int(self._read()["ready"])

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited with {self.proc.wait()}")
        result: dict[str, Any] = json.loads(line)
        return result

    def round(self) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return float(self._read()["seconds"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feed", type=Path, default=DEFAULT_FEED)
    parser.add_argument("--skip", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-chars", type=int, default=60_000)
    parser.add_argument(
        "--baseline", type=Path, help="a checkout of another newswire commit, with its .venv"
    )
    parser.add_argument(
        "--baseline-precision",
        default="",
        help="int8 or fp32 for a baseline that has newswire's own model; empty for older commits",
    )
    args = parser.parse_args(argv)

    from deploy.models.store import built_model_dir, shipped_model_dir
    from schemas.article import InvalidArticle, parse_article

    config = {
        "feed": str(args.feed.resolve()),
        "skip": args.skip,
        "articles": args.articles,
        "batch_chars": args.batch_chars,
    }
    variants: dict[str, tuple[Path, Path, str]] = {
        "int8": (Path(sys.executable), REPO, "int8"),
    }
    if (built_model_dir() / "model.fp32.onnx").exists():
        variants["fp32"] = (Path(sys.executable), REPO, "fp32")
    if args.baseline:
        variants["baseline"] = (
            args.baseline / ".venv" / "bin" / "python",
            args.baseline,
            args.baseline_precision,
        )
    workers = {
        name: Worker(python, checkout, {**config, "precision": precision})
        for name, (python, checkout, precision) in variants.items()
    }
    timings: dict[str, list[float]] = {name: [] for name in workers}
    for _round in range(args.rounds):
        for name, worker in workers.items():
            timings[name].append(worker.round())
    for worker in workers.values():
        worker.close()

    texts = []
    for line in args.feed.read_bytes().splitlines()[args.skip :]:
        try:
            a = parse_article(line)
        except InvalidArticle:
            continue
        if a.language in (None, "en", "und"):
            texts.append(a.text)
        if len(texts) == args.articles:
            break
    tokens = token_count(texts, shipped_model_dir() / "tokenizer.json")
    report: dict[str, Any] = {
        "articles": len(texts),
        "tokens": tokens,
        "characters": sum(len(t) for t in texts),
        "rounds": args.rounds,
        "what": "Enricher.enrich_batch (entities and topics) over character-bounded batches",
        "baseline": str(args.baseline) if args.baseline else None,
        "machine": machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        report[f"{name}_articles_per_s"] = round(len(texts) / median, 2)
        report[f"{name}_tokens_per_s"] = round(tokens / median, 1)
        report[f"{name}_seconds"] = [round(t, 2) for t in seconds]
    if "baseline" in timings:
        for name in timings:
            if name != "baseline":
                report[f"{name}_speedup_vs_baseline"] = round(
                    statistics.median(timings["baseline"]) / statistics.median(timings[name]), 2
                )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "model-speed-latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
