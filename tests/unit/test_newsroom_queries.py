"""The newsroom's pure parts: the search language, page state, request bodies, marking, access."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from newsroom import queries as q
from newsroom.access import Access, UnsafeBind, allowed, check_bind, is_loopback
from newsroom.marking import (
    Mention,
    highlighted,
    json_for_script,
    mark_mentions,
    mentions_in,
    web_link,
)
from newsroom.query_parser import (
    MAX_TERMS,
    And,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    parse_query,
    to_elasticsearch,
)

# --- the search language ------------------------------------------------------------------


def test_words_phrases_and_operators() -> None:
    assert parse_query("") is None
    assert parse_query("  * ") is None
    assert parse_query("putin") == Term("putin")
    assert parse_query('"central bank" rates') == And((Term("central bank", True), Term("rates")))
    assert parse_query("a OR b c") == Or((Term("a"), And((Term("b"), Term("c")))))
    assert parse_query("a AND b") == And((Term("a"), Term("b")))
    assert parse_query("-oil gas") == And((Not(Term("oil")), Term("gas")))
    assert parse_query("NOT (a OR b)") == Not(Or((Term("a"), Term("b"))))
    assert parse_query('title:"prime minister"') == Term("prime minister", True, "title")
    assert parse_query("body:kyiv") == Term("kyiv", False, "body")
    # Hyphens inside words and prefixes we do not know are just text.
    assert parse_query("well-known") == Term("well-known")
    assert parse_query("author:smith") == Term("author:smith")
    assert parse_query("or and not") == And((Term("or"), Term("and"), Term("not")))


def test_the_query_uses_only_match_queries_and_bool() -> None:
    body = to_elasticsearch(parse_query('(eu OR nato) -"press release" title:summit'))

    def kinds(node: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(node, dict):
            for key, value in node.items():
                found.add(key)
                found |= kinds(value)
        elif isinstance(node, list):
            for item in node:
                found |= kinds(item)
        return found

    query_kinds = kinds(body) & {
        "match", "match_phrase", "multi_match", "bool", "query_string", "simple_query_string",
        "script", "wildcard", "regexp", "fuzzy", "prefix", "terms_set", "match_all",
    }  # fmt: skip
    assert query_kinds == {"bool", "multi_match", "match"}
    assert body["bool"]["must_not"] == [
        {"multi_match": {"query": "press release", "fields": ["title^3", "body"], "type": "phrase"}}
    ]
    assert {"match": {"title": {"query": "summit", "operator": "and"}}} in body["bool"]["must"]
    assert to_elasticsearch(None) == {"match_all": {}}


@pytest.mark.parametrize(
    "text",
    [
        '{"script": {"source": "ctx._source.x = 1"}}',
        '{"query": {"match_all": {}}}',
        "*:* OR _exists_:title",
        "title:/.*/ body:foo~2^10",
        "<script>alert(1)</script>",
        "'; DROP TABLE news; --",
    ],
)
def test_injection_attempts_are_only_words_to_look_for(text: str) -> None:
    try:
        node = parse_query(text)
    except QuerySyntaxError:
        return  # refused with a message is fine too

    def keys(node: Any) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for value in node.values() for k in keys(value)}
        if isinstance(node, list):
            return {k for item in node for k in keys(item)}
        return set()

    # Whatever was typed, the request is built only of these keys; the text is only ever
    # the value of "query".
    assert keys(to_elasticsearch(node)) <= {
        "bool", "must", "must_not", "should", "minimum_should_match", "multi_match", "match",
        "match_phrase", "match_all", "query", "fields", "type", "operator", "title", "body",
    }  # fmt: skip

    def leaves(node: Any) -> list[Term]:
        if isinstance(node, Term):
            return [node]
        if isinstance(node, Not):
            return leaves(node.operand)
        return [t for o in node.operands for t in leaves(o)] if node else []

    for term in leaves(node):
        assert term.field in (None, "title", "body")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"unclosed phrase', "quotation mark at character 1 is never closed"),
        ("(a OR b", "parenthesis at character 1 is never closed"),
        ("a OR b)", "closing parenthesis at character 7 has no opening one"),
        ("a OR", "OR at character 3 needs a word or phrase after it"),
        ("OR a", "needs a word or phrase before it"),
        ("a AND", "AND at character 3 needs a word or phrase on both sides"),
        ("rates NOT", "NOT at character 7 needs a word"),
        ("()", "parentheses at character 1 hold nothing"),
        ('""', "hold no words"),
        ("title:", None),  # a bare "title:" is the word itself
        ("title:(x)", "needs a word or a phrase after it"),
        ("((((((((deep))))))))", "nested more than"),
        ("x" * 501, "longer than 500"),
        (" ".join(["w"] * (MAX_TERMS + 1)), f"at most {MAX_TERMS}"),
    ],
)
def test_broken_syntax_gets_a_message(text: str, message: str | None) -> None:
    if message is None:
        assert parse_query(text) == Term(text)
        return
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text)
    assert message in info.value.message


# --- page state in the URL ----------------------------------------------------------------


def params(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def test_state_round_trips_through_the_url() -> None:
    cursor = q.encode_cursor([1.5, 1700000000000, "doc-1"])
    state = q.SearchState(
        q='"central bank"',
        sort="newest",
        entities=(("PER", "Christine Lagarde"), ("LOC", "Frankfurt")),
        topics=("economy, business and finance",),
        sources=("wire",),
        languages=("en",),
        since="2024-01-01",
        until="2024-02-01T00:00:00Z",
        after=cursor,
        shown=20,
    )
    # Entity filters come back grouped by type, the order the URL lists them in.
    again = q.state_from_params(params(q.state_params(state)))
    assert again == state
    assert q.state_from_params({}) == q.SearchState()


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("sort", "_doc")], "sort must be one of"),
        ([("since", "yesterday")], "since must be a date"),
        ([("until", "2024-02-30")], "not a real date"),
        ([("after", "not-base64!!")], "page link is damaged"),
        ([("after", q.encode_cursor([{"script": 1}]))], "page link is damaged"),
        ([("after", q.encode_cursor([1, 2, 3, 4]))], "page link is damaged"),
        ([("after", base64.urlsafe_b64encode(b'{"a": 1}').decode())], "page link is damaged"),
        ([("per", f"p{i}") for i in range(21)], "At most 20"),
        ([("topic", "x" * 301)], "longer than 300"),
        ([("after", q.encode_cursor([1])), ("shown", "-3")], "whole number"),
    ],
)
def test_bad_url_parameters_are_refused_with_a_message(
    pairs: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(q.StateError) as info:
        q.state_from_params(params(pairs))
    assert message in info.value.message


def test_facet_clicks_narrow_from_the_first_page_and_chips_remove() -> None:
    state = q.SearchState(q="x", after=q.encode_cursor([1]), shown=20)
    narrowed = state.adding("ORG", "NATO").adding("topic", "politics").adding("ORG", "NATO")
    assert narrowed.entities == (("ORG", "NATO"),) and narrowed.topics == ("politics",)
    assert narrowed.after is None and narrowed.shown == 0
    assert narrowed.removing("ORG", "NATO").entities == ()
    assert q.with_dates(state, "2024-01-01", "2024-02-01").removing("since", "").since is None


def test_filters_only_become_term_values_on_known_fields() -> None:
    state = q.SearchState(
        entities=(("PER", '{"match_all": {}}'),),
        topics=("a", "b"),
        sources=("*",),
        since="2024-01-01",
    )
    assert q.filter_clauses(state) == [
        {"term": {"persons": '{"match_all": {}}'}},
        {"terms": {"topic_labels": ["a", "b"]}},
        {"terms": {"source": ["*"]}},
        {"range": {"published_at": {"gte": "2024-01-01"}}},
    ]


def test_search_request_pages_with_search_after_on_a_total_order() -> None:
    cursor = q.encode_cursor([2.5, 1700000000000, "b"])
    body = q.search_request(q.SearchState(q="nato", after=cursor), "month")
    assert body["search_after"] == [2.5, 1700000000000, "b"]
    assert body["sort"][-1] == {"doc_id": "asc"}
    assert body["track_total_hits"] is True
    assert set(body["aggs"]) == {"PER", "ORG", "LOC", "MISC", "topic", "source", "lang", "dates"}
    assert body["aggs"]["dates"]["date_histogram"]["calendar_interval"] == "month"
    assert "from" not in body  # from+size stops at 10,000; search_after does not
    newest = q.search_request(q.SearchState(sort="newest"), "day")
    assert newest["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    hits = [{"sort": [1.0, 5, "a"]}] * q.PAGE_SIZE
    assert q.decode_cursor(q.next_cursor(hits, q.PAGE_SIZE) or "") == [1.0, 5, "a"]
    assert q.next_cursor(hits[:3], q.PAGE_SIZE) is None


def test_histogram_interval_and_bucket_ranges() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert q.histogram_interval(start, datetime(2024, 1, 2, tzinfo=UTC)) == "hour"
    assert q.histogram_interval(start, datetime(2024, 3, 1, tzinfo=UTC)) == "day"
    assert q.histogram_interval(start, datetime(2025, 6, 1, tzinfo=UTC)) == "week"
    assert q.histogram_interval(start, datetime(2030, 1, 1, tzinfo=UTC)) == "month"
    assert q.histogram_interval(None, None) == "month"
    december = int(datetime(2023, 12, 1, tzinfo=UTC).timestamp() * 1000)
    assert q.bucket_range(december, "month") == ("2023-12-01", "2024-01-01")
    assert q.bucket_range(december, "quarter") == ("2023-12-01", "2024-03-01")
    hour = int(datetime(2024, 1, 1, 23, tzinfo=UTC).timestamp() * 1000)
    assert q.bucket_range(hour, "hour") == ("2024-01-01T23:00:00Z", "2024-01-02")


def test_rising_entities_rank_by_growth() -> None:
    def agg(counts: dict[str, dict[str, int]]) -> dict[str, Any]:
        return {
            kind: {"buckets": [{"key": k, "doc_count": v} for k, v in counts.get(kind, {}).items()]}
            for kind in q.ENTITY_TYPES
        }

    response = {
        "aggregations": {
            "recent": agg({"PER": {"A": 9, "B": 5, "C": 1}, "LOC": {"Kyiv": 6}}),
            "previous": agg({"PER": {"A": 8, "B": 0}, "LOC": {"Kyiv": 7}}),
        }
    }
    rising = q.rising_entities(response)
    assert [(r.kind, r.name, r.change) for r in rising] == [("PER", "B", 5), ("PER", "A", 1)]
    body = q.trends_request(datetime(2024, 1, 8, tzinfo=UTC), "week")
    recent = body["aggs"]["recent"]["filter"]["range"]["published_at"]
    assert recent == {"gte": "2024-01-01T00:00:00.000Z", "lt": "2024-01-08T00:00:00.000Z"}


def test_network_edges_are_undirected_counts_between_chosen_entities() -> None:
    nodes = q.network_nodes(
        {
            "aggregations": {
                "PER": {"buckets": [{"key": "A", "doc_count": 3}]},
                "ORG": {"buckets": [{"key": "X", "doc_count": 2}]},
            }
        }
    )
    request = q.network_edges_request(q.SearchState(), nodes)
    assert request["aggs"]["PER"]["terms"]["include"] == ["A"]
    assert request["aggs"]["PER"]["aggs"]["ORG"]["terms"]["include"] == ["X"]
    response = {
        "aggregations": {
            "PER": {
                "buckets": [
                    {
                        "key": "A",
                        "PER": {"buckets": [{"key": "A", "doc_count": 3}]},
                        "ORG": {"buckets": [{"key": "X", "doc_count": 2}]},
                    }
                ]
            },
            "ORG": {"buckets": [{"key": "X", "PER": {"buckets": [{"key": "A", "doc_count": 2}]}}]},
        }
    }
    assert q.network_edges(response) == [{"source": "ORG:X", "target": "PER:A", "articles": 2}]


def test_surface_forms_and_series() -> None:
    hits = [
        {
            "_source": {
                "entities": [
                    {"name": "EU", "type": "ORG", "mentions": [{"text": "EU"}, {"text": "E.U."}]},
                    {"name": "EU", "type": "LOC", "mentions": [{"text": "Europe"}]},
                ]
            }
        },
        {"_source": {"entities": [{"name": "EU", "type": "ORG", "mentions": [{"text": "EU"}]}]}},
    ]
    assert q.surface_forms(hits, "ORG", "EU") == [("EU", 2), ("E.U.", 1)]
    series = q.mentions_series(
        {
            "aggregations": {
                "over_time": {
                    "buckets": [
                        {
                            "key": 0,
                            "key_as_string": "2024-01-01",
                            "doc_count": 2,
                            "entity": {"this": {"mentions": {"value": 5.0}}},
                        }
                    ]
                }
            }
        }
    )
    assert series == [{"t": "2024-01-01", "key": 0, "articles": 2, "mentions": 5}]


def test_entity_chart_spans_the_whole_index_period() -> None:
    first, last = datetime(2022, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    body = q.entity_request("PER", "A", "month", span=(first, last))
    histogram = body["aggs"]["over_time"]["date_histogram"]
    assert histogram["extended_bounds"] == {
        "min": "2022-01-01T00:00:00.000Z",
        "max": "2024-06-01T00:00:00.000Z",
    }
    assert body["query"] == {"bool": {"filter": [{"term": {"persons": "A"}}]}}
    assert "exclude" in body["aggs"]["PER"]["terms"]
    assert (
        "extended_bounds"
        not in q.entity_request("PER", "A", "month")["aggs"]["over_time"]["date_histogram"]
    )


def test_live_request_looks_for_newer_documents_matching_the_search() -> None:
    body = q.live_request(q.SearchState(q="nato", topics=("politics",)), "2024-01-01T00:00:00Z")
    assert {"range": {"indexed_at": {"gte": "2024-01-01T00:00:00Z"}}} in body["query"]["bool"][
        "filter"
    ]
    assert {"terms": {"topic_labels": ["politics"]}} in body["query"]["bool"]["filter"]
    assert body["sort"][0] == {"indexed_at": "asc"}


def test_export_is_bounded_and_csv_cells_are_defused() -> None:
    assert q.export_limit(None) == q.EXPORT_DEFAULT
    assert q.export_limit("10000") == 10_000
    for bad in ("0", "10001", "-1", "1e3", "all"):
        with pytest.raises(q.StateError):
            q.export_limit(bad)
    assert q.csv_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert q.csv_cell(["A", "B"]) == "A; B"
    assert q.csv_cell(None) == ""
    assert q.csv_row({"doc_id": "d", "persons": ["@x"]})[0] == "d"
    after = q.export_request(q.SearchState(), [1, "a"], 500)
    assert after["search_after"] == [1, "a"] and after["size"] == 500


# --- marking article text -----------------------------------------------------------------


def test_mentions_are_marked_at_their_offsets_from_escaped_pieces() -> None:
    body = 'Putin & <b>"Orban"</b> met in Beijing.'
    doc = {
        "body": body,
        "entities": [
            {
                "name": "Vladimir Putin",
                "type": "PER",
                "mentions": [{"field": "body", "start": 0, "end": 5, "text": "Putin"}],
            },
            {
                "name": "Beijing",
                "type": "LOC",
                "mentions": [
                    {"field": "body", "start": 30, "end": 37, "text": "Beijing"},
                    {"field": "body", "start": 31, "end": 33, "text": "ei"},  # overlaps: left out
                    {"field": "body", "start": 1, "end": 3, "text": "zz"},  # wrong text: left out
                    {"field": "title", "start": 0, "end": 3, "text": "Bei"},  # other field
                ],
            },
        ],
    }
    mentions = mentions_in(doc, "body")
    assert [(m.start, m.end, m.kind) for m in mentions] == [(0, 5, "PER"), (30, 37, "LOC")]
    html = mark_mentions(body, mentions, lambda m: f"/entity?type={m.kind}&name={m.name}")
    assert "<b>" not in html and "&lt;b&gt;&#34;Orban&#34;&lt;/b&gt;" in html
    assert 'href="/entity?type=PER&amp;name=Vladimir Putin"' in html
    assert 'data-start="30" data-end="37"' in html
    assert html.count("<a ") == 2


def test_entity_names_cannot_break_out_of_attributes() -> None:
    mention = Mention(0, 1, "x", "PER", '"><script>alert(1)</script>', 1.0)
    html = mark_mentions("x", [mention], lambda m: "/e?n=" + m.name)
    assert "<script>" not in html
    assert "&#34;&gt;&lt;script&gt;" in html


def test_highlights_escape_text_and_balance_marks() -> None:
    fragment = "a <img src=x onerror=alert(1)> \ue000nato\ue001 b \ue001 c \ue000d"
    html = highlighted(fragment)
    assert "<img" not in html
    assert "<mark>nato</mark>" in html
    assert html.count("<mark>") == html.count("</mark>") == 1


def test_only_web_addresses_become_links() -> None:
    assert web_link("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert web_link(" HTTP://example.org ") == "HTTP://example.org"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//x", None):
        assert web_link(bad) is None


def test_json_for_script_cannot_close_the_script_element() -> None:
    text = json_for_script({"t": "</script><script>alert(1)</script><!--"})
    assert "</script" not in text and "<!--" not in text
    assert json.loads(str(text)) == {"t": "</script><script>alert(1)</script><!--"}


# --- access -------------------------------------------------------------------------------


def test_binding_beyond_loopback_needs_access_control() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    check_bind("127.0.0.1", Access(), allow_unauthenticated=False)
    check_bind("0.0.0.0", Access(token="t"), allow_unauthenticated=False)
    check_bind("0.0.0.0", Access(), allow_unauthenticated=True)
    with pytest.raises(UnsafeBind):
        check_bind("0.0.0.0", Access(), allow_unauthenticated=False)


def test_token_and_basic_auth() -> None:
    assert allowed(Access(), None, None, None)
    token = Access(token="s3cret")
    assert not allowed(token, None, None, None)
    assert not allowed(token, "Bearer wrong", None, None)
    assert allowed(token, "Bearer s3cret", None, None)
    assert allowed(token, None, None, "s3cret")
    assert allowed(token, None, token.cookie_value(), None)
    assert "s3cret" not in token.cookie_value()
    basic = Access(username="ana", password="pw")
    good = "Basic " + base64.b64encode(b"ana:pw").decode()
    bad = "Basic " + base64.b64encode(b"ana:nope").decode()
    assert allowed(basic, good, None, None)
    assert not allowed(basic, bad, None, None)
    assert not allowed(basic, "Basic !!!", None, None)
    assert not allowed(basic, None, None, "pw")
