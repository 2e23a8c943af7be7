"""One settings object for every command: flags override NEWSWIRE_* environment variables,
which override the defaults below. Secrets come from the environment or from files (a
`NEWSWIRE_..._FILE` variable naming the file), never from flags, and never print."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from transforms.connections import EsConnection, Secret

# name: (environment variable, help, is a secret)
_SPEC: dict[str, tuple[str, str, bool]] = {
    "bootstrap_servers": (
        "NEWSWIRE_KAFKA_BOOTSTRAP",
        "Kafka bootstrap servers, comma separated",
        False,
    ),
    "topic": ("NEWSWIRE_TOPIC", "Kafka topic the feeds write articles to", False),
    "dlq_topic": ("NEWSWIRE_DLQ_TOPIC", "Kafka topic for rejected records (dead letters)", False),
    "group_id": (
        "NEWSWIRE_GROUP_ID",
        "consumer group whose committed offsets mark progress",
        False,
    ),
    "es_url": ("NEWSWIRE_ES_URL", "Elasticsearch URL (comma separated for several nodes)", False),
    "es_cloud_id": (
        "NEWSWIRE_ES_CLOUD_ID",
        "Elastic Cloud deployment id (instead of a URL)",
        False,
    ),
    "es_username": ("NEWSWIRE_ES_USERNAME", "Elasticsearch basic-auth user", False),
    "es_password": ("NEWSWIRE_ES_PASSWORD", "Elasticsearch basic-auth password", True),
    "es_api_key": ("NEWSWIRE_ES_API_KEY", "Elasticsearch API key (encoded form)", True),
    "es_ca_file": (
        "NEWSWIRE_ES_CA_FILE",
        "CA certificate file to verify Elasticsearch's TLS",
        False,
    ),
    "es_verify_certs": (
        "NEWSWIRE_ES_VERIFY_CERTS",
        "verify Elasticsearch's certificate (1/0)",
        False,
    ),
    "index": (
        "NEWSWIRE_INDEX",
        "Elasticsearch alias analysts query (backed by <index>-v<N>)",
        False,
    ),
    "model_threads": (
        "NEWSWIRE_MODEL_THREADS",
        "onnxruntime threads per worker (0: all cores)",
        False,
    ),
    "inference_batch_chars": (
        "NEWSWIRE_INFERENCE_BATCH_CHARS",
        "characters of article text per model batch",
        False,
    ),
    "bulk_actions": ("NEWSWIRE_BULK_ACTIONS", "documents per bulk request at most", False),
    "bulk_bytes": ("NEWSWIRE_BULK_BYTES", "bytes per bulk request at most", False),
}


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = "news.articles"
    dlq_topic: str = "news.articles.dlq"
    group_id: str = "newswire"
    es_url: str = "http://127.0.0.1:9200"
    es_cloud_id: str | None = None
    es_username: str | None = None
    es_password: Secret | None = None
    es_api_key: Secret | None = None
    es_ca_file: str | None = None
    es_verify_certs: bool = True
    index: str = "news"
    model_threads: int = 0
    inference_batch_chars: int = 60_000
    bulk_actions: int = 500
    bulk_bytes: int = 10 * 1024 * 1024

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        for f in fields(cls):
            env, help_text, secret = _SPEC[f.name]
            if secret:
                continue  # secrets on a command line end up in shell history and `ps`
            parser.add_argument(
                "--" + f.name.replace("_", "-"),
                dest=f.name,
                default=None,
                help=f"{help_text} (env {env}, default {f.default})",
            )

    @classmethod
    def resolve(
        cls, args: argparse.Namespace | None = None, env: dict[str, str] | None = None
    ) -> Settings:
        environ = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            name, (variable, _help, secret) = f.name, _SPEC[f.name]
            raw = None if secret or args is None else getattr(args, name, None)
            if raw is None:
                raw = environ.get(variable)
            if raw is None and environ.get(variable + "_FILE"):
                raw = Path(environ[variable + "_FILE"]).read_text().strip()
            if raw is None:
                continue
            values[name] = _convert(f.default, str(raw), secret)
        return cls(**values)

    def es_connection(self) -> EsConnection:
        return EsConnection(
            url=self.es_url,
            cloud_id=self.es_cloud_id,
            username=self.es_username,
            password=self.es_password,
            api_key=self.es_api_key,
            ca_file=self.es_ca_file,
            verify_certs=self.es_verify_certs,
        )


def _convert(default: object, raw: str, secret: bool) -> object:
    if secret:
        return Secret(raw)
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    return raw
