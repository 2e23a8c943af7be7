"""Format detection and the ninjs, NewsML-G2 and RSS/Atom mappings, with their broken forms."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from enrich.enricher import Enrichment
from schemas.article import InvalidArticle, parse_article
from schemas.dead_letter import ErrorCode
from schemas.document import article_from_document, build_document
from schemas.formats import Format, parse_record, sniff
from schemas.formats.feeds import read_feed
from schemas.index import index_template
from tests.hostile_xml import BILLION_LAUGHS, external_entity

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def lines(name: str) -> list[bytes]:
    return (SAMPLES / name).read_bytes().splitlines()


def g2(name: str) -> bytes:
    return (SAMPLES / "newsml-g2" / name).read_bytes()


def code_of(raw: bytes) -> ErrorCode:
    with pytest.raises(InvalidArticle) as caught:
        parse_record(raw, NOW)
    assert caught.value.reason
    return caught.value.code


# --- detection ------------------------------------------------------------------------------


def test_each_record_is_detected_by_its_own_shape() -> None:
    ours = json.dumps({"id": "a", "title": "t", "body": "Some text.", "uri": "x"}).encode()
    assert parse_record(ours, NOW).source_format == "newswire", "our JSON with a stray uri"
    assert parse_record(lines("ninjs-1.jsonl")[0], NOW).source_format == "ninjs-1"
    assert parse_record(lines("ninjs-2.jsonl")[0], NOW).source_format == "ninjs-2"
    assert sniff(b"\xef\xbb\xbf  \n<newsItem/>") is Format.NEWSML_G2
    assert parse_record(g2("rotterdam-fire-v1.xml"), NOW).source_format == "newsml-g2"


# --- ninjs ----------------------------------------------------------------------------------


def test_ninjs_1_maps_headline_body_byline_dates_language_subjects_and_version() -> None:
    first, second = (parse_record(raw, NOW) for raw in lines("ninjs-1.jsonl"))
    assert first.doc_id == second.doc_id == "urn:newswire.example:ninjs1:lisbon-tram-strike"
    assert first.title == "Lisbon tram drivers walk out over new rosters"
    assert first.body.startswith("Tram drivers in Lisbon stopped work")
    assert "\n\nThe transport company Carris" in first.body
    assert first.authors == ("Ana Ribeiro",), "the 'By ' of the byline is dropped"
    assert first.published_at == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert first.language == "en" and first.language_declared == "en"
    assert first.source == "Newswire Example Agency"
    assert [s.code for s in first.subjects] == ["medtop:20000197", "geo:lisbon"]
    assert first.subjects[0].name == "labour dispute" and first.subjects[0].rel == "about"
    assert (first.item_version, second.item_version) == ("1", "2")
    assert second.version_ms is not None and first.version_ms is not None
    assert second.version_ms > first.version_ms, "the update is the newer version"


def test_ninjs_2_picks_the_main_body_plain_before_html_and_authors_from_people() -> None:
    first, second = (parse_record(raw, NOW) for raw in lines("ninjs-2.jsonl"))
    assert first.title == "Volcano erupts near Grindavik, Iceland closes Blue Lagoon"
    assert "<p>" not in first.body and "\n\nPolice evacuated the town" in first.body
    assert second.body.startswith("The eruption near Grindavik slowed on Saturday morning, the")
    assert first.authors == ("Jon Sigurdsson", "Helga Olafsdottir"), "rel=author only"
    assert first.url == "https://newswire.example/2026/11/21/reykjavik-eruption"
    assert first.subjects[0].uri == "http://cv.iptc.org/newscodes/mediatopic/20000151"
    assert first.doc_id == second.doc_id and first.doc_id.startswith("id-"), "uri has a /"
    assert second.updated_at == datetime(2026, 11, 21, 9, 40, tzinfo=UTC)


def _ninjs2(**fields: object) -> bytes:
    base: dict[str, object] = {
        "standard": {"name": "ninjs", "version": "2.0"},
        "uri": "urn:x:1",
        "headlines": [{"value": "Title"}],
        "bodies": [{"value": "Body text here.", "contenttype": "text/plain"}],
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (_ninjs2(uri=None), ErrorCode.NINJS_INVALID),
        (_ninjs2(headlines="Title"), ErrorCode.NINJS_INVALID),
        (_ninjs2(bodies=[{"value": 42}]), ErrorCode.NINJS_INVALID),
        (
            _ninjs2(bodies=[{"value": "%PDF", "contenttype": "application/pdf"}]),
            ErrorCode.NINJS_INVALID,
        ),
        (_ninjs2(bodies=None), ErrorCode.MISSING_BODY),
        (_ninjs2(versioncreated="yesterday"), ErrorCode.BAD_DATE),
        (_ninjs2(firstcreated="2099-01-01T00:00:00Z"), ErrorCode.FUTURE_DATE),
        (_ninjs2(subjects={"name": "x"}), ErrorCode.NINJS_INVALID),
        (
            json.dumps({"uri": "urn:x", "headline": "t", "body_text": ["list"]}).encode(),
            ErrorCode.NINJS_INVALID,
        ),
    ],
)
def test_broken_ninjs_gets_its_code(raw: bytes, code: ErrorCode) -> None:
    assert code_of(raw) == code


# --- NewsML-G2 ------------------------------------------------------------------------------


def test_newsml_g2_maps_guid_version_dates_headline_xhtml_body_subjects_language() -> None:
    first = parse_record(g2("rotterdam-fire-v1.xml"), NOW)
    second = parse_record(g2("rotterdam-fire-v2.xml"), NOW)
    assert (
        first.doc_id == second.doc_id == "urn:newsml:newswire.example:20261122:rotterdam-port-fire"
    )
    assert first.title == "Fire at Rotterdam port warehouse sends smoke over Maasvlakte"
    assert first.body.startswith("A fire broke out in a warehouse at the Port of Rotterdam")
    assert first.body.count("\n\n") == 2, "each <p> is a paragraph"
    assert "Fire at Rotterdam port warehouse" not in first.body, "the XHTML <head> is skipped"
    assert "the cause of the fire" in second.body, "inline markup inside a paragraph is text"
    assert first.published_at == datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    assert second.updated_at == datetime(2026, 11, 22, 19, 20, tzinfo=UTC)
    assert (first.item_version, second.item_version) == ("1", "2")
    assert first.authors == ("Pieter de Vries",)
    assert first.language == "en" and first.source == "Newswire Example Agency"
    assert [s.code for s in first.subjects] == [
        "medtop:20000139",
        "medtop:20000349",
        "geo:rotterdam",
    ]
    assert first.subjects[2].uri == "https://www.wikidata.org/wiki/Q34370"
    assert first.subjects[0].scheme == "medtop" and first.subjects[0].name == "fire"


NAR = 'xmlns="http://iptc.org/std/nar/2006-10-01/"'


def _item(inner: str, attrs: str = 'guid="urn:x:1" version="1"') -> bytes:
    return f'<newsItem {NAR} {attrs} xml:lang="en">{inner}</newsItem>'.encode()


def _message(items: bytes) -> bytes:
    return f"<newsMessage {NAR}><itemSet>{items.decode()}</itemSet></newsMessage>".encode()


_META = "<contentMeta><headline>Headline</headline></contentMeta>"
_DATA = (
    '<contentSet><inlineData contenttype="text/plain">Plain body text.</inlineData></contentSet>'
)


def test_newsml_g2_in_a_news_message_and_plain_inline_data() -> None:
    item = _item(_META + _DATA).decode()
    message = f"<newsMessage {NAR}><header/><itemSet>{item}</itemSet></newsMessage>"
    article = parse_record(message.encode(), NOW)
    assert article.title == "Headline" and article.body == "Plain body text."
    assert article.language == "en", "xml:lang of the item when contentMeta has no language"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"<newsItem><unclosed></newsItem>", ErrorCode.XML_MALFORMED),
        (b"<html><body>not news</body></html>", ErrorCode.NEWSML_UNSUPPORTED),
        (f"<packageItem {NAR} guid='p'/>".encode(), ErrorCode.NEWSML_UNSUPPORTED),
        (
            _message(_item(_DATA) * 2),
            ErrorCode.NEWSML_UNSUPPORTED,
        ),
        (
            _item('<itemMeta><itemClass qcode="ninat:picture"/></itemMeta>' + _DATA),
            ErrorCode.NEWSML_UNSUPPORTED,
        ),
        (
            _item('<contentSet><remoteContent href="a.jpg"/></contentSet>'),
            ErrorCode.NEWSML_UNSUPPORTED,
        ),
        (_item(_DATA, attrs='version="1"'), ErrorCode.NEWSML_INVALID),
        (_item(_DATA, attrs='guid="g" version="two"'), ErrorCode.NEWSML_INVALID),
        (_item(_META), ErrorCode.MISSING_BODY),
        (
            _item("<itemMeta><versionCreated>soon</versionCreated></itemMeta>" + _DATA),
            ErrorCode.BAD_DATE,
        ),
        ("<newsItem/>".encode("utf-16-le"), ErrorCode.XML_MALFORMED),
        ("\ufeff<newsItem/>".encode("utf-16"), ErrorCode.NOT_UTF8),
    ],
)
def test_broken_newsml_g2_gets_its_code(raw: bytes, code: ErrorCode) -> None:
    assert code_of(raw) == code


# --- hostile XML ----------------------------------------------------------------------------


def test_billion_laughs_is_refused_without_expanding() -> None:
    with pytest.raises(InvalidArticle) as caught:
        parse_record(BILLION_LAUGHS, NOW)
    assert caught.value.code is ErrorCode.XML_FORBIDDEN
    assert "DOCTYPE" in caught.value.reason


def test_external_entity_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    with pytest.raises(InvalidArticle) as caught:
        parse_record(external_entity(secret), NOW)
    assert caught.value.code is ErrorCode.XML_FORBIDDEN
    assert "TOP-SECRET" not in str(caught.value)


def test_the_parser_itself_resolves_nothing_even_past_the_doctype_check(tmp_path: Path) -> None:
    """Defence in depth: were the DOCTYPE check gone, the lxml parser still loads nothing."""
    from lxml import etree

    from schemas.formats.xml_safety import _parser

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    root = etree.fromstring(external_entity(secret), _parser())
    assert "TOP-SECRET" not in etree.tostring(root).decode()
    try:
        laughs = etree.fromstring(BILLION_LAUGHS, _parser())
    except etree.XMLSyntaxError as exc:  # libxml2's amplification limit
        assert "amplification" in str(exc)
    else:
        assert len(etree.tostring(laughs)) < 10_000, "entities are not expanded"


def test_a_50_mb_document_is_refused_before_parsing_in_bounded_memory() -> None:
    """Run apart so the peak resident memory measured is this test's alone."""
    script = """
import resource, sys, time
from schemas.article import InvalidArticle
from schemas.dead_letter import ErrorCode
from schemas.formats import parse_record
from schemas.formats.xml_safety import parse_xml
head = b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g" version="1">'
head += b'<contentSet><inlineData contenttype="text/plain">'
raw = head + b"x" * (50 * 1024 * 1024) + b"</inlineData></contentSet></newsItem>"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    parse_record(raw)
except InvalidArticle as exc:
    assert exc.code is ErrorCode.PAYLOAD_TOO_LARGE, exc.code
else:
    raise SystemExit("accepted")
# Past the size gate, libxml2's own limit (huge_tree off) still refuses a 50 MB text node.
try:
    parse_xml(raw)
except InvalidArticle as exc:
    assert exc.code is ErrorCode.XML_MALFORMED, exc.code
else:
    raise SystemExit("parsed")
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(grown, time.monotonic() - start)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr + result.stdout
    grown_kb, seconds = result.stdout.split()
    assert int(grown_kb) < 64 * 1024, f"peak memory grew by {grown_kb} KB"
    assert float(seconds) < 10


# --- RSS and Atom ---------------------------------------------------------------------------


def test_rss_items_become_articles_with_guid_ids_dates_authors_and_categories() -> None:
    items = read_feed((SAMPLES / "rss.xml").read_bytes(), "samples/rss.xml")
    assert [i.item_id for i in items] == [
        "nwex-europe-20261123-danube",
        "https://newswire.example/europe/2026/11/23/warsaw-metro",
    ]
    article = parse_record(json.dumps(items[0].article).encode(), NOW)
    assert article.source_format == "rss"
    assert article.title == "Danube shipping halted as water levels fall near Vienna"
    assert article.body.startswith("Cargo barges stopped on the Danube east of Vienna on Monday")
    assert article.authors == ("Katharina Huber",)
    assert article.published_at == datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    assert article.language_declared == "en-gb" and article.source == "Newswire Example: Europe"
    assert [s.name for s in article.subjects] == ["Transport", "Weather"]
    assert items[0].version.startswith("2026-11-23T09:15:00+00:00|")


def test_atom_entries_become_articles_and_a_changed_entry_gets_a_new_version() -> None:
    raw = (SAMPLES / "atom.xml").read_bytes()
    items = read_feed(raw, "samples/atom.xml")
    assert items[0].item_id == "tag:newswire.example,2026:science/esa-lunar-camera"
    article = parse_record(json.dumps(items[0].article).encode(), NOW)
    assert article.source_format == "atom"
    assert article.authors == ("Claire Dubois",)
    assert "<p>" not in article.body and "European Space Agency" in article.body
    assert article.url == "https://newswire.example/science/2026/11/24/esa-lunar-camera"
    assert [s.code for s in article.subjects] == ["space"]
    changed = raw.replace(b"<updated>2026-11-24T08:00:00Z", b"<updated>2026-11-24T11:00:00Z")
    assert read_feed(changed, "x")[0].version != items[0].version


def test_entries_without_dates_or_ids_are_versioned_by_their_text() -> None:
    feed = b"""<rss version="2.0"><channel><title>T</title>
    <item><title>One</title><description>Text one.</description></item></channel></rss>"""
    (item,) = read_feed(feed, "x")
    assert item.item_id.startswith("text-") and item.version.startswith("|")
    (edited,) = read_feed(feed.replace(b"Text one.", b"Text one, edited."), "x")
    assert edited.version != item.version


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"this is not a feed", ErrorCode.FEED_MALFORMED),
        (b"<html><body><p>a web page</p></body></html>", ErrorCode.FEED_MALFORMED),
        (BILLION_LAUGHS.replace(b"newsItem", b"rss"), ErrorCode.XML_FORBIDDEN),
        (b"<rss>" + b"x" * 10_000_001, ErrorCode.PAYLOAD_TOO_LARGE),
    ],
)
def test_broken_feeds_get_their_code(raw: bytes, code: ErrorCode) -> None:
    with pytest.raises(InvalidArticle) as caught:
        read_feed(raw, "x")
    assert caught.value.code is code


# --- the document ---------------------------------------------------------------------------


def test_original_subjects_format_and_version_are_in_the_document_and_mapped() -> None:
    article = parse_record(g2("rotterdam-fire-v1.xml"), NOW)
    doc = build_document(article, Enrichment((), (), "ner@1", "topics@1"), None, NOW)
    assert doc["source_format"] == "newsml-g2" and doc["item_version"] == "1"
    assert doc["subjects"][0] == {
        "name": "fire",
        "code": "medtop:20000139",
        "scheme": "medtop",
        "rel": "cpnat:abstract",
    }
    mapping = index_template("news")["template"]["mappings"]["properties"]
    assert set(doc) <= set(mapping)
    assert set(doc["subjects"][2]) <= set(mapping["subjects"]["properties"])
    again, _ = article_from_document(doc)
    assert again.subjects == article.subjects and again.source_format == "newsml-g2"


def test_newswire_json_takes_subjects_as_names_or_objects() -> None:
    raw = json.dumps(
        {"title": "t", "body": "Text.", "subjects": ["economy", {"name": "rates", "code": "x:1"}]}
    ).encode()
    subjects = parse_article(raw).subjects
    assert [(s.name, s.code, s.scheme) for s in subjects] == [
        ("economy", None, None),
        ("rates", "x:1", "x"),
    ]
    with pytest.raises(InvalidArticle):
        parse_article(json.dumps({"title": "t", "body": "b", "subjects": [1]}).encode())


def test_a_dead_letter_too_large_for_kafka_keeps_the_start_size_and_hash() -> None:
    import base64
    import hashlib

    from schemas.dead_letter import MAX_ORIGINAL_BYTES, DeadLetter

    huge = b"<newsItem>" + b"x" * (50 * 1024 * 1024)
    letter = DeadLetter(ErrorCode.PAYLOAD_TOO_LARGE, "too large", huge, None).to_json()
    assert letter["original_truncated"] is True and letter["original_bytes"] == len(huge)
    assert letter["original_sha256"] == hashlib.sha256(huge).hexdigest()
    assert base64.b64decode(letter["original_b64"]) == huge[:MAX_ORIGINAL_BYTES]
    assert len(json.dumps(letter)) < 16 * 1024 * 1024, "fits the broker's record limit"
    small = DeadLetter(ErrorCode.NOT_JSON, "x", b"{", None).to_json()
    assert small["original_truncated"] is False and base64.b64decode(small["original_b64"]) == b"{"
