"""Topic creation: the article topic and the dead-letter topic exist before anything uses them."""

from __future__ import annotations

import contextlib
from typing import Any

from transforms.connections import KafkaConnection
from transforms.kafka_source import KafkaTarget, client_config

DEFAULT_PARTITIONS = 3


class KafkaUnreachable(RuntimeError):
    """The brokers could not be reached, or refused our credentials."""


def connect_admin(kafka: KafkaTarget) -> Any:
    """An admin client, or one clear error instead of kafka-python's version-probe ones.

    With wrong SASL credentials kafka-python reports "broker does not support
    MetadataRequest_v0" (its version probe fails after the refused login); say what it means.
    """
    from kafka import KafkaAdminClient
    from kafka.errors import IncompatibleBrokerVersion, KafkaConnectionError, NoBrokersAvailable

    connection = kafka if isinstance(kafka, KafkaConnection) else KafkaConnection(kafka)
    try:
        return KafkaAdminClient(**client_config(connection))
    except (IncompatibleBrokerVersion, KafkaConnectionError, NoBrokersAvailable) as exc:
        where = f"Kafka at {connection.bootstrap_servers} ({connection.security_protocol}"
        if connection.security_protocol.startswith("SASL_"):
            raise KafkaUnreachable(
                f"could not connect or authenticate to {where}, {connection.sasl_mechanism} as "
                f"{connection.sasl_username!r}): check the address, user name and password; "
                f"the broker's reason is logged above ({type(exc).__name__})"
            ) from exc
        raise KafkaUnreachable(
            f"could not connect to {where}): is the broker running? ({type(exc).__name__})"
        ) from exc


def ensure_topics(
    kafka: KafkaTarget, topics: list[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = connect_admin(kafka)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            # Another process may create one between the two calls.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
    finally:
        admin.close()
