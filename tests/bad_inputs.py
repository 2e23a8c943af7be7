"""The catalogue of bad inputs real feeds send, with the dead-letter code each must get.

Shared by the unit tests (parser) and the end-to-end test (real broker, pipeline, DLQ topic).
"""

import json

from schemas.article import ErrorCode


def _json(**fields: object) -> bytes:
    return json.dumps(fields).encode()


CATALOGUE: list[tuple[str, bytes, ErrorCode]] = [
    ("not-json", b'{"title": "cut off", "body": "the rest never cam', ErrorCode.NOT_JSON),
    ("json-array", b'[{"title": "t", "body": "b"}]', ErrorCode.NOT_OBJECT),
    ("json-string", b'"just a string"', ErrorCode.NOT_OBJECT),
    ("json-null", b"null", ErrorCode.NOT_OBJECT),
    ("wrong-type-title", _json(title=42, body="text"), ErrorCode.WRONG_TYPE),
    ("wrong-type-body", _json(title="t", body=["a", "list"]), ErrorCode.WRONG_TYPE),
    ("wrong-type-authors", _json(title="t", body="b", authors=[1, 2]), ErrorCode.WRONG_TYPE),
    ("missing-title-and-body", _json(id="x", source="feed"), ErrorCode.MISSING_BODY),
    ("empty-body", _json(title="Headline only", body=""), ErrorCode.MISSING_BODY),
    ("blank-body", _json(title="t", body=" \n\t \u00a0 "), ErrorCode.MISSING_BODY),
    (
        "html-only-body",
        _json(title="t", body="<div><img src='a.jpg'/><br/></div>"),
        ErrorCode.MISSING_BODY,
    ),
    ("ten-mb-body", _json(title="t", body="x" * 10_000_000), ErrorCode.PAYLOAD_TOO_LARGE),
    ("invalid-utf8", b'{"title": "caf\xe9", "body": "latin-1 bytes"}', ErrorCode.NOT_UTF8),
    ("nul-byte-outside-strings", b'{"title": "t",\x00 "body": "b"}', ErrorCode.NOT_JSON),
    (
        "future-date",
        _json(title="t", body="b", published_at="2099-01-01T00:00:00Z"),
        ErrorCode.FUTURE_DATE,
    ),
    ("malformed-date", _json(title="t", body="b", published_at="32/13/2024"), ErrorCode.BAD_DATE),
    ("deeply-nested", ('{"a":' * 5000 + "1" + "}" * 5000).encode(), ErrorCode.NESTING_TOO_DEEP),
]
