"""Server time of the newsroom's search and entity pages over an index of the shared feed.

The articles go through the real pipeline (Kafka, the models, Elasticsearch) into a dedicated
alias, `news-ui-bench` by default, which is kept between runs: enriching the whole feed takes
about ten minutes of two cores, so a later run reuses what an earlier one indexed and only sends
the articles still missing (`--articles N` indexes the first N lines of the feed; the default
is all of it). Then `newswire ui` runs as a separate process and the bench requests, one at a
time, search pages (all articles, each of the most named entities as search text, as a facet
filter, sorted newest, and the second page through search_after) and entity pages of those
entities. Server time is the app's own Server-Timing header (routing, the Elasticsearch
round trip and rendering); the client's wall time is reported beside it.

    python -m bench.ui_bench [--feed FILE] [--articles N] [--requests 200]

Writes bench/results/ui-<UTC time>.json and bench/results/ui-latest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pipeline_bench import DEFAULT_FEED, RESULTS, percentile
from deploy.paths import cache_dir
from pipeline.settings import Settings

TARGET_P95_MS = 300.0


def feed_digest(lines: list[bytes]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line + b"\n")
    return digest.hexdigest()[:16]


def ensure_indexed(settings: Settings, feed: list[bytes], wanted: int) -> dict[str, Any]:
    """Make the bench alias hold at least the first `wanted` feed lines, indexed by the real
    pipeline; reuse what a previous run indexed (a state file in the cache records what was
    produced to the bench topic and settled)."""
    from pipeline.index_admin import setup_index
    from pipeline.models import model_paths
    from pipeline.produce import produce
    from pipeline.run import run_bounded
    from transforms.connections import es_client
    from transforms.kafka_clients import ensure_topics

    state_file = cache_dir() / f"ui-bench-{settings.index}.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    client = es_client(settings.es)
    try:
        index = setup_index(client, settings.index)
        uuid = client.indices.get_settings(index=index)[index]["settings"]["index"]["uuid"]
        if state.get("index_uuid") != uuid:
            state = {"index_uuid": uuid, "produced": 0, "feed": "", "settled": 0}
        produced = int(state["produced"])
        if produced and state["feed"] != feed_digest(feed[:produced]):
            raise SystemExit(
                f"{settings.index} holds a different feed; pass --index for another alias"
            )
        target = max(produced, wanted)
        built_seconds = 0.0
        if produced < target or state["settled"] < target:
            ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
            if produced < target:
                produce(settings.kafka, settings.topic, feed[produced:target])
                state.update(produced=target, feed=feed_digest(feed[:target]))
                state_file.parent.mkdir(parents=True, exist_ok=True)
                state_file.write_text(json.dumps(state))
            print(f"ui bench: indexing {target - state['settled']} articles", flush=True)
            started = time.monotonic()
            summary = run_bounded(settings, model_paths(settings))
            built_seconds = time.monotonic() - started
            print(f"ui bench: {summary}", flush=True)
            state["settled"] = target
            state_file.write_text(json.dumps(state))
        client.indices.refresh(index=settings.index)
        documents = int(client.count(index=settings.index)["count"])
    finally:
        client.close()
    return {
        "documents": documents,
        "feed_lines_indexed": target,
        "feed_lines_total": len(feed),
        "whole_feed": target == len(feed),
        "build_seconds": round(built_seconds, 1),
    }


def indexed_now(settings: Settings, feed_lines: int) -> dict[str, Any]:
    """What the alias holds, for --measure-only: no claim about which feed lines it has."""
    from transforms.connections import es_client

    client = es_client(settings.es)
    try:
        documents = int(client.count(index=settings.index)["count"])
    finally:
        client.close()
    return {
        "documents": documents,
        "feed_lines_indexed": None,
        "feed_lines_total": feed_lines,
        "whole_feed": False,
        "build_seconds": 0.0,
        "measure_only": True,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[float, float, int]:
    """(server ms from Server-Timing, client wall ms, status)."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        timing = response.headers.get("Server-Timing", "")
        status = response.status
    wall = (time.perf_counter() - started) * 1000
    server = float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")
    return server, wall, status


def top_entities(settings: Settings, per_type: int) -> list[tuple[str, str]]:
    from transforms.connections import es_client

    fields = {"PER": "persons", "ORG": "organizations", "LOC": "locations", "MISC": "misc_entities"}
    client = es_client(settings.es)
    try:
        response = client.search(
            index=settings.index,
            size=0,
            aggs={k: {"terms": {"field": f, "size": per_type}} for k, f in fields.items()},
        )
    finally:
        client.close()
    return [
        (kind, str(b["key"])) for kind in fields for b in response["aggregations"][kind]["buckets"]
    ]


def search_urls(base: str, entities: list[tuple[str, str]]) -> list[str]:
    param = {"PER": "per", "ORG": "org", "LOC": "loc", "MISC": "misc"}
    urls = [base + "/", base + "/?sort=newest"]
    for kind, name in entities:
        urls.append(base + "/?" + urllib.parse.urlencode({"q": name}))
        urls.append(base + "/?" + urllib.parse.urlencode({param[kind]: name, "sort": "newest"}))
        words = name.split()
        if words:
            urls.append(base + "/?" + urllib.parse.urlencode({"q": f"{words[-1]} OR election"}))
    return urls


def second_pages(base: str) -> list[str]:
    """The 'Next page' links of the plain searches: search_after cursors, as a user follows."""
    import re

    found = []
    for first in (base + "/", base + "/?sort=newest"):
        with urllib.request.urlopen(first) as response:
            html = response.read().decode()
        match = re.search(r'<a rel="next" href="([^"]+)"', html)
        if match:
            found.append(base + match.group(1).replace("&amp;", "&"))
    return found


def summarise(samples: list[tuple[float, float, int]]) -> dict[str, Any]:
    server = [s for s, _w, _c in samples]
    wall = [w for _s, w, _c in samples]
    return {
        "requests": len(samples),
        "errors": sum(1 for _s, _w, c in samples if c != 200),
        "server_p50_ms": round(percentile(server, 0.5), 1),
        "server_p95_ms": round(percentile(server, 0.95), 1),
        "server_p99_ms": round(percentile(server, 0.99), 1),
        "server_max_ms": round(max(server), 1),
        "client_p50_ms": round(percentile(wall, 0.5), 1),
        "client_p95_ms": round(percentile(wall, 0.95), 1),
    }


def measure(urls: list[str], requests: int, rng: random.Random) -> dict[str, Any]:
    for url in urls[:10]:  # warm the server's caches and the app's first-use paths
        fetch(url)
    chosen = [urls[i % len(urls)] for i in range(requests)]
    rng.shuffle(chosen)
    return summarise([fetch(url) for url in chosen])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="newsroom page server times (bench/ui_bench.py)")
    parser.add_argument("--feed", type=Path, default=DEFAULT_FEED)
    parser.add_argument("--articles", type=int, default=0, help="first N feed lines (0: all)")
    parser.add_argument("--index", default="news-ui-bench", help="the bench's own alias")
    parser.add_argument("--requests", type=int, default=200, help="per page kind")
    parser.add_argument("--entities", type=int, default=10, help="most named, per type")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="index nothing: measure over what the alias holds now (reported as such)",
    )
    args = parser.parse_args(argv)

    feed = [line for line in args.feed.read_bytes().splitlines() if line.strip()]
    settings = Settings.resolve(
        None,
        env={
            **os.environ,
            "NEWSWIRE_INDEX": args.index,
            "NEWSWIRE_TOPIC": args.index,
            "NEWSWIRE_DLQ_TOPIC": args.index + ".dlq",
            "NEWSWIRE_GROUP_ID": args.index,
        },
    )
    if args.measure_only:
        corpus = indexed_now(settings, len(feed))
    else:
        corpus = ensure_indexed(settings, feed, min(args.articles or len(feed), len(feed)))
    entities = top_entities(settings, args.entities)

    port = free_port()
    log = RESULTS / "ui-server.log"
    RESULTS.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        server = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "ui", "--port", str(port)],
            env={**os.environ, **settings.to_env()},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"newswire ui did not start; see {log}") from None
                time.sleep(0.3)
        rng = random.Random(7)
        searches = search_urls(base, entities) + second_pages(base)
        entity_pages = [
            base + "/entity?" + urllib.parse.urlencode({"type": k, "name": n}) for k, n in entities
        ]
        search = measure(searches, args.requests, rng)
        entity = measure(entity_pages, args.requests, rng)
    finally:
        server.terminate()
        server.wait(timeout=20)

    report = {
        "bench": "ui",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "index": settings.index,
        "feed": str(args.feed),
        **corpus,
        "search_page": search,
        "entity_page": entity,
        "distinct_search_urls": len(searches),
        "distinct_entity_urls": len(entity_pages),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": search["server_p95_ms"] < TARGET_P95_MS
        and entity["server_p95_ms"] < TARGET_P95_MS,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_1m": os.getloadavg()[0],
        },
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(report, indent=2)
    (RESULTS / f"ui-{stamp}.json").write_text(text)
    (RESULTS / "ui-latest.json").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
