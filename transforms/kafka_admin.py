"""Topic creation: the article topic and the dead-letter topic exist before anything uses them."""

from __future__ import annotations

import contextlib

from transforms.kafka_source import KafkaTarget, client_config

DEFAULT_PARTITIONS = 3


def ensure_topics(
    kafka: KafkaTarget, topics: list[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(**client_config(kafka))
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
