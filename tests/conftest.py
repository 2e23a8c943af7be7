from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "tests" / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/integration talks to the real services: mark it so
    `-m "not integration"` (make unit) leaves it out. (A `pytestmark` in a conftest.py marks
    nothing: pytest reads it from test modules only.)"""
    for item in items:
        if item.path.is_relative_to(INTEGRATION):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def sample_feed() -> Path:
    return ROOT / "samples" / "feed.jsonl"


@pytest.fixture(scope="session")
def seed_article_path() -> Path:
    return ROOT / "tests" / "data" / "seed-article.json"
