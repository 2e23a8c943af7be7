"""The search box language, parsed here so user input never reaches Elasticsearch as query DSL.

What analysts type: words (all must match), "exact phrases", OR between alternatives, NOT or a
leading minus to exclude, parentheses to group, and `title:` or `body:` before a word or phrase
to search one field. Everything else is text: the parser builds match and match_phrase queries
from it, so `*`, `{`, `:` or a JSON object in the box are words to look for, never operators.
Broken input (an unclosed quote or parenthesis, an OR with nothing after it) raises
QuerySyntaxError with a message that says what and where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_QUERY_CHARS = 500
MAX_TERMS = 40
MAX_DEPTH = 6
SEARCH_FIELDS = ("title^3", "body")
_FIELDS = {"title": "title", "body": "body"}


class QuerySyntaxError(ValueError):
    """The search text cannot be understood; `message` is meant for the analyst."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False
    field: str | None = None  # None: title (weighted) and body


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD PHRASE LPAREN RPAREN AND OR NOT MINUS
    text: str
    position: int  # 1-based character position, as analysts count
    field: str | None = None


_SPACE = re.compile(r"\s+")
_FIELD_PREFIX = re.compile(r"(title|body):", re.I)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
            continue
        start = i
        field = None
        prefix = _FIELD_PREFIX.match(text, i)
        if prefix and prefix.end() < len(text) and not text[prefix.end()].isspace():
            field = _FIELDS[prefix.group(1).lower()]
            i = prefix.end()
            char = text[i]
        if char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError(
                    f'The quotation mark at character {i + 1} is never closed: add a closing " '
                    "or remove it.",
                    i + 1,
                )
            phrase = text[i + 1 : end].strip()
            if not phrase:
                raise QuerySyntaxError(f"The quotes at character {i + 1} hold no words.", i + 1)
            tokens.append(_Token("PHRASE", phrase, start + 1, field))
            i = end + 1
            continue
        if field is None and char in "()":
            tokens.append(_Token("LPAREN" if char == "(" else "RPAREN", char, i + 1))
            i += 1
            continue
        starts_term = not tokens or text[i - 1].isspace() or tokens[-1].kind == "LPAREN"
        followed = i + 1 < len(text) and not text[i + 1].isspace()
        if field is None and char == "-" and followed and starts_term:
            tokens.append(_Token("MINUS", "-", i + 1))
            i += 1
            continue
        end = i
        while end < len(text) and not text[end].isspace() and text[end] not in '()"':
            end += 1
        word = text[i:end]
        if not word:
            raise QuerySyntaxError(
                f"{text[start:i]} at character {start + 1} needs a word or a phrase after it.",
                start + 1,
            )
        if field is None and word in ("AND", "OR", "NOT"):
            tokens.append(_Token(word, word, start + 1))
        else:
            tokens.append(_Token("WORD", word, start + 1, field))
        i = end
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.terms = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.alternatives(0)
        token = self.peek()
        if token is not None:  # only an unmatched ")" stops the top level early
            raise QuerySyntaxError(
                f"The closing parenthesis at character {token.position} has no opening one.",
                token.position,
            )
        return node

    def alternatives(self, depth: int) -> Node:
        operands = [self.sequence(depth)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            following = self.peek()
            if following is None or following.kind in ("OR", "AND", "RPAREN"):
                raise QuerySyntaxError(
                    f"OR at character {token.position} needs a word or phrase after it.",
                    token.position,
                )
            operands.append(self.sequence(depth))
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def sequence(self, depth: int) -> Node:
        operands: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            if token.kind == "AND":
                self.take()
                following = self.peek()
                if not operands or following is None or following.kind in ("OR", "AND", "RPAREN"):
                    raise QuerySyntaxError(
                        f"AND at character {token.position} needs a word or phrase on both sides.",
                        token.position,
                    )
                continue
            operands.append(self.unary(depth))
        if not operands:
            token = self.peek()
            where = token.position if token else None
            what = "OR" if token and token.kind == "OR" else "the search"
            raise QuerySyntaxError(
                f"{what} at character {where} needs a word or phrase before it."
                if where
                else "The search ends where a word or phrase was expected.",
                where,
            )
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def unary(self, depth: int) -> Node:
        token = self.take()
        if token.kind in ("NOT", "MINUS"):
            following = self.peek()
            if following is None or following.kind in ("OR", "AND", "RPAREN", "NOT", "MINUS"):
                raise QuerySyntaxError(
                    f"{token.text} at character {token.position} needs a word, phrase or group "
                    "after it.",
                    token.position,
                )
            return Not(self.unary(depth))
        if token.kind == "LPAREN":
            if depth + 1 > MAX_DEPTH:
                raise QuerySyntaxError(
                    f"Parentheses are nested more than {MAX_DEPTH} deep.", token.position
                )
            if (following := self.peek()) is not None and following.kind == "RPAREN":
                raise QuerySyntaxError(
                    f"The parentheses at character {token.position} hold nothing.",
                    token.position,
                )
            if following is None:
                raise QuerySyntaxError(
                    f"The parenthesis at character {token.position} is never closed.",
                    token.position,
                )
            node = self.alternatives(depth + 1)
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise QuerySyntaxError(
                    f"The parenthesis at character {token.position} is never closed: add a ) "
                    "or remove it.",
                    token.position,
                )
            self.take()
            return node
        if token.kind in ("WORD", "PHRASE"):
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QuerySyntaxError(f"A search may hold at most {MAX_TERMS} words and phrases.")
            return Term(token.text, token.kind == "PHRASE", token.field)
        raise QuerySyntaxError(  # RPAREN here means "()" or "a )": reported by the callers
            f"Unexpected {token.text} at character {token.position}.", token.position
        )


def parse_query(text: str) -> Node | None:
    """The parsed search, or None for an empty one (or `*`): every article."""
    stripped = text.strip()
    if len(stripped) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"The search is longer than {MAX_QUERY_CHARS} characters.")
    if not stripped or stripped == "*":
        return None
    return _Parser(_tokens(stripped)).parse()


def to_elasticsearch(node: Node | None) -> dict[str, Any]:
    """The query for a parsed search: only match, match_phrase, multi_match and bool."""
    if node is None:
        return {"match_all": {}}
    if isinstance(node, Term):
        if node.field is not None:
            kind = "match_phrase" if node.phrase else "match"
            inner: dict[str, Any] = {"query": node.text}
            if not node.phrase:
                inner["operator"] = "and"
            return {kind: {node.field: inner}}
        query: dict[str, Any] = {"query": node.text, "fields": list(SEARCH_FIELDS)}
        query.update({"type": "phrase"} if node.phrase else {"operator": "and"})
        return {"multi_match": query}
    if isinstance(node, Not):
        return {"bool": {"must_not": [to_elasticsearch(node.operand)]}}
    if isinstance(node, Or):
        return {
            "bool": {
                "should": [to_elasticsearch(o) for o in node.operands],
                "minimum_should_match": 1,
            }
        }
    must = [to_elasticsearch(o) for o in node.operands if not isinstance(o, Not)]
    must_not = [to_elasticsearch(o.operand) for o in node.operands if isinstance(o, Not)]
    clause: dict[str, Any] = {"must": must or [{"match_all": {}}]}
    if must_not:
        clause["must_not"] = must_not
    return {"bool": clause}
