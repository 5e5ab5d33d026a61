"""One rule file's bytes -> its YAML documents, refusing hostile input before pySigma sees it.

pySigma takes any YAML: a scalar or list document crashed it (``AttributeError``), deep nesting
overflowed the recursion limit, and a large file ran for minutes. So each file goes through
checks ordered so that each one bounds the cost of the next: a size cap, strict UTF-8, one pass
over the YAML event stream (iterative, so an absurd nesting costs nothing: depth and tags are
checked there), then the documents are built and each must be a mapping whose size, once YAML
aliases are expanded, stays small and acyclic ("billion laughs").
"""

from __future__ import annotations

from typing import Any

import yaml

from garde.core.safe_text import one_line

MAX_RULE_FILE_BYTES = 1 << 20  # SigmaHQ's largest rule file is 295 KB
MAX_NESTING = 32  # SigmaHQ's deepest rule nests 6 levels
MAX_NODES = 250_000  # YAML nodes once aliases are expanded; SigmaHQ's largest rule has 4,475
REASON_MAX_CHARS = 240

# libyaml when present: 9x faster than the pure-Python parser on SigmaHQ, same documents.
_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_OPENING = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_TAGGABLE = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)


class RuleFileError(ValueError):
    """Why a rule file is refused as a whole (one line)."""


def read_documents(content: bytes) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a rule file, each a mapping; RuleFileError otherwise."""
    if len(content) > MAX_RULE_FILE_BYTES:
        raise RuleFileError(f"{len(content):,} bytes, over the {cap_text()} cap")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RuleFileError(f"not UTF-8 text (invalid byte at offset {error.start})") from None
    try:
        _scan_events(text)
        documents = list(yaml.load_all(text, Loader=_LOADER))
    except yaml.YAMLError as error:
        raise RuleFileError(f"invalid YAML: {_yaml_problem(error)}") from None
    found = [(n, doc) for n, doc in enumerate(documents, 1) if doc is not None]
    if not found:
        raise RuleFileError("empty: no YAML document")
    mappings: list[dict[str, Any]] = []
    for number, doc in found:
        if not isinstance(doc, dict):
            where = f"document {number} is" if len(documents) > 1 else "the file holds"
            raise RuleFileError(f"{where} a {type(doc).__name__}, not a mapping (a Sigma rule is a mapping)")
        _check_expansion(doc)
        mappings.append(doc)
    return mappings


def cap_text() -> str:
    return f"{MAX_RULE_FILE_BYTES // (1 << 20)} MiB"


def _scan_events(text: str) -> None:
    """Refuse tags and deep nesting from the event stream, before any document is built."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, _TAGGABLE) and event.tag is not None:
            line = _line(event)
            raise RuleFileError(f"YAML tag {one_line(event.tag, 60)!r} at line {line}: tags are not allowed")
        if isinstance(event, _OPENING):
            depth += 1
            if depth > MAX_NESTING:
                line = _line(event)
                raise RuleFileError(f"nested deeper than {MAX_NESTING} levels (line {line})")
        elif isinstance(event, _CLOSING):
            depth -= 1


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _check_expansion(document: dict[str, Any]) -> None:
    """Refuse a document that refers to itself or grows too big or deep once aliases expand.

    PyYAML builds an alias as a second reference to the same object, so the built document is
    small; whoever walks it as a tree (pySigma does) pays for every reference. Sizes are
    computed bottom-up, once per distinct container, so the check itself stays linear.
    """
    expanded: dict[int, tuple[int, int]] = {}  # id(container) -> (nodes, depth) as a tree
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(document, False)]
    while stack:
        node, children_done = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node
        containers = [c for c in children if isinstance(c, (dict, list))]
        if children_done:
            nodes = 1 + len(children) - len(containers) + sum(expanded[id(c)][0] for c in containers)
            depth = 1 + max((expanded[id(c)][1] for c in containers), default=0)
            if nodes > MAX_NODES:
                raise RuleFileError(f"over {MAX_NODES:,} nodes once YAML aliases are expanded (an alias bomb?)")
            if depth > MAX_NESTING:
                raise RuleFileError(f"nested deeper than {MAX_NESTING} levels once YAML aliases are expanded")
            expanded[id(node)] = (nodes, depth)
            on_path.discard(id(node))
        elif id(node) not in expanded:
            if id(node) in on_path:
                raise RuleFileError("a YAML alias refers to itself (a recursive structure)")
            on_path.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in containers)


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return one_line(f"{error.problem or error.context} (line {mark.line + 1}, column {mark.column + 1})")
    return one_line(str(error))
