"""Parsers: one module per input format, each a ``garde.core.ports.Parser``.

Two optional class attributes say more about a parser:

- ``splittable = True``: line-oriented, its ``parse`` takes ``start_line``; a big file is parsed
  in byte ranges in parallel, and a growing file is followed (only its new lines are read);
- ``followable = True``: takes ``start_line`` for a growing file, but cannot be split (FHIR:
  a file may be one JSON document).

A parser that needs "now" (the year of a year-less syslog timestamp, the time of a CSV row that
has none) reads it from a ``clock`` attribute; :func:`with_clock` gives it Garde's clock.

Built-ins are registered below in sniffing order (most specific first); plugins add theirs under
the ``garde.parsers`` entry-point group (``name = "package.module:ParserClass"``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from importlib import import_module
from importlib.metadata import entry_points

from garde.core.clock import Clock
from garde.core.errors import InputError, UnknownFormatError
from garde.core.ports import Parser

# name -> "module:Class", in the order formats are tried when sniffing.
BUILTIN_PARSERS: dict[str, str] = {
    "evtx": "garde.parse.evtx:EvtxParser",
    "fhir": "garde.parse.fhir:FhirAuditEventParser",  # JSON too: before jsonl
    "jsonl": "garde.parse.jsonl:JsonLinesParser",
    "atna": "garde.parse.atna:AtnaParser",  # syslog carrying XML: before the syslog family
    "cef": "garde.parse.cef:CefParser",
    "leef": "garde.parse.leef:LeefParser",
    "kv": "garde.parse.kv:KeyValueParser",
    "csv": "garde.parse.csv_mapped:CsvParser",
    "syslog": "garde.parse.syslog:SyslogParser",  # any syslog line: last
}

_cache: dict[str, Parser] = {}


def _load(target: str) -> Parser:
    module_name, _, class_name = target.partition(":")
    parser: Parser = getattr(import_module(module_name), class_name)()
    return parser


def all_parsers() -> list[Parser]:
    """Every parser, built-ins first in sniffing order, then plugins."""
    if not _cache:
        for name, target in BUILTIN_PARSERS.items():
            _cache[name] = _load(target)
        for ep in entry_points(group="garde.parsers"):
            if ep.name not in _cache:
                _cache[ep.name] = _load(ep.value)
    return list(_cache.values())


def get_parser(name: str, *, time_fields: Sequence[str] = ()) -> Parser:
    """The parser of a format; ``time_fields`` (the fields holding the event time, tried first)
    reach the parsers that take them (``with_time_fields``), the others ignore them."""
    for parser in all_parsers():
        if parser.name == name:
            configure = getattr(parser, "with_time_fields", None)
            if time_fields and configure is not None:
                configured: Parser = configure(tuple(time_fields))
                return configured
            return parser
    known = ", ".join(p.name for p in all_parsers())
    raise InputError(f"unknown format {name!r} (known: {known})")


def with_clock(parser: Parser, clock: Clock) -> Parser:
    """The parser reading "now" from ``clock``: a copy for a parser with a ``clock`` attribute
    (the registered parsers are shared), the parser itself for the others."""
    if not hasattr(parser, "clock"):
        return parser
    clocked = copy.copy(parser)
    clocked.clock = clock
    return clocked


def detect(head: bytes, filename: str) -> Parser:
    """The first parser that recognises the file from its first bytes and its name."""
    for parser in all_parsers():
        if parser.sniff(head, filename):
            return parser
    raise UnknownFormatError(
        f"{filename}: format not recognised; force one with --format ({', '.join(p.name for p in all_parsers())})"
    )
