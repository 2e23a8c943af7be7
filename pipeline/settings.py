"""One settings object for every command: flags override NEWSWIRE_* environment variables,
which override the defaults below. Secrets come from the environment or from files (a
`NEWSWIRE_..._FILE` variable naming the file), never from flags, and never print."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from transforms.connections import EsConnection, KafkaConnection, Secret

# name: (environment variable, help, is a secret)
_SPEC: dict[str, tuple[str, str, bool]] = {
    "bootstrap_servers": (
        "NEWSWIRE_KAFKA_BOOTSTRAP",
        "Kafka bootstrap servers, comma separated",
        False,
    ),
    "kafka_security_protocol": (
        "NEWSWIRE_KAFKA_SECURITY_PROTOCOL",
        "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
        False,
    ),
    "kafka_sasl_mechanism": (
        "NEWSWIRE_KAFKA_SASL_MECHANISM",
        "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
        False,
    ),
    "kafka_sasl_username": ("NEWSWIRE_KAFKA_SASL_USERNAME", "Kafka SASL user", False),
    "kafka_sasl_password": ("NEWSWIRE_KAFKA_SASL_PASSWORD", "Kafka SASL password", True),
    "kafka_ssl_cafile": (
        "NEWSWIRE_KAFKA_SSL_CAFILE",
        "CA certificate file to verify the brokers' TLS",
        False,
    ),
    "kafka_ssl_certfile": (
        "NEWSWIRE_KAFKA_SSL_CERTFILE",
        "client certificate file (mutual TLS)",
        False,
    ),
    "kafka_ssl_keyfile": ("NEWSWIRE_KAFKA_SSL_KEYFILE", "client key file (mutual TLS)", False),
    "kafka_ssl_check_hostname": (
        "NEWSWIRE_KAFKA_SSL_CHECK_HOSTNAME",
        "check the brokers' certificate host names (1/0)",
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
    "discovery_interval_s": (
        "NEWSWIRE_DISCOVERY_INTERVAL_S",
        "streaming: seconds between looks for new partitions",
        False,
    ),
    "summary_interval_s": (
        "NEWSWIRE_SUMMARY_INTERVAL_S",
        "streaming: seconds between one-line progress summaries (0: none)",
        False,
    ),
    "bulk_actions": ("NEWSWIRE_BULK_ACTIONS", "documents per bulk request at most", False),
    "bulk_bytes": ("NEWSWIRE_BULK_BYTES", "bytes per bulk request at most", False),
}


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: Secret | None = None
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    kafka_ssl_check_hostname: bool = True
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
    discovery_interval_s: float = 30.0
    summary_interval_s: float = 30.0
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

    def kafka_connection(self) -> KafkaConnection:
        return KafkaConnection(
            bootstrap_servers=self.bootstrap_servers,
            security_protocol=self.kafka_security_protocol.upper(),
            sasl_mechanism=self.kafka_sasl_mechanism.upper() if self.kafka_sasl_mechanism else None,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            ssl_cafile=self.kafka_ssl_cafile,
            ssl_certfile=self.kafka_ssl_certfile,
            ssl_keyfile=self.kafka_ssl_keyfile,
            ssl_check_hostname=self.kafka_ssl_check_hostname,
        )

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
    if isinstance(default, float):
        return float(raw)
    return raw
