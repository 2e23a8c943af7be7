"""One settings object for every command: flags override NEWSWIRE_* environment variables,
which override the defaults below."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from typing import Any

_ENV = {
    "bootstrap_servers": "NEWSWIRE_KAFKA_BOOTSTRAP",
    "topic": "NEWSWIRE_TOPIC",
    "dlq_topic": "NEWSWIRE_DLQ_TOPIC",
    "group_id": "NEWSWIRE_GROUP_ID",
    "es_url": "NEWSWIRE_ES_URL",
    "index": "NEWSWIRE_INDEX",
    "model_threads": "NEWSWIRE_MODEL_THREADS",
    "inference_batch_chars": "NEWSWIRE_INFERENCE_BATCH_CHARS",
    "bulk_actions": "NEWSWIRE_BULK_ACTIONS",
    "bulk_bytes": "NEWSWIRE_BULK_BYTES",
}

_HELP = {
    "bootstrap_servers": "Kafka bootstrap servers, comma separated",
    "topic": "Kafka topic the feeds write articles to",
    "dlq_topic": "Kafka topic for rejected records (the dead-letter topic)",
    "group_id": "Kafka consumer group whose committed offsets mark what was indexed",
    "es_url": "Elasticsearch URL",
    "index": "Elasticsearch alias analysts query (backed by <index>-v<N>)",
    "model_threads": "onnxruntime threads per worker process (0: all cores)",
    "inference_batch_chars": "characters of article text per model batch at most",
    "bulk_actions": "documents per bulk request at most",
    "bulk_bytes": "bytes per bulk request at most",
}


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = "news.articles"
    dlq_topic: str = "news.articles.dlq"
    group_id: str = "newswire"
    es_url: str = "http://127.0.0.1:9200"
    index: str = "news"
    model_threads: int = 0
    inference_batch_chars: int = 60_000
    bulk_actions: int = 500
    bulk_bytes: int = 10 * 1024 * 1024

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        for f in fields(cls):
            flag = "--" + f.name.replace("_", "-")
            parser.add_argument(
                flag,
                dest=f.name,
                default=None,
                type=int if f.type in (int, "int") else str,
                help=f"{_HELP[f.name]} (env {_ENV[f.name]}, default {f.default})",
            )

    @classmethod
    def resolve(
        cls, args: argparse.Namespace | None = None, env: dict[str, str] | None = None
    ) -> Settings:
        environ = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = getattr(args, f.name, None) if args is not None else None
            if raw is None:
                raw = environ.get(_ENV[f.name])
            if raw is None:
                continue
            values[f.name] = int(raw) if f.type in (int, "int") else str(raw)
        return cls(**values)
