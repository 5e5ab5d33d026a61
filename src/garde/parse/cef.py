"""ArcSight Common Event Format (CEF), bare or behind a syslog header.

``CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|key=value key=value...``. Header fields
escape ``\\|`` and ``\\\\``; extension values escape ``\\=``, ``\\\\``, ``\\n``, ``\\r`` and
may hold spaces (a value runs to the next `` key=``). The source's fields go to ``original`` as
``cef.<header field>`` and ``cef.<extension key>``; custom-string labels (``cs1Label``...) are kept
there beside their values. Invalid UTF-8 is replaced, not rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from garde.parse._envelope import EnvelopeReader, envelope_fields
from garde.parse._enveloped import EnvelopedLineParser
from garde.parse._fields import dataset, outcome, small_int, to_int, transport
from garde.parse._lines import Record, first_line
from garde.parse._time import CachedTimes, parse_any

_HEADER_NAMES = (
    "version",
    "device_vendor",
    "device_product",
    "device_version",
    "signature_id",
    "name",
    "severity",
)
_HEADER_FIELD = re.compile(r"(?:[^|\\]|\\.)*")
_HEADER_ESCAPE = re.compile(r"\\([|\\])")
# A key starts a token (line start or after a space) and is followed by an unescaped '='.
_EXT_KEY = re.compile(r"(?:^| )([A-Za-z0-9_.\[\]-]+)=")
_EXT_ESCAPE = re.compile(r"\\(.)")
_EXT_UNESCAPED = {"n": "\n", "r": "\r"}

# CEF keys (full names and their short forms) -> schema fields.
_KEY_FIELDS: dict[str, str] = {
    "src": "source.ip",
    "sourceAddress": "source.ip",
    "dst": "destination.ip",
    "destinationAddress": "destination.ip",
    "spt": "source.port",
    "sourcePort": "source.port",
    "dpt": "destination.port",
    "destinationPort": "destination.port",
    "suser": "user.name",
    "sourceUserName": "user.name",
    "duser": "user.target.name",
    "destinationUserName": "user.target.name",
    "suid": "user.id",
    "sourceUserId": "user.id",
    "sntdom": "user.domain",
    "sourceNtDomain": "user.domain",
    "shost": "host.name",
    "sourceHostName": "host.name",
    "dvchost": "host.name",
    "deviceHostName": "host.name",
    "dvc": "host.ip",
    "deviceAddress": "host.ip",
    "act": "event.action",
    "deviceAction": "event.action",
    "app": "network.protocol",
    "applicationProtocol": "network.protocol",
    "proto": "network.transport",
    "transportProtocol": "network.transport",
    "request": "url.full",
    "requestMethod": "http.request.method",
    "outcome": "event.outcome",
    "eventOutcome": "event.outcome",
    "msg": "message",
    "message": "message",
    "sproc": "process.name",
    "sourceProcessName": "process.name",
    "spid": "process.pid",
    "sourceProcessId": "process.pid",
    "fname": "file.name",
    "fileName": "file.name",
    "filePath": "file.path",
    "cat": "event.category",
    "deviceEventCategory": "event.category",
}
_SEVERITY_WORDS = {"low": 3, "medium": 5, "high": 8, "very-high": 10, "unknown": None}
_RULE_LABELS = frozenset({"rule", "rule name", "rulename", "policy", "policy name", "policyname"})
_CUSTOM_STRINGS = tuple((f"cs{n}Label", f"cs{n}") for n in range(1, 7))
_TIME_KEYS = ("rt", "receiptTime", "end", "endTime", "start", "startTime")


def split_header(text: str, count: int) -> tuple[list[str], str] | None:
    """The first ``count`` pipe-separated fields (unescaped) and the rest; None if fewer."""
    parts = text.split("|", count)
    if not any("\\" in part for part in parts[:count]):  # no escape in the header: the usual case
        if len(parts) <= count:
            return None
        return parts[:count], parts[count]
    fields: list[str] = []
    pos = 0
    for _ in range(count):
        m = _HEADER_FIELD.match(text, pos)
        end = m.end() if m else pos
        if end >= len(text) or text[end] != "|":
            return None
        value = text[pos:end]
        fields.append(_HEADER_ESCAPE.sub(r"\1", value) if "\\" in value else value)
        pos = end + 1
    return fields, text[pos:]


def parse_extension(text: str) -> dict[str, str]:
    """CEF extension ``key=value`` pairs; values keep their inner spaces."""
    parts = _EXT_KEY.split(text.rstrip(" "))  # ["", key, value, key, value...]
    out = dict(zip(parts[1::2], parts[2::2], strict=True))
    if "\\" in text:
        for key, value in out.items():
            if "\\" in value:
                out[key] = _EXT_ESCAPE.sub(_unescape, value)
    return out


def _unescape(m: re.Match[str]) -> str:
    return _EXT_UNESCAPED.get(m.group(1), m.group(1))


class CefParser(EnvelopedLineParser):
    """CEF events from firewalls, proxies and security appliances."""

    name = "cef"
    description = "ArcSight CEF (Common Event Format), bare or inside a syslog header"

    def sniff(self, head: bytes, filename: str) -> bool:
        line = first_line(head)
        at = line.find("CEF:")
        return at >= 0 and line[at + 4 : at + 5].isdigit() and line.count("|") >= 7

    def line_parser(self, reader: EnvelopeReader) -> Callable[[str], Record | str]:
        now, tz = reader.now, self.timezone
        times = CachedTimes(lambda text: parse_any(text, now, tz))

        def parse_line(text: str) -> Record | str:
            at = text.find("CEF:")
            if at < 0:
                return "not CEF: no 'CEF:' marker"
            original: dict[str, Any] = {}
            timestamp: datetime | None = None
            host: str | None = None
            if at > 0 and text[:at].strip():
                env = reader.split(text[:at])
                if isinstance(env, str):
                    return "CEF behind an unreadable syslog header: " + env
                original.update(envelope_fields(env))
                timestamp, host = env.timestamp, env.hostname
            header = split_header(text[at + 4 :], 7)
            if header is None:
                pipes = text.count("|", at) - text.count("\\|", at)
                return f"CEF header has {pipes} of 7 fields"
            values, extension = header
            for key, value in zip(_HEADER_NAMES, values, strict=True):
                original["cef." + key] = value
            ext = parse_extension(extension)
            fields: dict[str, Any] = {
                "event.kind": "event",
                "event.module": "cef",
                "event.dataset": dataset("cef", values[1], values[2]),
                "observer.vendor": values[1],
                "observer.product": values[2],
                "event.code": values[4],
                "message": values[5],
                "host.name": host,
            }
            severity = values[6].strip()
            number = small_int(severity, digits=9)
            fields["event.severity"] = number if number is not None else _SEVERITY_WORDS.get(severity.lower())
            original.update({"cef." + key: value for key, value in ext.items()})
            for key in ext.keys() & _KEY_FIELDS.keys():
                if ext[key]:
                    fields[_KEY_FIELDS[key]] = ext[key]
            fields["event.outcome"] = outcome(fields.get("event.outcome"))
            if "request" in ext and ext.get("dhost"):
                fields["url.domain"] = ext["dhost"]  # a proxy's destination host is the URL's
            for label_key, value_key in _CUSTOM_STRINGS:
                label = ext.get(label_key)
                if label and label.lower() in _RULE_LABELS and ext.get(value_key):
                    fields["rule.name"] = ext[value_key]
            fields["network.transport"] = transport(fields.get("network.transport"))
            total = to_int(ext.get("in")) + to_int(ext.get("out"))
            if total:
                fields["network.bytes"] = total
            for key in _TIME_KEYS:
                if key in ext and (stamp := times(ext[key])) is not None:
                    timestamp = stamp
                    break
            return timestamp, fields, original

        return parse_line


PARSER = CefParser()
