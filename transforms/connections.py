"""Connection settings for Kafka and Elasticsearch, with secrets that never print."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SettingSpec:
    """How a user sets a field: its setting name, environment variable and help."""

    name: str  # in config files, `config show` and (with dashes) as the --flag
    env: str
    help: str
    secret: bool = False  # never a flag or in a config file; the env or a named file


def setting(default: Any, name: str, env: str, help: str, secret: bool = False) -> Any:
    """A dataclass field that is also a user-facing setting (pipeline/settings.py finds them)."""
    return field(default=default, metadata={"setting": SettingSpec(name, env, help, secret)})


class Secret:
    """A credential: its value is only handed to the client, never shown in reprs or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class EsConnection:
    url: str = setting(
        "http://127.0.0.1:9200",
        "es_url",
        "NEWSWIRE_ES_URL",
        "Elasticsearch URL (comma separated for several nodes)",
    )
    cloud_id: str | None = setting(
        None,
        "es_cloud_id",
        "NEWSWIRE_ES_CLOUD_ID",
        "Elastic Cloud deployment id (instead of a URL)",
    )
    username: str | None = setting(
        None, "es_username", "NEWSWIRE_ES_USERNAME", "Elasticsearch basic-auth user"
    )
    password: Secret | None = setting(
        None,
        "es_password",
        "NEWSWIRE_ES_PASSWORD",
        "Elasticsearch basic-auth password",
        secret=True,
    )
    api_key: Secret | None = setting(
        None,
        "es_api_key",
        "NEWSWIRE_ES_API_KEY",
        "Elasticsearch API key (encoded form)",
        secret=True,
    )
    ca_file: str | None = setting(
        None,
        "es_ca_file",
        "NEWSWIRE_ES_CA_FILE",
        "CA certificate file to verify Elasticsearch's TLS",
    )
    verify_certs: bool = setting(
        True,
        "es_verify_certs",
        "NEWSWIRE_ES_VERIFY_CERTS",
        "verify Elasticsearch's certificate (1/0)",
    )

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.cloud_id:
            kwargs["cloud_id"] = self.cloud_id
        else:
            kwargs["hosts"] = [u.strip() for u in self.url.split(",") if u.strip()]
        if self.api_key is not None:
            kwargs["api_key"] = self.api_key.reveal()
        elif self.username:
            password = self.password.reveal() if self.password else ""
            kwargs["basic_auth"] = (self.username, password)
        if self.ca_file:
            kwargs["ca_certs"] = self.ca_file
        if not self.verify_certs:
            kwargs["verify_certs"] = False
        return kwargs


def es_client(connection: EsConnection, *, retries: bool = True) -> Any:
    """An Elasticsearch client for `connection`.

    Commands let the client retry connection errors, timeouts and 502/503/504. The bulk sink
    asks for none (`retries=False`): its own loop is the one retry layer there, with a
    deadline that holds (transforms/elasticsearch.py).
    """
    from elasticsearch import Elasticsearch

    if not retries:
        return Elasticsearch(**connection.client_kwargs(), max_retries=0, retry_on_timeout=False)
    return Elasticsearch(
        **connection.client_kwargs(),
        request_timeout=60,
        max_retries=8,
        retry_on_timeout=True,
        retry_on_status=(502, 503, 504),
    )


SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and how to authenticate: handed to every kafka-python client."""

    bootstrap_servers: str = setting(
        "127.0.0.1:9092",
        "bootstrap_servers",
        "NEWSWIRE_KAFKA_BOOTSTRAP",
        "Kafka bootstrap servers, comma separated",
    )
    security_protocol: str = setting(
        "PLAINTEXT",
        "kafka_security_protocol",
        "NEWSWIRE_KAFKA_SECURITY_PROTOCOL",
        "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
    )
    sasl_mechanism: str | None = setting(
        None,
        "kafka_sasl_mechanism",
        "NEWSWIRE_KAFKA_SASL_MECHANISM",
        "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
    )
    sasl_username: str | None = setting(
        None, "kafka_sasl_username", "NEWSWIRE_KAFKA_SASL_USERNAME", "Kafka SASL user"
    )
    sasl_password: Secret | None = setting(
        None,
        "kafka_sasl_password",
        "NEWSWIRE_KAFKA_SASL_PASSWORD",
        "Kafka SASL password",
        secret=True,
    )
    ssl_cafile: str | None = setting(
        None,
        "kafka_ssl_cafile",
        "NEWSWIRE_KAFKA_SSL_CAFILE",
        "CA certificate file to verify the brokers' TLS",
    )
    ssl_certfile: str | None = setting(
        None,
        "kafka_ssl_certfile",
        "NEWSWIRE_KAFKA_SSL_CERTFILE",
        "client certificate file (mutual TLS)",
    )
    ssl_keyfile: str | None = setting(
        None, "kafka_ssl_keyfile", "NEWSWIRE_KAFKA_SSL_KEYFILE", "client key file (mutual TLS)"
    )
    ssl_check_hostname: bool = setting(
        True,
        "kafka_ssl_check_hostname",
        "NEWSWIRE_KAFKA_SSL_CHECK_HOSTNAME",
        "check the brokers' certificate host names (1/0)",
    )

    def __post_init__(self) -> None:
        # Protocol and mechanism names are case-insensitive for users, upper case for Kafka.
        object.__setattr__(self, "security_protocol", self.security_protocol.upper())
        if self.sasl_mechanism:
            object.__setattr__(self, "sasl_mechanism", self.sasl_mechanism.upper())
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ValueError(
                f"Kafka security protocol {self.security_protocol!r} is not one of "
                + ", ".join(SECURITY_PROTOCOLS)
            )
        if self.security_protocol.startswith("SASL_"):
            if self.sasl_mechanism not in SASL_MECHANISMS:
                raise ValueError(
                    f"{self.security_protocol} needs a SASL mechanism, one of "
                    + ", ".join(SASL_MECHANISMS)
                )
            if not self.sasl_username or self.sasl_password is None:
                raise ValueError(
                    f"{self.security_protocol} needs a user name and a password "
                    "(NEWSWIRE_KAFKA_SASL_USERNAME, NEWSWIRE_KAFKA_SASL_PASSWORD[_FILE])"
                )

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "bootstrap_servers": [s.strip() for s in self.bootstrap_servers.split(",") if s],
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL_"):
            assert self.sasl_password is not None
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.reveal()
        if self.security_protocol.endswith("SSL"):
            kwargs["ssl_check_hostname"] = self.ssl_check_hostname
            if self.ssl_cafile:
                kwargs["ssl_cafile"] = self.ssl_cafile
            if self.ssl_certfile:
                kwargs["ssl_certfile"] = self.ssl_certfile
            if self.ssl_keyfile:
                kwargs["ssl_keyfile"] = self.ssl_keyfile
        return kwargs


class _MaskPasswordsInConfigs(logging.Filter):
    """kafka-python's admin client logs its whole configuration (SASL password included) at
    DEBUG; mask every *password* entry before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        # logging unpacks a lone mapping argument: args is then the dict itself.
        if isinstance(record.args, dict):
            record.args = _masked(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(a) if isinstance(a, dict) else a for a in record.args)
        return True


def _masked(config: dict[Any, Any]) -> dict[Any, Any]:
    return {k: "***" if "password" in str(k) and v else v for k, v in config.items()}


logging.getLogger("kafka.admin.client").addFilter(_MaskPasswordsInConfigs())
