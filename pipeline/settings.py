"""One settings object for every command: flags override NEWSWIRE_* environment variables,
which override a YAML/TOML config file (--config or NEWSWIRE_CONFIG), which overrides the
defaults below. Secrets come from the environment or from files (a
`NEWSWIRE_..._FILE` variable naming the file), never from flags, and never print."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from enrich.entities import MIN_ENTITY_SCORE
from transforms.connections import EsConnection, KafkaConnection, Secret, SettingSpec, setting


@dataclass(frozen=True)
class Settings:
    """Every setting, each declared once: as a field (here, or in the connection it belongs
    to) with its name, environment variable and help. Resolved once, at the CLI; the
    connections are handed down as they are."""

    kafka: KafkaConnection = field(default_factory=KafkaConnection)
    topic: str = setting(
        "news.articles", "topic", "NEWSWIRE_TOPIC", "Kafka topic the feeds write articles to"
    )
    dlq_topic: str = setting(
        "news.articles.dlq",
        "dlq_topic",
        "NEWSWIRE_DLQ_TOPIC",
        "Kafka topic for rejected records (dead letters)",
    )
    group_id: str = setting(
        "newswire",
        "group_id",
        "NEWSWIRE_GROUP_ID",
        "consumer group whose committed offsets mark progress",
    )
    es: EsConnection = field(default_factory=EsConnection)
    index: str = setting(
        "news",
        "index",
        "NEWSWIRE_INDEX",
        "Elasticsearch alias analysts query (backed by <index>-v<N>)",
    )
    model_threads: int = setting(
        0,
        "model_threads",
        "NEWSWIRE_MODEL_THREADS",
        "onnxruntime threads per worker (0: all cores)",
    )
    ner_model: str = setting(
        "",
        "ner_model",
        "NEWSWIRE_NER_MODEL",
        "a Hugging Face token-classification checkpoint (hub id or directory) instead of "
        "newswire's own NER model; needs torch (pip install 'newswire[hf]')",
    )
    model_precision: str = setting(
        "int8",
        "model_precision",
        "NEWSWIRE_MODEL_PRECISION",
        "newswire's model: int8 (shipped) or fp32 (built by `newswire models train`)",
    )
    min_entity_score: float = setting(
        MIN_ENTITY_SCORE,
        "min_entity_score",
        "NEWSWIRE_MIN_ENTITY_SCORE",
        "entities whose most confident mention scores below this (0-1) are not indexed; "
        "0 keeps every entity the model finds",
    )
    topics_file: str = setting(
        "",
        "topics_file",
        "NEWSWIRE_TOPICS_FILE",
        "topic taxonomy YAML (default: schemas/topics.yaml)",
    )
    topic_model: str = setting(
        "auto",
        "topic_model",
        "NEWSWIRE_TOPIC_MODEL",
        "trained (the classifier on the NER pass), zero-shot (by label descriptions, a second "
        "pass), or auto: trained unless the taxonomy's ids differ from the ones it was trained on",
    )
    inference_batch_chars: int = setting(
        60_000,
        "inference_batch_chars",
        "NEWSWIRE_INFERENCE_BATCH_CHARS",
        "characters of article text per model batch",
    )
    discovery_interval_s: float = setting(
        30.0,
        "discovery_interval_s",
        "NEWSWIRE_DISCOVERY_INTERVAL_S",
        "streaming: seconds between looks for new partitions",
    )
    summary_interval_s: float = setting(
        30.0,
        "summary_interval_s",
        "NEWSWIRE_SUMMARY_INTERVAL_S",
        "streaming: seconds between one-line progress summaries (0: none)",
    )
    bulk_actions: int = setting(
        500, "bulk_actions", "NEWSWIRE_BULK_ACTIONS", "documents per bulk request at most"
    )
    bulk_bytes: int = setting(
        10 * 1024 * 1024, "bulk_bytes", "NEWSWIRE_BULK_BYTES", "bytes per bulk request at most"
    )
    ui_token: Secret | None = setting(
        None,
        "ui_token",
        "NEWSWIRE_UI_TOKEN",
        "newswire ui: access token visitors must present (Bearer header, or ?token= once)",
        secret=True,
    )
    ui_username: str | None = setting(
        None, "ui_username", "NEWSWIRE_UI_USERNAME", "newswire ui: basic-auth user"
    )
    ui_password: Secret | None = setting(
        None,
        "ui_password",
        "NEWSWIRE_UI_PASSWORD",
        "newswire ui: basic-auth password",
        secret=True,
    )

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--config",
            default=None,
            help="YAML or TOML settings file (env NEWSWIRE_CONFIG); flags and env override it",
        )
        for spec, default in specs().values():
            if spec.secret:
                continue  # secrets on a command line end up in shell history and `ps`
            parser.add_argument(
                "--" + spec.name.replace("_", "-"),
                dest=spec.name,
                default=None,
                help=f"{spec.help} (env {spec.env}, default {default})",
            )

    @classmethod
    def resolve(
        cls,
        args: argparse.Namespace | None = None,
        env: Mapping[str, str] | None = None,
        config_file: Path | None = None,
    ) -> Settings:
        values = {
            name: value for name, (value, _source) in cls.explain(args, env, config_file).items()
        }
        return _build(cls, values)

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
        for name, (spec, default) in specs().items():
            raw, source = None, "default"
            if not spec.secret and args is not None and getattr(args, name, None) is not None:
                raw, source = getattr(args, name), "flag --" + name.replace("_", "-")
            elif environ.get(spec.env) is not None:
                raw, source = environ[spec.env], f"env {spec.env}"
            elif environ.get(spec.env + "_FILE"):
                raw = Path(environ[spec.env + "_FILE"]).read_text().strip()
                source = f"file named by {spec.env}_FILE"
            elif name in from_file:
                raw, source = from_file[name], f"config {path}"
            elif name + "_file" in from_file:
                raw = Path(str(from_file[name + "_file"])).read_text().strip()
                source = f"file named by {name}_file in {path}"
            if raw is None:
                resolved[name] = (default, source)
            else:
                resolved[name] = (_convert(default, str(raw), spec.secret), source)
        return resolved

    def to_env(self) -> dict[str, str]:
        """NEWSWIRE_* variables that reproduce these settings in a child process (secrets
        excluded: the child reads them from the same environment or files)."""
        env = {}
        for name, value in _values(self).items():
            spec, _default = specs()[name]
            if spec.secret or value is None:
                continue
            env[spec.env] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return env


def _connection(f: Field[Any]) -> type[KafkaConnection] | type[EsConnection] | None:
    """The connection class a nested field holds, if it is one."""
    factory: Any = f.default_factory
    return factory if factory in (KafkaConnection, EsConnection) else None


def _declared(cls: type[Settings]) -> Iterator[Field[Any]]:
    """The setting fields of `cls`, each nested connection's fields in its place."""
    for f in fields(cls):
        kind = _connection(f)
        if kind is not None:
            yield from fields(kind)
        elif "setting" in f.metadata:
            yield f


def specs() -> dict[str, tuple[SettingSpec, Any]]:
    """Every setting by name, in declaration order: (its spec, its default)."""
    return {
        f.metadata["setting"].name: (f.metadata["setting"], f.default) for f in _declared(Settings)
    }


def _values(settings: Settings) -> dict[str, Any]:
    out = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if _connection(f) is not None:
            for inner in fields(value):
                out[inner.metadata["setting"].name] = getattr(value, inner.name)
        else:
            out[f.metadata["setting"].name] = value
    return out


def _build(cls: type[Settings], values: Mapping[str, Any]) -> Settings:
    """Settings from setting names: nested connections built from their own fields."""
    top: dict[str, Any] = {}
    for f in fields(cls):
        kind = _connection(f)
        if kind is not None:
            top[f.name] = kind(**{i.name: values[i.metadata["setting"].name] for i in fields(kind)})
        else:
            top[f.name] = values[f.metadata["setting"].name]
    return cls(**top)


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
    declared = specs()
    known = set(declared)
    secrets = {name for name, (spec, _default) in declared.items() if spec.secret}
    for key in data:
        if key in secrets:
            raise ValueError(
                f"{path}: {key} is a secret; put it in ${declared[key][0].env}, or in a file "
                f"named by {key}_file"
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
