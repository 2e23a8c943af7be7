"""The `newswire` command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.settings import Settings

if TYPE_CHECKING:
    from enrich.enricher import ModelPaths
    from pipeline.search import Filters
    from pipeline.stop import StopRequest


def _models(settings: Settings) -> ModelPaths:
    from pipeline.models import model_paths

    try:
        return model_paths(settings)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def cmd_services(args: argparse.Namespace, _settings: Settings) -> int:
    from deploy.local import stack

    action = {"up": stack.up, "down": stack.down, "status": stack.status}[args.action]
    statuses = action()
    for status in statuses:
        print(status.line())
    if args.action == "up":
        return 0 if all(s.ready for s in statuses) else 1
    if args.action == "down":
        return 0 if not any(s.running for s in statuses) else 1
    return 0 if all(s.ready for s in statuses) else 3


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "train":
        from training.run import train_and_install

        return train_and_install(args.workdir, install_shipped=not args.no_install)
    from deploy.models.store import card

    paths = _models(settings)
    info = card(paths.model_dir)
    print(f"model:    {info['name']} v{info['version']} ({paths.precision}) at {paths.model_dir}")
    print("          checked against its SHA-256 manifest")
    if paths.ner_model:
        print(f"ner:      {paths.ner_model} (Hugging Face checkpoint, through transformers)")
    topics = "zero-shot" if paths.zero_shot_encoder_dir else "trained classifier"
    print(f"topics:   {topics} over {paths.topics_file}")
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.index_admin import setup_index
    from pipeline.index_migrate import migrate
    from transforms.connections import es_client

    client = es_client(settings.es)
    try:
        if args.action == "setup":
            print(f"alias {settings.index} -> {setup_index(client, settings.index)}")
            return 0
        from pipeline.progress import bar

        reenrich = _reenricher(settings) if args.re_enrich else None
        copied = bar(int(client.count(index=settings.index)["count"]), "migrate")
        result = migrate(
            client,
            settings.index,
            reenrich,
            progress=lambda n: copied.update(n - copied.n),
        )
        copied.close()
    finally:
        client.close()
    print(
        f"alias {settings.index}: {result.source} -> {result.target}; copied {result.copied}, "
        f"caught up {result.caught_up} in {result.seconds:.1f}s"
        + (" (re-enriched)" if args.re_enrich else "")
    )
    print(f"{result.source} is kept; delete it when satisfied: DELETE /{result.source}")
    return 0


def _reenricher(settings: Settings) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    from enrich.enricher import Enricher
    from schemas.document import article_from_document, build_document

    enricher = Enricher(_models(settings))

    def reenrich(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pairs = [article_from_document(doc) for doc in docs]
        results = enricher.enrich_batch([article for article, _ in pairs])
        return [
            build_document(article, result, source)
            for (article, source), result in zip(pairs, results, strict=True)
        ]

    return reenrich


def cmd_produce(args: argparse.Namespace, settings: Settings) -> int:
    from transforms.kafka_clients import ensure_topics

    if (args.every or args.state_dir) and not args.feed_url:
        raise ValueError("--every and --state-dir go with --feed-url")
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    if args.feed_url:
        return _produce_feed_url(args, settings)
    if args.item:
        from pipeline.produce import item_record, produce_keyed

        count = produce_keyed(
            settings.kafka, settings.topic, [item_record(Path(p)) for p in args.item]
        )
        print(f"produced {count} records to {settings.topic}")
        return 0
    from pipeline.produce import feed_lines, produce
    from pipeline.progress import bar

    feed = Path(args.feed)
    with feed.open("rb") as f:
        total = sum(1 for line in f if line.strip())
    with bar(total, "produce") as progress:

        def counted() -> Iterator[bytes]:
            for line in feed_lines(feed):
                yield line
                progress.update(1)

        count = produce(settings.kafka, settings.topic, counted())
    print(f"produced {count} records to {settings.topic}")
    return 0


def _produce_feed_url(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.feeds import default_state_dir, describe, parse_duration, poll_forever, poll_once
    from pipeline.stop import StopRequest

    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    kafka = settings.kafka
    if not args.every:
        result = poll_once(kafka, settings.topic, settings.dlq_topic, args.feed_url, state_dir)
        print(describe(args.feed_url, result))
        return 0
    every = parse_duration(args.every)
    with StopRequest().on_signals() as stop:
        poll_forever(
            kafka,
            settings.topic,
            settings.dlq_topic,
            args.feed_url,
            state_dir,
            every,
            stop,
            report=lambda line: print(line, flush=True),
        )
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings, beam_args: list[str]) -> int:
    if args.streaming:
        from pipeline.stop import StopRequest

        # First thing, before Beam, the models or the runner load: a SIGTERM during start-up
        # must stop the run cleanly, not kill the process (pipeline/stop.py).
        with StopRequest().on_signals() as stop:
            logging.getLogger("newswire.run").info(
                "streaming run starting; SIGTERM or Ctrl-C now stops it cleanly"
            )
            return _run_streaming(args, settings, beam_args, stop)
    from pipeline.run import run_bounded
    from transforms.kafka_clients import backfill_ranges, ensure_topics
    from transforms.kafka_positions import parse_bound

    paths = _models(settings)
    kafka = settings.kafka
    ensure_topics(kafka, [settings.topic, settings.dlq_topic])
    ranges = None
    if args.from_ or args.to:
        start = parse_bound(args.from_ or "0")
        until = parse_bound(args.to) if args.to else None
        ranges = backfill_ranges(kafka, [settings.topic], start, until)
    from pipeline.progress import bar

    with _runner_args(beam_args, streaming=False) as runner, bar(None, "read") as progress:

        def show(done: int, total: int) -> None:
            progress.total = total
            progress.update(done - progress.n)

        summary = run_bounded(settings, paths, runner, ranges, progress=show)
    print(summary.line())
    return 0


def _run_streaming(
    args: argparse.Namespace, settings: Settings, beam_args: list[str], stop: StopRequest
) -> int:
    from transforms.kafka_positions import parse_start

    if args.from_ or args.to:
        raise ValueError("--from/--to are for bounded backfills, not with --streaming")
    start = parse_start(args.start)
    from pipeline.streaming import run_streaming
    from transforms.kafka_clients import ensure_topics

    paths = _models(settings)
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    if stop.is_set():  # asked to stop while loading: do not start a runner for nothing
        print(f"stopped: STOPPED_BEFORE_START ({stop.reason})")
        return 0
    with _runner_args(beam_args, streaming=True) as runner:
        run = run_streaming(settings, paths, runner, start, stop=stop)
    print(f"stopped: {run.state}")
    return 0


@contextlib.contextmanager
def _runner_args(beam_args: list[str], streaming: bool) -> Iterator[list[str]]:
    """Beam options as given, with the local runner started when it is the one to use.

    Streaming runs default to Prism, bounded runs to the DirectRunner. Prism, and for
    `--runner=FlinkRunner` an embedded Flink, are started here (Beam would try to download
    them) unless a job endpoint, a Prism binary, a job-server jar or a Flink master is named.
    """
    runner = next((a.split("=", 1)[1] for a in beam_args if a.startswith("--runner=")), None)
    if runner is None and not streaming:
        yield ["--runner=DirectRunner", *beam_args]
        return
    named_server = any(
        a.startswith(("--job_endpoint", "--prism_location", "--flink_job_server_jar"))
        or (a.startswith("--flink_master") and not a.endswith("[local]"))
        for a in beam_args
    )
    rest = [a for a in beam_args if not a.startswith(("--runner", "--flink_master"))]
    if runner == "FlinkRunner" and not named_server:
        from deploy.runners import flink_args, flink_job_server

        with flink_job_server() as endpoint:
            yield [*flink_args(endpoint), *rest]
        return
    if runner not in (None, "PrismRunner") or named_server:
        yield beam_args
        return
    from deploy.runners import prism_args, prism_server

    with prism_server() as endpoint:
        yield [*prism_args(endpoint), *rest]


def cmd_offsets(args: argparse.Namespace, settings: Settings) -> int:
    from transforms.kafka_clients import commit_ranges
    from transforms.kafka_decode import batch_bounds
    from transforms.kafka_positions import OffsetRange

    topic = settings.topic
    first, after = batch_bounds(settings.kafka, topic, args.partition, args.offset)
    if args.dry_run:
        print(f"would move group {settings.group_id} on {topic}[{args.partition}] to {after}")
        return 0
    commit_ranges(
        settings.kafka,
        settings.group_id,
        [OffsetRange(topic, args.partition, first, after)],
    )
    print(
        f"group {settings.group_id}: {topic}[{args.partition}] now resumes at offset {after} "
        f"(skipped the batch of offsets {first}-{after - 1}; they are still in Kafka)"
    )
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from enrich.evaluate import table
    from pipeline.evaluate import DEFAULT_FEED, evaluate, write_report
    from pipeline.progress import bar

    gold: Path | str = Path(args.gold) if args.gold else args.split
    with bar(None, "eval") as progress:
        report = evaluate(gold, Path(args.feed or DEFAULT_FEED), _models(settings), progress.update)
    write_report(report, Path(args.report))
    print("\n".join(table(report)))
    print(f"report: {args.report}")
    return 0


def cmd_config(args: argparse.Namespace, _settings: Settings) -> int:
    from pipeline.settings import describe

    print("\n".join(describe(Settings.explain(args))))
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.status import status

    current = status(settings)
    if args.json:
        print(json.dumps(current.to_json(), indent=2))
    else:
        print("\n".join(current.lines()))
    return 0 if not current.errors else 1


def _filters(args: argparse.Namespace) -> Filters:
    from pipeline.search import Filters

    return Filters(
        entities=tuple(args.entity or ()),
        entity_type=args.entity_type,
        topics=tuple(args.topic_label or ()),
        sources=tuple(args.source or ()),
        since=args.since,
        until=args.until,
    )


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.search import format_hit, search_body
    from transforms.connections import es_client

    client = es_client(settings.es)
    try:
        body = search_body(" ".join(args.query), args.size, _filters(args))
        response = client.search(index=settings.index, **body)
    finally:
        client.close()
    hits = response["hits"]["hits"]
    if args.json:
        print(json.dumps([h["_source"] for h in hits], indent=2, ensure_ascii=False))
        return 0
    total = response["hits"]["total"]["value"]
    print(f"{total} matching article(s) in '{settings.index}'\n")
    for hit in hits:
        print(format_hit(hit))
        print()
    return 0


def cmd_entities(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.search import (
        buckets,
        cooccurring_body,
        format_buckets,
        top_entities_body,
        trending_entities_body,
    )
    from transforms.connections import es_client

    filters = _filters(args)
    if args.with_entity:
        title = f"entities in the same articles as {args.with_entity}"
        body = cooccurring_body(args.with_entity, args.top, filters)
    elif args.trending:
        title = f"entities trending since {args.since or 'now-7d'} (significant_terms)"
        body = trending_entities_body(args.top, args.since or "now-7d")
    else:
        title = "top entities (articles mentioning them)"
        body = top_entities_body(args.top, filters)
    client = es_client(settings.es)
    try:
        result = buckets(client.search(index=settings.index, **body))
    finally:
        client.close()
    if args.with_entity:
        result = {k: v[: args.top] for k, v in result.items()}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(format_buckets(title, result))
    return 0


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from newsroom.server import serve

    serve(settings, args.host, args.port, args.allow_unauthenticated)
    return 0


def cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import dead_letters

    if args.action == "inspect":
        summary = dead_letters.inspect(settings.kafka, settings.dlq_topic, args.examples)
        print("\n".join(summary.lines()))
        return 0
    result = dead_letters.replay(
        settings.kafka,
        settings.dlq_topic,
        settings.topic,
        codes=set(args.code) if args.code else None,
        to_topic=args.to_topic,
        dry_run=args.dry_run,
    )
    verb = "would replay" if args.dry_run else "replayed"
    print(f"{verb} {result.replayed} record(s) {dict(result.by_code)}; skipped {result.skipped}")
    if result.truncated:
        print(
            f"{result.truncated} letter(s) hold only the start of a record over "
            "11,000,000 bytes and were not replayed; the records are at their "
            "topic/partition/offset in Kafka"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswire", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="json: one object per line, for log shippers (env NEWSWIRE_LOG_FORMAT)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    services = sub.add_parser(
        "services", help="manage the local Kafka broker and Elasticsearch server"
    )
    services.add_argument("action", choices=["up", "down", "status"])

    models = sub.add_parser(
        "models", help="check the shipped models (fetch), or rebuild newswire's own (train)"
    )
    models.add_argument("action", choices=["fetch", "train"])
    models.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="train: where stages are cached (default: the cache directory)",
    )
    models.add_argument(
        "--no-install",
        action="store_true",
        help="train: leave the result in the cache; do not replace deploy/models/",
    )

    index = sub.add_parser(
        "index", help="install the template and alias (setup), or move to a new version (migrate)"
    )
    index.add_argument("action", choices=["setup", "migrate"])
    index.add_argument(
        "--re-enrich", action="store_true", help="migrate: run the current models on every article"
    )

    produce = sub.add_parser(
        "produce", help="push a JSONL feed, item files, or an RSS/Atom feed to the article topic"
    )
    what = produce.add_mutually_exclusive_group(required=True)
    what.add_argument("--feed", help="JSONL file, one article per line (newswire JSON or ninjs)")
    what.add_argument(
        "--item",
        nargs="+",
        help="files sent as one record each, as they are (a NewsML-G2 XML or ninjs JSON item)",
    )
    what.add_argument(
        "--feed-url", help="RSS 2.0 or Atom feed (URL or file): send new and changed items"
    )
    produce.add_argument(
        "--every", help="with --feed-url: keep polling at this interval (30s, 5m, 1h)"
    )
    produce.add_argument(
        "--state-dir",
        help="with --feed-url: where sent items are remembered "
        "(default $NEWSWIRE_STATE_DIR, else ~/.local/state/newswire)",
    )

    run = sub.add_parser(
        "run",
        help="index what the topic holds and exit, or keep indexing (--streaming); "
        "other flags go to Beam (e.g. --runner=FlinkRunner)",
    )
    run.add_argument(
        "--streaming",
        action="store_true",
        help="run until stopped (SIGTERM/Ctrl-C settle in-flight work first), on Prism by default",
    )
    run.add_argument(
        "--start",
        default="committed",
        help="streaming start: committed (default; else earliest), earliest, latest, or a time",
    )
    run.add_argument(
        "--from",
        dest="from_",
        help="backfill from: an offset (1200), per partition (0:1200,1:900) or a time; "
        "backfills leave the group's offsets alone",
    )
    run.add_argument("--to", help="backfill to (exclusive): same forms as --from; default: the end")

    offsets = sub.add_parser(
        "offsets", help="skip: move the group past a record batch that cannot be decoded"
    )
    offsets.add_argument("action", choices=["skip"])
    offsets.add_argument("--partition", type=int, required=True)
    offsets.add_argument("--offset", type=int, required=True, help="an offset in the batch")
    offsets.add_argument("--dry-run", action="store_true", help="say where, change nothing")

    evaluation = sub.add_parser(
        "eval", help="entity P/R/F1 per type and topic accuracy on a labelled set"
    )
    evaluation.add_argument(
        "--split",
        choices=["train", "dev", "test"],
        default="dev",
        help="a split of the labelled corpus in eval/corpus/ (default dev; report on test)",
    )
    evaluation.add_argument("--gold", help="another labelled JSONL instead of a corpus split")
    evaluation.add_argument("--feed", help="JSONL feed holding the labelled articles' texts")
    evaluation.add_argument("--report", default="eval/report.json", help="JSON report path")

    config = sub.add_parser("config", help="show the effective settings and where each came from")
    config.add_argument("action", choices=["show"])

    status = sub.add_parser(
        "status", help="consumer lag per partition, index size and documents, dead letters"
    )
    status.add_argument("--json", action="store_true")

    dlq = sub.add_parser("dlq", help="inspect the dead-letter topic or replay it after a fix")
    dlq.add_argument("action", choices=["inspect", "replay"])
    dlq.add_argument("--examples", type=int, default=3, help="inspect: examples per error code")
    dlq.add_argument("--code", action="append", help="replay: only this error code (repeatable)")
    dlq.add_argument("--to-topic", help="replay: send here instead of each record's own topic")
    dlq.add_argument("--dry-run", action="store_true", help="replay: count, send nothing")

    search = sub.add_parser("search", help="search indexed articles")
    search.add_argument("query", nargs="*", default=["*"])
    search.add_argument("--size", type=int, default=10)
    search.add_argument("--json", action="store_true", help="print the documents as JSON")

    entities = sub.add_parser("entities", help="top, trending and co-occurring entities")
    entities.add_argument("--top", type=int, default=10, help="how many per type")
    entities.add_argument("--trending", action="store_true", help="significant since --since")
    entities.add_argument("--with", dest="with_entity", help="entities co-occurring with this one")
    entities.add_argument("--json", action="store_true")

    ui = sub.add_parser(
        "ui", help="the analysts' newsroom: search, articles, entities, trends (web, read-only)"
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    ui.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    ui.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="listen beyond loopback without NEWSWIRE_UI_TOKEN or basic auth (trusted networks)",
    )

    for command in (search, entities):
        command.add_argument("--entity", action="append", help="only articles mentioning it")
        command.add_argument(
            "--entity-type", choices=["PER", "ORG", "LOC", "MISC"], help="the type of --entity"
        )
        command.add_argument(
            "--topic-label", action="append", help="only articles with this IPTC topic"
        )
        command.add_argument("--source", action="append", help="only articles from this source")
        command.add_argument("--since", help="published at or after (e.g. 2022-03-01, now-7d)")
        command.add_argument("--until", help="published at or before")

    for command in sub.choices.values():
        Settings.add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    from pipeline.logs import configure

    configure(args.verbose, args.log_format or os.environ.get("NEWSWIRE_LOG_FORMAT", "text"))
    if rest and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    handlers = {
        "services": cmd_services,
        "models": cmd_models,
        "index": cmd_index,
        "produce": cmd_produce,
        "search": cmd_search,
        "dlq": cmd_dlq,
        "entities": cmd_entities,
        "status": cmd_status,
        "config": cmd_config,
        "eval": cmd_eval,
        "offsets": cmd_offsets,
        "ui": cmd_ui,
    }
    try:
        # Resolved once, here at the edge; everything below gets the settings or their
        # connections. `services` and `config show` need none resolved (config explains them).
        settings = Settings() if args.command in ("services", "config") else Settings.resolve(args)
        if args.command == "run":
            return cmd_run(args, settings, rest)
        return handlers[args.command](args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line for the user; -v shows the traceback
        if args.verbose:
            raise
        print(f"newswire {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
