"""IBM QRadar Log Event Extended Format (LEEF) 1.0 and 2.0, bare or behind a syslog header.

``LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value``;
``LEEF:2.0|Vendor|Product|Version|EventID|^|key=value^key=value``, where the delimiter may be
written as one character or in hex (``x09``, ``0x09``); when it is left out, it is a tab.
Attributes go to ``original`` as ``leef.<key>``, the header as ``leef.vendor``... Invalid UTF-8 is
replaced, not rejected. A tab that a syslog relay escaped as ``#011`` is read as a tab.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from garde.parse._envelope import EnvelopeReader, envelope_fields
from garde.parse._enveloped import EnvelopedLineParser
from garde.parse._fields import dataset, outcome, to_int, transport
from garde.parse._lines import Record, first_line
from garde.parse._time import CachedTimes, parse_any, to_utc

_HEX_DELIMITER = re.compile(r"0?[xX]([0-9A-Fa-f]{2,4})$")
_LEEF_MARKER = re.compile(r"LEEF:(\d)\.\d\|")
_KEY_FIELDS: dict[str, str] = {
    "src": "source.ip",
    "dst": "destination.ip",
    "srcPort": "source.port",
    "dstPort": "destination.port",
    "usrName": "user.name",
    "domain": "user.domain",
    "identHostName": "host.name",
    "proto": "network.transport",
    "sev": "event.severity",
    "cat": "event.category",
    "url": "url.full",
    "action": "event.action",
    "policy": "rule.name",
    "msg": "message",
    "reason": "message",
}
# Java SimpleDateFormat letters (devTimeFormat) -> strptime directives.
_JAVA_TOKENS = re.compile(r"yyyy|yy|MMM|MM|dd|d|HH|hh|mm|ss|SSS|a|XXX|Z|z|'[^']*'")
_JAVA_TO_STRPTIME = {
    "yyyy": "%Y",
    "yy": "%y",
    "MMM": "%b",
    "MM": "%m",
    "dd": "%d",
    "d": "%d",
    "HH": "%H",
    "hh": "%I",
    "mm": "%M",
    "ss": "%S",
    "SSS": "%f",
    "a": "%p",
    "XXX": "%z",
    "Z": "%z",
    "z": "%Z",
}


@functools.lru_cache(maxsize=64)
def strptime_pattern(java_format: str) -> str:
    """A devTimeFormat (Java SimpleDateFormat) as a strptime pattern."""

    def convert(m: re.Match[str]) -> str:
        token = m.group()
        if token.startswith("'"):
            return token[1:-1].replace("%", "%%")
        return _JAVA_TO_STRPTIME[token]

    return _JAVA_TOKENS.sub(convert, java_format.replace("%", "%%"))


def delimiter_of(spec: str) -> str | None:
    """The attribute delimiter a LEEF 2.0 header names, or None if the text is not one."""
    if len(spec) == 1:
        return spec
    m = _HEX_DELIMITER.match(spec)
    return chr(int(m.group(1), 16)) if m else None


def attributes(text: str, delimiter: str) -> dict[str, str]:
    """``key=value`` pairs between delimiters; a value may itself hold '='."""
    if delimiter == "\t" and "\t" not in text and "#011" in text:
        delimiter = "#011"
    out: dict[str, str] = {}
    for pair in text.split(delimiter):
        key, sep, value = pair.partition("=")
        if sep and key:
            out[key.strip()] = value
    return out


class LeefParser(EnvelopedLineParser):
    """LEEF events, as QRadar-oriented products emit them."""

    name = "leef"
    description = "IBM LEEF 1.0 and 2.0 (custom and hex delimiters), bare or inside a syslog header"

    def sniff(self, head: bytes, filename: str) -> bool:
        return _LEEF_MARKER.search(first_line(head)) is not None

    def line_parser(self, reader: EnvelopeReader) -> Callable[[str], Record | str]:
        now, tz = reader.now, self.timezone

        def dev_time(key: str) -> datetime | None:
            value, _, java_format = key.partition("\x00")
            return _dev_time(value, java_format, now, tz)

        times = CachedTimes(dev_time)

        def parse_line(text: str) -> Record | str:
            m = _LEEF_MARKER.search(text)
            if m is None:
                return "not LEEF: no 'LEEF:1.0|' or 'LEEF:2.0|' marker"
            original: dict[str, Any] = {}
            timestamp: datetime | None = None
            host: str | None = None
            at = m.start()
            if at > 0 and text[:at].strip():
                env = reader.split(text[:at])
                if isinstance(env, str):
                    return "LEEF behind an unreadable syslog header: " + env
                original.update(envelope_fields(env))
                timestamp, host = env.timestamp, env.hostname
            version = text[at + 5 : m.end() - 1]
            parts = text[m.end() :].split("|", 4)
            if len(parts) < 4:
                return f"LEEF header has {len(parts) + 1} of 5 fields"
            vendor, product, product_version, event_id = parts[:4]
            rest = parts[4] if len(parts) > 4 else ""
            delimiter = "\t"
            if m.group(1) == "2":
                spec, bar, after = rest.partition("|")
                chosen = delimiter_of(spec) if bar else None
                if chosen is not None:
                    delimiter, rest = chosen, after
                elif bar and not spec:
                    rest = after  # an empty delimiter field: the default tab
            attrs = attributes(rest, delimiter)
            original.update(
                {
                    "leef.version": version,
                    "leef.vendor": vendor,
                    "leef.product": product,
                    "leef.product_version": product_version,
                    "leef.event_id": event_id,
                }
            )
            fields: dict[str, Any] = {
                "event.kind": "event",
                "event.module": "leef",
                "event.dataset": dataset("leef", vendor, product),
                "observer.vendor": vendor,
                "observer.product": product,
                "event.code": event_id,
                "host.name": host,
            }
            for key, value in attrs.items():
                original["leef." + key] = value
                target = _KEY_FIELDS.get(key)
                if target is not None and value:
                    fields[target] = value
            if "user.name" not in fields and attrs.get("accountName"):
                fields["user.name"] = attrs["accountName"]
            if "source.ip" not in fields and attrs.get("identSrc"):
                fields["source.ip"] = attrs["identSrc"]
            fields["network.transport"] = transport(fields.get("network.transport"))
            fields["event.outcome"] = outcome(attrs.get("outcome") or attrs.get("action"))
            total = to_int(attrs.get("srcBytes")) + to_int(attrs.get("dstBytes"))
            if total:
                fields["network.bytes"] = total
            dev_time = attrs.get("devTime")
            stamp = times(dev_time + "\x00" + attrs.get("devTimeFormat", "")) if dev_time else None
            return stamp or timestamp, fields, original

        return parse_line


def _dev_time(value: str, java_format: str, now: datetime, tz: tzinfo) -> datetime | None:
    """devTime, read with its devTimeFormat when it has one."""
    if java_format:
        try:
            return to_utc(datetime.strptime(value, strptime_pattern(java_format)), tz)
        except ValueError:
            pass  # a zone name strptime does not know (CET...): try the usual forms below
    return parse_any(value, now, tz)


PARSER = LeefParser()
