import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.article import (
    ErrorCode,
    InvalidArticle,
    content_fingerprint,
    parse_article,
    parse_timestamp,
    stable_doc_id,
)
from schemas.normalise import clean_body, normalise_text
from tests.bad_inputs import CATALOGUE

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def raw(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_complete_article_is_parsed_and_normalised() -> None:
    article = parse_article(
        raw(
            id="a1",
            title="  Hello\tworld ",
            body="Line one._x000D_\nLine two.\n\n\n\nNext",
            published_at="2024-03-07T13:45:00+02:00",
            updated_at="Thu, 07 Mar 2024 14:00:00 GMT",
            language="EN",
            author="A. Writer and B. Other",
        ),
        now=NOW,
    )
    assert article.doc_id == "a1"
    assert article.title == "Hello world"
    assert article.body == "Line one.\nLine two.\n\nNext"
    assert article.published_at == datetime(2024, 3, 7, 11, 45, tzinfo=UTC)
    assert article.updated_at == datetime(2024, 3, 7, 14, 0, tzinfo=UTC)
    assert article.version_ms == 1_709_820_000_000  # 2024-03-07T14:00:00Z, the newer one
    assert article.language == "en" and article.language_declared == "en"
    assert article.authors == ("A. Writer", "B. Other")
    assert article.text.startswith("Hello world\n\nLine one.")
    assert article.locate(article.body_offset) == ("body", 0)


@pytest.mark.parametrize(("name", "payload", "code"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_is_rejected_with_its_code(name: str, payload: bytes, code: ErrorCode) -> None:
    with pytest.raises(InvalidArticle) as info:
        parse_article(payload, now=NOW)
    assert info.value.code == code
    assert info.value.reason


def test_html_bodies_become_paragraphs_of_text() -> None:
    body = (
        "<div><p>First &amp; foremost.</p><p>Second<br/>line</p>"
        "<script>var x = 1;</script><figure><img src='a.jpg'/>"
        "<figcaption>Photo: someone</figcaption></figure><p>Third.</p></div>"
    )
    assert clean_body(body) == "First & foremost.\n\nSecond\n\nline\n\nThird."


def test_captions_and_a_leading_byline_are_dropped() -> None:
    body = "By Jane Doe\nThe minister spoke.\nPhoto: Reuters/John Smith\nShe left by car."
    assert clean_body(body) == "The minister spoke.\nShe left by car."


def test_html_only_body_is_missing() -> None:
    with pytest.raises(InvalidArticle) as info:
        parse_article(raw(title="t", body="<div><img src='x.jpg'/></div>"), now=NOW)
    assert info.value.code == ErrorCode.MISSING_BODY
    assert "markup" in info.value.reason


def test_a_giant_body_is_cut_at_the_cap_and_marked() -> None:
    paragraph = "word " * 2000
    body = "\n".join([paragraph] * 30)  # about 300,000 characters
    article = parse_article(raw(title="t", body=body), now=NOW)
    assert article.body_truncated
    assert len(article.body) <= 200_000


def test_language_detection_overrides_a_wrong_declaration() -> None:
    body = (
        "Le président de la République a annoncé mardi une réforme des retraites qui sera "
        "présentée au Parlement dans les prochaines semaines, selon le gouvernement."
    )
    article = parse_article(raw(title="Réforme", body=body, language="en"), now=NOW)
    assert article.language == "fr"
    assert article.language_declared == "en"


def test_document_ids_are_stable_and_prefer_the_given_id() -> None:
    assert stable_doc_id("abc", "src", "http://x", "t") == "abc"
    by_url = stable_doc_id(None, "src", "http://x", "t")
    assert by_url == stable_doc_id(None, "src", "http://x", "other text")
    assert by_url != stable_doc_id(None, "other", "http://x", "t")
    assert stable_doc_id(None, None, None, "t").startswith("text-")
    assert stable_doc_id("a/b", None, None, "t").startswith("id-")
    assert stable_doc_id("a\x00b", None, None, "t").startswith("id-")


def test_syndicated_copies_share_a_fingerprint() -> None:
    original = "Rain is expected in Paris on Monday, forecasters said."
    copy = "RAIN is expected in Paris on Monday -- forecasters said"
    assert content_fingerprint(original) == content_fingerprint(copy)
    assert content_fingerprint(original) != content_fingerprint(original + " Later, sun.")


def test_timestamps_in_iso_and_rfc_2822_are_utc() -> None:
    assert parse_timestamp("2024-01-01T10:00:00Z") == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert parse_timestamp("Mon, 01 Jan 2024 12:00:00 +0200") == datetime(
        2024, 1, 1, 10, tzinfo=UTC
    )
    assert parse_timestamp("2024-01-01 10:00") == datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_control_characters_are_removed() -> None:
    assert normalise_text("a\x00b\x07c\u00a0d\ufeff") == "abc d"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)
article_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values | st.text(),
        "title": json_values | st.text(),
        "body": json_values | st.text(),
        "published_at": json_values | st.text() | st.datetimes().map(lambda d: d.isoformat()),
        "language": json_values | st.sampled_from(["en", "fr", "xx-yy", ""]),
        "authors": json_values,
    },
)


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        article_like.map(lambda d: json.dumps(d).encode()),
        json_values.map(lambda d: json.dumps(d).encode()),
    )
)
def test_no_payload_crashes_the_parser(payload: bytes) -> None:
    """Thousands of random payloads: each is an article or a coded rejection, nothing else."""
    try:
        article = parse_article(payload, now=NOW)
    except InvalidArticle as exc:
        assert exc.code in ErrorCode and exc.reason
    else:
        assert article.body and article.doc_id
        assert article.fingerprint


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<SCRIPT type='text/javascript'>\nwindow.location = 'x';\n</SCRIPT>",
        "<style>p { color: red }</style>",
        "  <style>body{}</style>\n<script>1</script>  ",
        "<noscript>enable scripts</noscript><iframe src='x'></iframe>",
    ],
)
def test_a_body_that_is_only_script_or_style_is_dead_lettered(body: str) -> None:
    with pytest.raises(InvalidArticle) as info:
        parse_article(raw(title="A title", body=body), now=NOW)
    assert info.value.code == ErrorCode.MISSING_BODY
    assert "markup" in info.value.reason


def test_script_and_style_elements_are_removed_from_text() -> None:
    assert clean_body("<style>p{}</style>The minister spoke.") == "The minister spoke."
    assert clean_body("Before.<script>alert(1)</script> After.") == "Before. After."
    article = parse_article(
        raw(title="<script>alert(1)</script>Budget passes", body="The vote was close."), now=NOW
    )
    assert article.title == "Budget passes"


def test_a_title_that_is_only_script_is_emptied_and_the_article_kept() -> None:
    article = parse_article(
        raw(title="<script>alert(1)</script>", body="The vote was close."), now=NOW
    )
    assert article.title == ""
    assert article.body == "The vote was close."


def test_script_written_as_text_stays_text() -> None:
    # An article about markup: escaped in the feed, so it is prose, shown as text by the UI.
    article = parse_article(
        raw(title="&lt;script&gt;alert(1)&lt;/script&gt;", body="A <script> tag, unclosed."),
        now=NOW,
    )
    assert article.title == "<script>alert(1)</script>"
    assert article.body == "A <script> tag, unclosed."
