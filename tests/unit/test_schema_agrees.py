"""schemas/article.schema.json (for feed authors) and the parser (the gate) accept the same
articles, wherever a JSON Schema can say it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from schemas.article import InvalidArticle, parse_article
from schemas.dead_letter import ErrorCode
from tests.bad_inputs import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "article.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# What the parser checks beyond any JSON Schema: bytes and size, and a body's or a date's meaning.
BEYOND_A_SCHEMA = {
    ErrorCode.PAYLOAD_TOO_LARGE,
    ErrorCode.NOT_UTF8,
    ErrorCode.NOT_JSON,
    ErrorCode.NESTING_TOO_DEEP,
    ErrorCode.BAD_DATE,
    ErrorCode.FUTURE_DATE,
}


def schema_accepts(document: Any) -> bool:
    return VALIDATOR.is_valid(document)


def parser_accepts(document: Any) -> bool:
    try:
        parse_article(json.dumps(document).encode(), now=NOW)
    except InvalidArticle as exc:
        assert exc.code not in BEYOND_A_SCHEMA, (exc, document)
        return False
    return True


def test_the_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    "document",
    [
        {"title": "Headline only"},  # title-only: both refuse (the body is required)
        {"title": "Headline", "body": "   "},
        {"body": "Text", "updated_at": 1700000000},  # updated_at must be a string
        {"body": "Text", "author": 5},
        {"body": "Text", "authors": None, "author": ["A", 3]},
        {"body": "Text", "section": ["a"]},
    ],
)
def test_both_refuse(document: dict[str, Any]) -> None:
    assert not schema_accepts(document)
    assert not parser_accepts(document)


@pytest.mark.parametrize(
    "document",
    [
        {"body": "Text without a title"},
        {"title": None, "body": "Text", "updated_at": "2024-03-07T14:00:00Z"},
        {"body": "Text", "authors": "A and B", "author": None, "extra": {"any": "thing"}},
        {"body": "Text", "language": "not a code"},  # ignored, not refused
    ],
)
def test_both_accept(document: dict[str, Any]) -> None:
    assert schema_accepts(document)
    assert parser_accepts(document)


@pytest.mark.parametrize(("name", "payload", "code"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_the_bad_input_catalogue_is_refused_by_the_schema_too(
    name: str, payload: bytes, code: ErrorCode
) -> None:
    if code in BEYOND_A_SCHEMA or name == "html-only-body":
        return  # the schema cannot see bytes, sizes, dates' meaning or markup
    assert not schema_accepts(json.loads(payload))


# Text that cleaning leaves as it is (no markup, captions, bylines or control characters), so
# "has text" means the same to both.
plain = st.text(alphabet="abcxyz019 \t\n", max_size=12)
other = st.none() | st.booleans() | st.integers() | st.lists(plain, max_size=2) | st.just({})
value = plain | other
date = st.sampled_from(["2024-03-07T14:00:00Z", "Thu, 07 Mar 2024 14:00:00 GMT"])
fields = {
    name: value
    for name in ("id", "url", "title", "body", "source", "language", "section", "author", "authors")
}
fields["published_at"] = date | other
fields["updated_at"] = date | other


@settings(max_examples=1500, deadline=None)
@given(st.fixed_dictionaries({}, optional=fields))
def test_schema_and_parser_agree_on_random_articles(document: dict[str, Any]) -> None:
    assert schema_accepts(document) == parser_accepts(document), document
