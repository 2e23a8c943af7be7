"""The `newswire` command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.settings import Settings

if TYPE_CHECKING:
    from enrich.enricher import ModelPaths
    from pipeline.search import Filters


def _models(args: argparse.Namespace) -> ModelPaths:
    from deploy.models.store import encoder_dir, ner_head_dir
    from enrich.enricher import ModelPaths
    from enrich.topics import DEFAULT_TOPICS_FILE

    settings = Settings.resolve(args)
    return ModelPaths(encoder_dir(), ner_head_dir(), DEFAULT_TOPICS_FILE, settings.model_threads)


def cmd_services(args: argparse.Namespace) -> int:
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


def cmd_models(args: argparse.Namespace) -> int:
    from enrich.ner_head import NerHead

    paths = _models(args)
    print(f"encoder:  {paths.encoder_dir}")
    print(f"ner head: {paths.ner_head_dir}")
    meta = NerHead.load(paths.ner_head_dir).meta
    print(
        "          agreement with its teacher on held-out sentences:",
        meta.get("teacher_agreement"),
    )
    print(f"topics:   {paths.topics_file}")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from pipeline.index_admin import setup_index
    from pipeline.index_migrate import migrate
    from transforms.elasticsearch import make_client

    settings = Settings.resolve(args)
    client = make_client(settings.es_connection())
    try:
        if args.action == "setup":
            print(f"alias {settings.index} -> {setup_index(client, settings.index)}")
            return 0
        from pipeline.progress import bar

        reenrich = _reenricher(args) if args.re_enrich else None
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


def _reenricher(args: argparse.Namespace) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    from enrich.enricher import Enricher
    from schemas.document import article_from_document, build_document

    enricher = Enricher(_models(args))

    def reenrich(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pairs = [article_from_document(doc) for doc in docs]
        results = enricher.enrich_batch([article for article, _ in pairs])
        return [
            build_document(article, result, source)
            for (article, source), result in zip(pairs, results, strict=True)
        ]

    return reenrich


def cmd_produce(args: argparse.Namespace) -> int:
    from pipeline.produce import feed_lines, produce
    from pipeline.progress import bar
    from transforms.kafka_admin import ensure_topics

    settings = Settings.resolve(args)
    ensure_topics(settings.kafka_connection(), [settings.topic, settings.dlq_topic])
    feed = Path(args.feed)
    with feed.open("rb") as f:
        total = sum(1 for line in f if line.strip())
    with bar(total, "produce") as progress:

        def counted() -> Iterator[bytes]:
            for line in feed_lines(feed):
                yield line
                progress.update(1)

        count = produce(settings.kafka_connection(), settings.topic, counted())
    print(f"produced {count} records to {settings.topic}")
    return 0


def cmd_run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.run import run_bounded
    from transforms.kafka_admin import ensure_topics
    from transforms.kafka_positions import parse_bound, parse_start
    from transforms.kafka_source import backfill_ranges

    settings = Settings.resolve(args)
    paths = _models(args)
    kafka = settings.kafka_connection()
    ensure_topics(kafka, [settings.topic, settings.dlq_topic])
    if args.streaming:
        from pipeline.streaming import run_streaming

        if args.from_ or args.to:
            raise ValueError("--from/--to are for bounded backfills, not with --streaming")
        with _runner_args(beam_args, streaming=True) as runner:
            run = run_streaming(settings, paths, runner, parse_start(args.start))
        print(f"stopped: {run.state}")
        return 0
    ranges = None
    if args.from_ or args.to:
        start = parse_bound(args.from_ or "0")
        stop = parse_bound(args.to) if args.to else None
        ranges = backfill_ranges(kafka, [settings.topic], start, stop)
    from pipeline.progress import bar

    with _runner_args(beam_args, streaming=False) as runner, bar(None, "read") as progress:

        def show(done: int, total: int) -> None:
            progress.total = total
            progress.update(done - progress.n)

        summary = run_bounded(settings, paths, runner, ranges, progress=show)
    print(summary.line())
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


def cmd_eval(args: argparse.Namespace) -> int:
    from enrich.evaluate import table
    from pipeline.evaluate import DEFAULT_FEED, DEV_SET, evaluate, write_report
    from pipeline.progress import bar

    gold = Path(args.gold) if args.gold else DEV_SET
    with bar(None, "eval") as progress:
        report = evaluate(gold, Path(args.feed or DEFAULT_FEED), _models(args), progress.update)
    write_report(report, Path(args.report))
    print("\n".join(table(report)))
    print(f"report: {args.report}")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from pipeline.settings import describe

    print("\n".join(describe(Settings.explain(args))))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.status import status

    current = status(Settings.resolve(args))
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


def cmd_search(args: argparse.Namespace) -> int:
    from pipeline.search import format_hit, search_body
    from transforms.elasticsearch import make_client

    settings = Settings.resolve(args)
    client = make_client(settings.es_connection())
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


def cmd_entities(args: argparse.Namespace) -> int:
    from pipeline.search import (
        buckets,
        cooccurring_body,
        format_buckets,
        top_entities_body,
        trending_entities_body,
    )
    from transforms.elasticsearch import make_client

    settings = Settings.resolve(args)
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
    client = make_client(settings.es_connection())
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


def cmd_ui(args: argparse.Namespace) -> int:
    from newsroom.server import serve

    serve(Settings.resolve(args), args.host, args.port, args.allow_unauthenticated)
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    from pipeline import dead_letters

    settings = Settings.resolve(args)
    if args.action == "inspect":
        summary = dead_letters.inspect(
            settings.kafka_connection(), settings.dlq_topic, args.examples
        )
        print("\n".join(summary.lines()))
        return 0
    result = dead_letters.replay(
        settings.kafka_connection(),
        settings.dlq_topic,
        settings.topic,
        codes=set(args.code) if args.code else None,
        to_topic=args.to_topic,
        dry_run=args.dry_run,
    )
    verb = "would replay" if args.dry_run else "replayed"
    print(f"{verb} {result.replayed} record(s) {dict(result.by_code)}; skipped {result.skipped}")
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

    models = sub.add_parser("models", help="fetch (and on first use build) the models")
    models.add_argument("action", choices=["fetch"])

    index = sub.add_parser(
        "index", help="install the template and alias (setup), or move to a new version (migrate)"
    )
    index.add_argument("action", choices=["setup", "migrate"])
    index.add_argument(
        "--re-enrich", action="store_true", help="migrate: run the current models on every article"
    )

    produce = sub.add_parser("produce", help="push a JSONL feed to the article topic")
    produce.add_argument("--feed", required=True, help="JSONL file, one article per line")

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

    evaluation = sub.add_parser(
        "eval", help="entity P/R/F1 per type and topic accuracy on a labelled set"
    )
    evaluation.add_argument("--gold", help="labelled JSONL (default: eval/dev-set.jsonl)")
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
        "ui": cmd_ui,
    }
    try:
        if args.command == "run":
            return cmd_run(args, rest)
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line for the user; -v shows the traceback
        if args.verbose:
            raise
        print(f"newswire {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
