"""The search filter language: ``user.name:alice AND (event.code:4625 OR event.code:4771)``.

Grammar (case-insensitive keywords)::

    expr   := term (OR term)*
    term   := factor ((AND)? factor)*          -- juxtaposition means AND
    factor := NOT factor | '(' expr ')' | match
    match  := FIELD ':' VALUE | FIELD ('>'|'>='|'<'|'<=') VALUE | VALUE   -- a bare value: full text

A VALUE is a bare word or a double-quoted string, whose only escapes are ``\\"`` and ``\\\\`` (so
a Windows path needs none); ``*`` and ``?`` are wildcards. Parsing produces a small tree that
storage adapters turn into parameterised SQL.

Nesting (parentheses and NOT) is bounded by ``MAX_FILTER_DEPTH``: the parser and everything that
walks the tree after it (SQL generation, in-memory matching) recurse once per level, so a bound
here keeps them all far from Python's recursion limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from garde.core.errors import QueryError

MAX_FILTER_DEPTH = 64  # real filters nest a handful of levels; each level costs ~3 stack frames
FIELD_RE = re.compile(r"^[A-Za-z@_][A-Za-z0-9@_.\-]*$")
_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<q>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|>|<|:)|(?P<w>[^\s():<>"]+))')


@dataclass(frozen=True)
class Match:
    field: str | None  # None: full-text search over the message and the original fields
    op: str  # ":" (equals, with wildcards), ">", ">=", "<", "<="
    value: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" or "OR"
    operands: tuple[Node, ...]


Node = Match | Not | BoolOp


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"cannot read the filter at position {pos}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "q":
            value = re.sub(r'\\(["\\])', r"\1", value[1:-1])  # only \" and \\ are escapes
        out.append((kind, value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("the filter ends too early")
        self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "w" and token[1].upper() == word:
            self.i += 1
            return True
        return False

    def expr(self) -> Node:
        operands = [self.term()]
        while self.keyword("OR"):
            operands.append(self.term())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def term(self) -> Node:
        operands = [self.factor()]
        while True:
            token = self.peek()
            if token is None or token[0] == "rp" or (token[0] == "w" and token[1].upper() == "OR"):
                break
            self.keyword("AND")
            operands.append(self.factor())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise QueryError(f"the filter nests too deeply (at most {MAX_FILTER_DEPTH} levels of parentheses and NOT)")

    def factor(self) -> Node:
        if self.keyword("NOT"):
            self.nested()
            node: Node = Not(self.factor())
            self.depth -= 1
            return node
        kind, value = self.take()
        if kind == "lp":
            self.nested()
            node = self.expr()
            if self.take()[0] != "rp":
                raise QueryError("a parenthesis is not closed")
            self.depth -= 1
            return node
        if kind not in ("w", "q"):
            raise QueryError(f"unexpected {value!r} in the filter")
        if kind == "w" and value.upper() in ("AND", "OR"):
            raise QueryError(f"{value} needs a condition on each side (quote it to search for the word)")
        token = self.peek()
        if kind == "w" and token is not None and token[0] == "op":
            op = self.take()[1]
            if not FIELD_RE.match(value):
                raise QueryError(f"not a field name: {value!r}")
            vkind, operand = self.take()
            if vkind not in ("w", "q"):
                raise QueryError(f"a value must follow {value}{op}")
            return Match(value, op, operand)
        return Match(None, ":", value)


def parse_filter(text: str) -> Node:
    """Parse a filter; raises :class:`QueryError` with a plain message when it is not valid."""
    if not text.strip():
        raise QueryError("the filter is empty")
    parser = _Parser(text)
    node = parser.expr()
    if parser.peek() is not None:
        raise QueryError(f"unexpected {parser.peek()[1]!r} in the filter")  # type: ignore[index]
    return node
