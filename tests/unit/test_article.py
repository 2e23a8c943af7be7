import json
from datetime import UTC, datetime

import pytest

from schemas.article import ErrorCode, InvalidArticle, normalise_text, parse_article, stable_doc_id


def raw(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_complete_article_is_parsed_and_normalised() -> None:
    article = parse_article(
        raw(
            id="a1",
            title="  Hello\tworld ",
            body="Line one._x000D_\nLine two.\n\n\n\nNext",
            published_at="2024-03-07T13:45:00+02:00",
            language="EN",
            author="A. Writer and B. Other",
        )
    )
    assert article.doc_id == "a1"
    assert article.title == "Hello world"
    assert article.body == "Line one.\nLine two.\n\nNext"
    assert article.published_at == datetime(2024, 3, 7, 11, 45, tzinfo=UTC)
    assert article.language == "en"
    assert article.authors == ("A. Writer", "B. Other")
    assert article.text.startswith("Hello world\n\nLine one.")
    assert article.locate(article.body_offset) == ("body", 0)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe not utf8", ErrorCode.NOT_UTF8),
        (b"{not json", ErrorCode.NOT_JSON),
        (b"[1, 2]", ErrorCode.NOT_OBJECT),
        (raw(title=3, body="x"), ErrorCode.WRONG_TYPE),
        (raw(title="", body="   "), ErrorCode.MISSING_TEXT),
        (raw(title="t", published_at="yesterday"), ErrorCode.BAD_DATE),
        (b"[" * 100_000, ErrorCode.NOT_JSON),
        (b"x" * 2_000_001, ErrorCode.PAYLOAD_TOO_LARGE),
    ],
)
def test_bad_input_is_rejected_with_its_code(payload: bytes, code: ErrorCode) -> None:
    with pytest.raises(InvalidArticle) as info:
        parse_article(payload)
    assert info.value.code == code
    assert info.value.reason


def test_document_ids_are_stable_and_prefer_the_given_id() -> None:
    assert stable_doc_id("abc", "src", "http://x", "t") == "abc"
    by_url = stable_doc_id(None, "src", "http://x", "t")
    assert by_url == stable_doc_id(None, "src", "http://x", "other text")
    assert by_url != stable_doc_id(None, "other", "http://x", "t")
    assert stable_doc_id(None, None, None, "t").startswith("text-")
    assert stable_doc_id("a/b", None, None, "t").startswith("id-")


def test_control_characters_are_removed() -> None:
    assert normalise_text("a\x00b\x07c\u00a0d") == "abc d"
