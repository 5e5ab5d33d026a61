"""Compile a pySigma rule (already through the field-mapping pipeline) to Garde's IR.

Values become atoms with exact Sigma semantics: strings compare case-insensitively (except
``|cased``), wildcards ``*``/``?`` become contains/startswith/endswith tests or an anchored
regex, modifiers that pySigma expands (base64offset, windash, utf16...) become OR-lists, and
placeholders (``|expand``) are resolved from the settings given to the loader.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import polars as pl
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
)

from garde.detect.sigma import ir
from garde.detect.sigma.ir import Atom, CompiledRule, LogSource, Node, RuleInfo
from garde.detect.sigma.logsources import route_for, route_key

Placeholders = Mapping[str, Sequence[str]]

_COMPARE_OPS = {
    CompareOperators.LT: "lt",
    CompareOperators.LTE: "lte",
    CompareOperators.GT: "gt",
    CompareOperators.GTE: "gte",
    CompareOperators.NEQ: "neq",
}
_REGEX_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}


class CompileError(ValueError):
    """The rule cannot be evaluated exactly; the message says why."""


def rule_info(rule: SigmaRule, source: str, kind: str = "rule") -> RuleInfo:
    ls = getattr(rule, "logsource", None)  # correlation rules have none
    return RuleInfo(
        id=str(rule.id) if rule.id else (rule.name or rule.title),
        title=rule.title,
        level=rule.level.name.lower() if rule.level else "",
        status=rule.status.name.lower() if rule.status else "",
        tags=tuple(str(t) for t in rule.tags),
        logsource=LogSource(ls.product, ls.category, ls.service) if ls else LogSource(),
        description=rule.description or "",
        source=source,
        kind=kind,
    )


def compile_rule(rule: SigmaRule, source: str, placeholders: Placeholders) -> CompiledRule:
    """Compile one processed rule; raises CompileError (or a pySigma error) with the reason."""
    info = rule_info(rule, source)
    route_for(info.logsource)  # refuse now a log source we cannot route
    builder = _Builder(placeholders)
    conditions = [builder.node(cond.parse()) for cond in rule.detection.parsed_condition]
    condition: Node = conditions[0] if len(conditions) == 1 else ["or", conditions]
    return CompiledRule(info, route_key(info.logsource), tuple(builder.atoms), condition)


class _Builder:
    def __init__(self, placeholders: Placeholders) -> None:
        self.placeholders = placeholders
        self.atoms: list[Atom] = []
        self._index: dict[tuple[str, str, str, str, bool], int] = {}

    def node(self, cond: Any) -> Node:
        if cond is None:
            raise CompileError("empty detection: the condition has nothing left to test")
        if isinstance(cond, ConditionAND):
            return ["and", [self.node(a) for a in cond.args]]
        if isinstance(cond, ConditionOR):
            return ["or", [self.node(a) for a in cond.args]]
        if isinstance(cond, ConditionNOT):
            return ["not", self.node(cond.args[0])]
        if isinstance(cond, ConditionFieldEqualsValueExpression):
            return self.value(cond.field, cond.value)
        if isinstance(cond, ConditionValueExpression):
            return self.value(ir.KEYWORD_FIELD, cond.value)
        raise CompileError(f"unsupported condition element: {type(cond).__name__}")

    def atom(self, atom: Atom) -> Node:
        index = self._index.get(atom.key)
        if index is None:
            index = self._index[atom.key] = len(self.atoms)
            self.atoms.append(atom)
        return ["atom", index]

    def value(self, field: str, value: Any) -> Node:
        keyword = field == ir.KEYWORD_FIELD
        if isinstance(value, SigmaExpansion):
            return _any_of([self.value(field, v) for v in value.values])
        if isinstance(value, SigmaString):
            variants = _resolve_placeholders(value, self.placeholders)
            cased = isinstance(value, SigmaCasedString)
            return _any_of([self.atom(_string_atom(field, v, cased, keyword)) for v in variants])
        if keyword:
            if isinstance(value, (SigmaNumber, SigmaBool)):
                return self.atom(Atom(ir.CONTAINS, field, _json_text(str(value).lower())))
            raise CompileError(f"unsupported keyword value: {type(value).__name__}")
        if isinstance(value, SigmaTimestampPart):
            return self.atom(Atom(ir.TIMEPART, field, str(value.number), value.timestamp_part.name.lower()))
        if isinstance(value, SigmaNumber):
            return self.atom(Atom(ir.EQ, field, str(value.number)))
        if isinstance(value, SigmaBool):
            return self.atom(Atom(ir.EQ, field, "true" if value.boolean else "false"))
        if isinstance(value, SigmaNull):
            return self.atom(Atom(ir.NULL, field))
        if isinstance(value, SigmaExists):
            return self.atom(Atom(ir.EXISTS, field, "true" if value.exists else "false"))
        if isinstance(value, SigmaRegularExpression):
            return self.atom(_regex_atom(field, value))
        if isinstance(value, SigmaCIDRExpression):
            return self.atom(Atom(ir.CIDR, field, str(value.network)))
        if isinstance(value, SigmaCompareExpression):
            return self.atom(Atom(ir.COMPARE, field, str(value.number.number), _COMPARE_OPS[value.op]))
        if isinstance(value, SigmaFieldReference):
            option = "startswith" if value.starts_with else "endswith" if value.ends_with else ""
            return self.atom(Atom(ir.FIELDREF, field, value.field, option))
        raise CompileError(f"unsupported value type: {type(value).__name__}")


def _any_of(nodes: list[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else ["or", nodes]


Part = str | SpecialChars | Placeholder


def _resolve_placeholders(value: SigmaString, placeholders: Placeholders) -> list[list[Part]]:
    """The string's parts, one list per combination of placeholder values (``|expand``)."""
    choices: list[list[list[Part]]] = []
    for part in value.s:
        if isinstance(part, Placeholder):
            if part.name not in placeholders:
                raise CompileError(f"unresolved placeholder: %{part.name}% has no value in the settings")
            choices.append([list(SigmaString(v).s) for v in placeholders[part.name]])
        else:
            choices.append([[part]])
    return [[p for chunk in combo for p in chunk] for combo in itertools.product(*choices)]


def _merge(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        elif part != "":
            merged.append(part)
    return merged


def _string_atom(field: str, raw_parts: list[Part], cased: bool, keyword: bool) -> Atom:
    parts = _merge(raw_parts)
    fold = (lambda s: s) if cased else str.lower
    text = (lambda s: fold(_json_text(s))) if keyword else fold
    star = SpecialChars.WILDCARD_MULTI
    if keyword:
        # Full-text search: a value is found anywhere in the text; outer stars add nothing.
        while parts and parts[0] == star:
            parts = parts[1:]
        while parts and parts[-1] == star:
            parts = parts[:-1]
        if not parts:
            return Atom(ir.ANY, field)
        if len(parts) == 1 and isinstance(parts[0], str):
            return Atom(ir.CONTAINS, field, text(parts[0]), cased=cased)
        regex = _glob_regex(parts, text, anchored=False)
        return Atom(ir.GLOB, field, regex, _longest_literal(parts, text), cased=cased)
    if not parts:
        return Atom(ir.EQ, field, "", cased=cased)
    if parts == [star]:
        return Atom(ir.ANY, field)
    literal = [p for p in parts if isinstance(p, str)]
    if len(literal) == 1:
        inner = parts.index(literal[0])
        shape = (parts[:inner], parts[inner + 1 :])
        kinds: dict[tuple[tuple[Part, ...], tuple[Part, ...]], str] = {
            ((), ()): ir.EQ,
            ((star,), (star,)): ir.CONTAINS,
            ((), (star,)): ir.STARTSWITH,
            ((star,), ()): ir.ENDSWITH,
        }
        kind = kinds.get((tuple(shape[0]), tuple(shape[1])))
        if kind is not None:
            return Atom(kind, field, text(literal[0]), cased=cased)
    regex = _glob_regex(parts, text, anchored=True)
    return Atom(ir.GLOB, field, regex, _longest_literal(parts, text), cased=cased)


def _longest_literal(parts: list[Part], text: Any) -> str:
    """A piece every match contains: lets a cheap multi-pattern pass pick candidates."""
    return max((str(text(p)) for p in parts if isinstance(p, str)), key=len, default="")


def _glob_regex(parts: list[Part], text: Any, anchored: bool) -> str:
    pieces = []
    for part in parts:
        if part == SpecialChars.WILDCARD_MULTI:
            pieces.append(".*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            pieces.append(".")
        else:
            pieces.append(pl.escape_regex(text(part)))
    body = "".join(pieces)
    return f"(?s)^{body}$" if anchored else f"(?s){body}"


def _json_text(s: str) -> str:
    """How a string appears inside the JSON of ``original`` (keywords search that text)."""
    return str(orjson.dumps(s).decode()[1:-1])


def _regex_atom(field: str, value: SigmaRegularExpression) -> Atom:
    if value.regexp.contains_placeholder():
        raise CompileError("unresolved placeholder: regular expressions with placeholders are not supported")
    pattern = value.regexp.original if hasattr(value.regexp, "original") else str(value.regexp)
    flags = "".join(sorted(_REGEX_FLAGS[f] for f in value.flags))
    full = f"(?{flags}){pattern}" if flags else pattern
    check_regex(full)
    keyword = field == ir.KEYWORD_FIELD
    if keyword:
        raise CompileError("unsupported keyword value: regular expression in a keyword list")
    return Atom(ir.REGEX, field, full, flags)


def check_regex(pattern: str) -> None:
    """Refuse a pattern the linear-time (Rust) engine cannot run, e.g. look-arounds."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except Exception as error:  # polars raises ComputeError; keep its first line as the reason
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CompileError(f"regex not supported by the linear-time engine: {pattern!r} ({first})") from error
