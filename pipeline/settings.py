"""One settings object for every command: flags override NEWSWIRE_* environment variables,
which override a YAML/TOML config file (--config or NEWSWIRE_CONFIG), which overrides the
defaults below. Secrets come from the environment or from files (a
`NEWSWIRE_..._FILE` variable naming the file), never from flags, and never print."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
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
    "ui_token": (
        "NEWSWIRE_UI_TOKEN",
        "newswire ui: access token visitors must present (Bearer header or ?token= once)",
        True,
    ),
    "ui_username": ("NEWSWIRE_UI_USERNAME", "newswire ui: basic-auth user", False),
    "ui_password": ("NEWSWIRE_UI_PASSWORD", "newswire ui: basic-auth password", True),
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
    ui_token: Secret | None = None
    ui_username: str | None = None
    ui_password: Secret | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--config",
            default=None,
            help="YAML or TOML settings file (env NEWSWIRE_CONFIG); flags and env override it",
        )
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
        cls,
        args: argparse.Namespace | None = None,
        env: Mapping[str, str] | None = None,
        config_file: Path | None = None,
    ) -> Settings:
        return cls(
            **{
                name: value
                for name, (value, _source) in cls.explain(args, env, config_file).items()
            }
        )

    @classmethod
    def explain(
        cls,
        args: argparse.Namespace | None = None,
        env: Mapping[str, str] | None = None,
        config_file: Path | None = None,
    ) -> dict[str, tuple[Any, str]]:
        """Each setting's effective value and where it came from: flag, environment, file,
        default. The file is `config_file`, else --config, else $NEWSWIRE_CONFIG."""
        environ = os.environ if env is None else env
        path = config_file or _config_path(args, environ)
        from_file = load_config_file(path) if path else {}
        resolved: dict[str, tuple[Any, str]] = {}
        for f in fields(cls):
            name, (variable, _help, secret) = f.name, _SPEC[f.name]
            raw, source = None, "default"
            if not secret and args is not None and getattr(args, name, None) is not None:
                raw, source = getattr(args, name), "flag --" + name.replace("_", "-")
            elif environ.get(variable) is not None:
                raw, source = environ[variable], f"env {variable}"
            elif environ.get(variable + "_FILE"):
                raw = Path(environ[variable + "_FILE"]).read_text().strip()
                source = f"file named by {variable}_FILE"
            elif name in from_file:
                raw, source = from_file[name], f"config {path}"
            elif name + "_file" in from_file:
                raw = Path(str(from_file[name + "_file"])).read_text().strip()
                source = f"file named by {name}_file in {path}"
            if raw is None:
                resolved[name] = (f.default, source)
            else:
                resolved[name] = (_convert(f.default, str(raw), secret), source)
        return resolved

    def to_env(self) -> dict[str, str]:
        """NEWSWIRE_* variables that reproduce these settings in a child process (secrets
        excluded: the child reads them from the same environment or files)."""
        env = {}
        for f in fields(self):
            variable, _help, secret = _SPEC[f.name]
            value = getattr(self, f.name)
            if secret or value is None:
                continue
            env[variable] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return env

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


def _config_path(args: argparse.Namespace | None, environ: Mapping[str, str]) -> Path | None:
    given = getattr(args, "config", None) if args is not None else None
    given = given or environ.get("NEWSWIRE_CONFIG")
    return Path(given) if given else None


def load_config_file(path: Path) -> dict[str, Any]:
    """Settings from a YAML or TOML file: setting names as keys (as in `config show`).

    Secrets may not be written in it; name a file holding each instead (`es_password_file`).
    """
    text = path.read_text()
    if path.suffix == ".toml":
        import tomllib

        data: Any = tomllib.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of setting names to values")
    known = set(_SPEC)
    secrets = {name for name, (_v, _h, secret) in _SPEC.items() if secret}
    for key in data:
        if key in secrets:
            raise ValueError(
                f"{path}: {key} is a secret; put it in ${_SPEC[key][0]}, or in a file named "
                f"by {key}_file"
            )
        if key not in known and not (key.endswith("_file") and key[: -len("_file")] in secrets):
            raise ValueError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
    return dict(data)


def describe(settings: Mapping[str, tuple[Any, str]]) -> list[str]:
    """`config show`: every setting, masked where secret, with where it came from."""
    width = max(len(name) for name in settings)
    lines = []
    for name, (value, source) in settings.items():
        shown = "***" if isinstance(value, Secret) else ("-" if value is None else value)
        lines.append(f"{name:<{width}}  {shown!s:<32}  ({source})")
    return lines


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
