"""The full pipeline on the real stack, against the model alone and a naive loop, in one run.

Phases, one after the other on the same articles so they do not compete for the cores:

1. model limit: the enricher alone (NER + topics), batched the way the pipeline batches, no
   Beam, Kafka or Elasticsearch;
2. pipeline throughput: the articles produced up front, then `newswire run --streaming` (a
   separate process, Prism) works through the backlog; articles/s while it works, from 10% to
   100% of the articles searchable (start-up, mostly loading the models, is reported apart,
   as is the wall time until every offset is committed);
3. latency: with the pipeline still running, articles produced one at a time at light load;
   produce-to-searchable time of each (a `_search` for its id, polled every 50 ms);
4. naive baseline: a plain kafka-python consumer loop that parses, runs the same models on one
   article at a time and indexes one document per request.

Peak RSS is the pipeline process tree's (the Python process with its Prism child), sampled
every 0.5 s. Writes bench/results/latest.json, a timestamped copy and a PNG plot.

    python -m bench.pipeline_bench [--feed FILE] [--articles 240] [--naive-articles 80]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
DEFAULT_FEED = REPO.parent / "shared" / "data" / "news-feed.jsonl"


@dataclass
class Sample:
    t: float
    settled: int  # records whose offsets are committed
    indexed: int  # documents searchable in the index
    rss_mb: float


@dataclass
class Timeline:
    samples: list[Sample] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total / 1e6


def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def token_count(texts: list[str], tokenizer_path: Path) -> int:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts))


def batches(articles: list[Any], batch_chars: int) -> list[list[Any]]:
    """Consecutive articles up to batch_chars characters each, as the pipeline batches."""
    out: list[list[Any]] = [[]]
    size = 0
    for article in articles:
        if out[-1] and size + len(article.text) > batch_chars:
            out.append([])
            size = 0
        out[-1].append(article)
        size += len(article.text)
    return out


def model_limit(articles: list[Any], enricher: Any, batch_chars: int) -> float:
    """Seconds the enricher alone needs for the articles, batched by characters."""
    started = time.perf_counter()
    for batch in batches(articles, batch_chars):
        enricher.enrich_batch(batch)
    return time.perf_counter() - started


def naive(settings: Any, enricher: Any, expected: int, es: Any) -> float:
    """A plain consumer loop: one article through the models, one index request, repeat."""
    from schemas.article import InvalidArticle, parse_article
    from schemas.document import build_document
    from schemas.source import KafkaCoordinates
    from transforms.kafka_clients import consumer as kafka_consumer

    consumer = kafka_consumer(
        settings.kafka,
        settings.group_id + "-naive",
        auto_offset_reset="earliest",
    )
    consumer.subscribe([settings.topic])
    done = 0
    started = time.perf_counter()
    try:
        while done < expected:
            for batch in consumer.poll(timeout_ms=1000, max_records=1).values():
                for message in batch:
                    done += 1
                    try:
                        article = parse_article(message.value)
                    except InvalidArticle:
                        continue
                    enrichment = enricher.enrich_batch([article])[0]
                    source = KafkaCoordinates(
                        message.topic, message.partition, message.offset, message.timestamp
                    )
                    es.index(
                        index=settings.index + "-naive",
                        id=article.doc_id,
                        document=build_document(article, enrichment, source),
                    )
    finally:
        consumer.close()
    return time.perf_counter() - started


class Pipeline:
    """`newswire run --streaming` in its own process, with a sampler of progress and RSS."""

    def __init__(self, settings: Any, log: Path, es: Any) -> None:
        self.es = es
        env = {**os.environ, **settings.to_env(), "NEWSWIRE_SUMMARY_INTERVAL_S": "10"}
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "run", "--streaming", "--start", "earliest"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        self.settings = settings
        self.timeline = Timeline()
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def settled(self) -> int:
        from transforms.kafka_clients import consumer_lag

        lag = consumer_lag(self.settings.kafka, self.settings.group_id, [self.settings.topic])
        return sum(p.committed or 0 for p in lag)

    def indexed(self) -> int:
        self.es.indices.refresh(index=self.settings.index)
        return int(self.es.count(index=self.settings.index)["count"])

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                settled, indexed = self.settled(), self.indexed()
            except Exception:
                settled = indexed = -1
            self.timeline.samples.append(
                Sample(
                    time.monotonic() - self.started, settled, indexed, tree_rss_mb(self.process.pid)
                )
            )
            self._stop.wait(0.5)

    def steady_rate(self, total: int) -> tuple[float, float]:
        """Articles/s while working (from 10% to 100% indexed), and start-up seconds."""
        samples = [s for s in self.timeline.samples if s.indexed >= 0]
        first = next(s for s in samples if s.indexed > 0)
        low = next(s for s in samples if s.indexed >= 0.1 * total)
        high = next(s for s in samples if s.indexed >= total)
        return (high.indexed - low.indexed) / max(1e-9, high.t - low.t), first.t

    def wait_settled(self, total: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the pipeline exited; see {self.log.name}")
            if self.settled() >= total:
                return
            time.sleep(0.5)
        raise RuntimeError(f"not settled in {timeout:.0f}s; see {self.log.name}")

    def stop(self) -> None:
        self._stop.set()
        self.process.terminate()
        self.process.wait(timeout=180)
        self.log.close()


def searchable_latencies(
    settings: Any, es: Any, lines: list[bytes], interval_s: float
) -> list[tuple[float, float]]:
    """Produce one article every interval; (produce time, seconds until searchable) each."""
    from pipeline.produce import produce_keyed, record_key
    from schemas.article import parse_article

    pending: dict[str, float] = {}
    seen: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def poll() -> None:
        while not done.is_set() or pending:
            with lock:
                ids = list(pending)
            if ids:
                hits = es.search(
                    index=settings.index,
                    query={"ids": {"values": ids}},
                    source=False,
                    size=len(ids),
                )["hits"]["hits"]
                now = time.monotonic()
                with lock:
                    for hit in hits:
                        if hit["_id"] in pending:
                            seen[hit["_id"]] = now - pending.pop(hit["_id"])
            time.sleep(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    produced: list[tuple[float, str]] = []
    start = time.monotonic()

    def paced() -> Iterator[tuple[bytes | None, bytes]]:
        # One producer for the phase (produce_keyed sends each pair as it is yielded), so the
        # clock starts just before send, not before a producer connects.
        for line in lines:
            doc_id = parse_article(line).doc_id
            with lock:
                pending[doc_id] = time.monotonic()
            produced.append((time.monotonic() - start, doc_id))
            yield record_key(line), line
            time.sleep(interval_s)

    produce_keyed(settings.kafka, settings.topic, paced())
    deadline = time.monotonic() + 120
    while pending and time.monotonic() < deadline:
        time.sleep(0.1)
    done.set()
    poller.join(timeout=5)
    return [(t, seen[doc_id]) for t, doc_id in produced if doc_id in seen]


def plot(
    report: dict[str, Any], timeline: Timeline, latencies: list[tuple[float, float]], out: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(9, 10))
    samples = [s for s in timeline.samples if s.settled >= 0]
    rates = []
    for a, b in zip(samples, samples[10:], strict=False):
        rates.append((b.t, (b.indexed - a.indexed) / max(1e-9, b.t - a.t)))
    if rates:
        ax1.plot([t for t, _ in rates], [r for _, r in rates], label="pipeline (5 s window)")
    ax1.axhline(report["model_limit_articles_per_s"], color="green", ls="--", label="model limit")
    ax1.axhline(report["naive_articles_per_s"], color="red", ls=":", label="naive loop")
    ax1.set_xlabel("seconds since the pipeline started")
    ax1.set_ylabel("articles/s indexed")
    ax1.set_title("Throughput")
    ax1.legend()
    ax2.plot([t for t, _ in latencies], [lat for _, lat in latencies], "o", ms=4)
    ax2.axhline(report["latency_p50_s"], color="gray", ls="--", label="p50")
    ax2.axhline(report["latency_p95_s"], color="black", ls=":", label="p95")
    ax2.set_xlabel("seconds into the light-load phase")
    ax2.set_ylabel("produce -> searchable (s)")
    ax2.set_title("Latency at light load")
    ax2.legend()
    ax3.plot([s.t for s in samples], [s.rss_mb for s in samples])
    ax3.set_xlabel("seconds since the pipeline started")
    ax3.set_ylabel("RSS (MB)")
    ax3.set_title("Pipeline process tree memory")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feed", type=Path, default=DEFAULT_FEED)
    parser.add_argument("--skip", type=int, default=1000, help="feed lines to skip first")
    parser.add_argument("--articles", type=int, default=240)
    parser.add_argument("--naive-articles", type=int, default=80)
    parser.add_argument("--latency-articles", type=int, default=30)
    parser.add_argument("--latency-interval", type=float, default=4.0)
    args = parser.parse_args(argv)

    from deploy.local import stack
    from enrich.enricher import Enricher
    from pipeline.index_admin import setup_index
    from pipeline.models import model_paths
    from pipeline.produce import produce
    from pipeline.settings import Settings
    from schemas.article import InvalidArticle, parse_article
    from transforms.connections import es_client
    from transforms.kafka_clients import ensure_topics

    stack.up()
    lines = args.feed.read_bytes().splitlines()
    need = args.articles + args.latency_articles
    chosen = lines[args.skip : args.skip + need]
    if len(chosen) < need:
        chosen = lines[:need]
    backlog, light = chosen[: args.articles], chosen[args.articles :]
    articles = []
    for line in backlog:
        with contextlib.suppress(InvalidArticle):
            articles.append(parse_article(line))
    run = uuid.uuid4().hex[:8]
    settings = dataclasses.replace(
        Settings.resolve(),
        topic=f"bench-{run}",
        dlq_topic=f"bench-{run}.dlq",
        group_id=f"bench-{run}",
        index=f"bench-{run}",
    )
    paths = model_paths(settings)
    es = es_client(settings.es)
    tokens = token_count([a.text for a in articles], paths.model_dir / "tokenizer.json")
    print(f"{len(backlog)} articles ({len(articles)} valid, {tokens} tokens)", flush=True)

    enricher = Enricher(paths)
    enricher.enrich_batch(articles[:2])  # warm-up
    model_s = model_limit(articles, enricher, settings.inference_batch_chars)
    print(f"model limit: {len(articles) / model_s:.2f} articles/s", flush=True)

    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    setup_index(es, settings.index)
    produce(settings.kafka, settings.topic, backlog)
    log = RESULTS / f"pipeline-{run}.log"
    RESULTS.mkdir(parents=True, exist_ok=True)
    del enricher  # the pipeline process loads its own
    pipeline = Pipeline(settings, log, es)
    try:
        pipeline.wait_settled(len(backlog), timeout=1800)
        time.sleep(1.5)  # a last sample with everything indexed
        pipeline_rate, startup_s = pipeline.steady_rate(len(articles))
        wall_s = pipeline.timeline.samples[-1].t
        print(f"pipeline: {pipeline_rate:.2f} articles/s", flush=True)
        latencies = searchable_latencies(settings, es, light, args.latency_interval)
    finally:
        pipeline.stop()
    values = [lat for _, lat in latencies]
    print(
        f"latency p50 {percentile(values, 0.5):.2f}s p95 {percentile(values, 0.95):.2f}s",
        flush=True,
    )

    enricher = Enricher(paths)
    enricher.enrich_batch(articles[:2])
    es.indices.create(index=settings.index + "-naive")
    naive_s = naive(settings, enricher, args.naive_articles, es)
    naive_rate = args.naive_articles / naive_s
    print(f"naive: {naive_rate:.2f} articles/s", flush=True)

    model_rate = len(articles) / model_s
    report = {
        "articles": len(backlog),
        "valid_articles": len(articles),
        "tokens": tokens,
        "pipeline_articles_per_s": round(pipeline_rate, 3),
        "pipeline_tokens_per_s": round(pipeline_rate * tokens / len(articles), 1),
        "pipeline_startup_s": round(startup_s, 1),
        "pipeline_wall_s": round(wall_s, 1),
        "model_limit_articles_per_s": round(model_rate, 3),
        "model_limit_tokens_per_s": round(tokens / model_s, 1),
        "naive_articles_per_s": round(naive_rate, 3),
        "naive_articles": args.naive_articles,
        "ratio_to_model_limit": round(pipeline_rate / model_rate, 3),
        "ratio_to_naive": round(pipeline_rate / naive_rate, 3),
        "latency_articles": len(values),
        "latency_interval_s": args.latency_interval,
        "latency_p50_s": round(percentile(values, 0.5), 3),
        "latency_p95_s": round(percentile(values, 0.95), 3),
        "latency_p99_s": round(percentile(values, 0.99), 3),
        "latency_max_s": round(max(values), 3) if values else None,
        "peak_rss_mb": round(max(s.rss_mb for s in pipeline.timeline.samples), 1),
        "machine": machine(),
        "runner": "PrismRunner (streaming, LOOPBACK)",
        "feed": str(args.feed),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in ("latest.json", f"pipeline-{stamp}.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    plot(report, pipeline.timeline, latencies, RESULTS / "latest.png")
    (RESULTS / f"pipeline-{stamp}.png").write_bytes((RESULTS / "latest.png").read_bytes())
    for index in (settings.index + "-naive", f"{settings.index}-v*"):
        es.indices.delete(index=index, ignore_unavailable=True)
    es.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
