"""The `newswire` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.settings import Settings

if TYPE_CHECKING:
    from enrich.enricher import ModelPaths


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
    from transforms.elasticsearch import make_client

    settings = Settings.resolve(args)
    client = make_client(settings.es_url)
    try:
        index = setup_index(client, settings.index)
    finally:
        client.close()
    print(f"alias {settings.index} -> {index}")
    return 0


def cmd_produce(args: argparse.Namespace) -> int:
    from pipeline.produce import feed_lines, produce
    from transforms.kafka_admin import ensure_topics

    settings = Settings.resolve(args)
    ensure_topics(settings.bootstrap_servers, [settings.topic, settings.dlq_topic])
    count = produce(settings.bootstrap_servers, settings.topic, feed_lines(Path(args.feed)))
    print(f"produced {count} records to {settings.topic}")
    return 0


def cmd_run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.run import run_bounded
    from transforms.kafka_admin import ensure_topics

    settings = Settings.resolve(args)
    paths = _models(args)
    ensure_topics(settings.bootstrap_servers, [settings.topic, settings.dlq_topic])
    summary = run_bounded(settings, paths, beam_args or None)
    print(summary.line())
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from pipeline.search import format_hit, search_body
    from transforms.elasticsearch import make_client

    settings = Settings.resolve(args)
    client = make_client(settings.es_url)
    try:
        response = client.search(
            index=settings.index, **search_body(" ".join(args.query), args.size)
        )
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswire", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    services = sub.add_parser(
        "services", help="manage the local Kafka broker and Elasticsearch server"
    )
    services.add_argument("action", choices=["up", "down", "status"])

    models = sub.add_parser("models", help="fetch (and on first use build) the models")
    models.add_argument("action", choices=["fetch"])

    index = sub.add_parser("index", help="install the index template and alias")
    index.add_argument("action", choices=["setup"])

    produce = sub.add_parser("produce", help="push a JSONL feed to the article topic")
    produce.add_argument("--feed", required=True, help="JSONL file, one article per line")

    run = sub.add_parser(
        "run",
        help="index what the topic holds, commit, exit (other flags go to Beam, e.g. --runner)",
    )
    del run

    search = sub.add_parser("search", help="search indexed articles")
    search.add_argument("query", nargs="*", default=["*"])
    search.add_argument("--size", type=int, default=10)
    search.add_argument("--json", action="store_true", help="print the documents as JSON")

    for command in sub.choices.values():
        Settings.add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if rest and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    handlers = {
        "services": cmd_services,
        "models": cmd_models,
        "index": cmd_index,
        "produce": cmd_produce,
        "search": cmd_search,
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
