"""The compiled form of a Sigma rule: plain, JSON-serialisable data (no pickle in the cache).

A rule compiles to a boolean expression over *atoms*. An atom is one test on one field
(``kind`` says which); two atoms with the same key are the same test, so a rule group evaluates
each distinct atom once per batch whatever the number of rules that use it.

Expression nodes are nested lists: ``["and", [..]]``, ``["or", [..]]``, ``["not", node]``,
``["atom", index]`` (index into the rule's ``atoms``) and ``["const", true|false]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Atom kinds. String kinds compare lower-cased text unless ``cased`` is set.
EQ = "eq"
CONTAINS = "contains"
STARTSWITH = "startswith"
ENDSWITH = "endswith"
GLOB = "glob"  # a wildcard pattern as a regex (value); option: its longest literal piece
REGEX = "re"  # a Sigma regular expression, run as written (value), flags in ``option``
CIDR = "cidr"
COMPARE = "cmp"  # numeric comparison; ``option`` is lt, lte, gt, gte or neq
NULL = "null"  # the field is absent
EXISTS = "exists"  # value "true" or "false"
ANY = "any"  # a lone ``*``: the field is present, whatever its value
FIELDREF = "fieldref"  # value: the other field; option: "", "startswith" or "endswith"
TIMEPART = "timepart"  # option: minute, hour, day, week, month, year; value: the number

LITERAL_KINDS = frozenset({EQ, CONTAINS, STARTSWITH, ENDSWITH})
KEYWORD_FIELD = "__keywords__"  # pseudo-field of full-text (keyword) detections

Node = list[Any]


@dataclass(frozen=True)
class Atom:
    """One test on one field. ``field`` is the mapped name (or KEYWORD_FIELD)."""

    kind: str
    field: str
    value: str = ""
    option: str = ""
    cased: bool = False

    @property
    def key(self) -> tuple[str, str, str, str, bool]:
        return (self.kind, self.field, self.value, self.option, self.cased)

    def to_json(self) -> list[Any]:
        return [self.kind, self.field, self.value, self.option, self.cased]

    @classmethod
    def from_json(cls, data: list[Any]) -> Atom:
        return cls(str(data[0]), str(data[1]), str(data[2]), str(data[3]), bool(data[4]))


@dataclass(frozen=True)
class LogSource:
    product: str | None = None
    category: str | None = None
    service: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"product": self.product, "category": self.category, "service": self.service}


@dataclass(frozen=True)
class RuleInfo:
    """What the alert layer and the rules CLI need to know about a rule."""

    id: str
    title: str
    level: str
    status: str
    tags: tuple[str, ...]
    logsource: LogSource
    description: str = ""
    source: str = ""  # the file it came from (zip member as ``pack.zip!path``)
    kind: str = "rule"  # "rule" or "correlation"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "level": self.level,
            "status": self.status,
            "tags": list(self.tags),
            "logsource": self.logsource.to_json(),
            "description": self.description,
            "source": self.source,
            "kind": self.kind,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleInfo:
        return cls(
            id=data["id"],
            title=data["title"],
            level=data["level"],
            status=data["status"],
            tags=tuple(data["tags"]),
            logsource=LogSource(**data["logsource"]),
            description=data.get("description", ""),
            source=data.get("source", ""),
            kind=data.get("kind", "rule"),
        )


@dataclass(frozen=True)
class CompiledRule:
    """A detection rule ready for the evaluator; ``route`` says which rows it can match."""

    info: RuleInfo
    route: str  # the key of its routing group (see logsources.route_for)
    atoms: tuple[Atom, ...]
    condition: Node

    def to_json(self) -> dict[str, Any]:
        return {
            "info": self.info.to_json(),
            "route": self.route,
            "atoms": [a.to_json() for a in self.atoms],
            "condition": self.condition,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CompiledRule:
        return cls(
            info=RuleInfo.from_json(data["info"]),
            route=data["route"],
            atoms=tuple(Atom.from_json(a) for a in data["atoms"]),
            condition=data["condition"],
        )


@dataclass(frozen=True)
class CorrelationRule:
    """A correlation rule: loaded and kept aside (with its YAML) for the correlation layer."""

    info: RuleInfo
    yaml_text: str
    rule_references: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "info": self.info.to_json(),
            "yaml": self.yaml_text,
            "refs": list(self.rule_references),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CorrelationRule:
        return cls(RuleInfo.from_json(data["info"]), data["yaml"], tuple(data["refs"]))


@dataclass(frozen=True)
class RuleError:
    """A rule that was refused, with its reason: reported, never fatal to the load."""

    source: str
    reason: str
    rule_id: str = ""
    title: str = ""

    @property
    def category(self) -> str:
        """The reason without its specifics, for grouping in reports."""
        return self.reason.split(":", 1)[0]

    def to_json(self) -> dict[str, str]:
        return {
            "source": self.source,
            "reason": self.reason,
            "id": self.rule_id,
            "title": self.title,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> RuleError:
        return cls(data["source"], data["reason"], data.get("id", ""), data.get("title", ""))
