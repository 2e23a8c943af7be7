from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_feed() -> Path:
    return ROOT / "samples" / "feed.jsonl"


@pytest.fixture(scope="session")
def seed_article_path() -> Path:
    return ROOT / "tests" / "data" / "seed-article.json"
