"""Fixtures for tests against the real services and models. A missing service fails, never skips.

The stack is started (idempotently) the way a user starts it, so `pytest` alone works; when it
cannot start, every test here fails with the reason. tests/conftest.py marks every test here
`integration`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from deploy.local import stack
from enrich.enricher import Enricher, ModelPaths
from pipeline.settings import Settings


@pytest.fixture(scope="session")
def local_stack() -> list[stack.ServiceStatus]:
    try:
        statuses = stack.up()
    except stack.StackError as exc:
        pytest.fail(f"the local stack did not start: {exc}")
    not_ready = [s.name for s in statuses if not s.ready]
    if not_ready:
        pytest.fail(f"not ready: {not_ready}")
    return statuses


@pytest.fixture
def settings(local_stack: list[stack.ServiceStatus]) -> Settings:
    """Settings with a topic, dead-letter topic, group and alias of this test's own."""
    suffix = uuid.uuid4().hex[:10]
    return Settings(
        topic=f"test-{suffix}",
        dlq_topic=f"test-{suffix}.dlq",
        group_id=f"test-{suffix}",
        index=f"test-{suffix}",
    )


@pytest.fixture
def es(settings: Settings) -> Iterator[object]:
    from transforms.connections import es_client

    client = es_client(settings.es)
    yield client
    client.indices.delete(index=f"{settings.index}-v*", ignore_unavailable=True)
    client.options(ignore_status=404).indices.delete_index_template(
        name=f"{settings.index}-template"
    )
    client.close()


@pytest.fixture(scope="session")
def model_paths() -> ModelPaths:
    from pipeline.models import model_paths

    return model_paths(Settings())


@pytest.fixture(scope="session")
def enricher(model_paths: ModelPaths) -> Enricher:
    return Enricher(model_paths)
