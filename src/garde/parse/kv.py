"""``key=value`` logs as FortiGate (and Sophos, WatchGuard...) emit them, bare or behind syslog.

``date=2026-11-29 time=08:15:02 devname="FGT-CHU" logid="0000000013" type="traffic" srcip=10.1.2.3
dstip=10.0.0.10 dstport=445 proto=6 action="deny" policyid=12 sentbyte=0 rcvdbyte=0``.
Values may be double-quoted (with ``\\"`` inside). Each pair goes to ``original`` under its own key.
The time is ``eventtime`` (epoch, any precision) when present, else ``date`` + ``time`` read in the
``tz`` field's offset or the parser's ``timezone``, else the syslog header's. ``url.full`` is the
``url`` value as the device wrote it (FortiGate writes the path; the host is in ``url.domain``).
Invalid UTF-8 is replaced, not rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from garde.parse._envelope import SEVERITY_NAMES, Envelope, EnvelopeReader, envelope_fields
from garde.parse._enveloped import EnvelopedLineParser
from garde.parse._fields import outcome, to_int, transport
from garde.parse._lines import Record, first_line
from garde.parse._time import parse_epoch, parse_iso

# A key starts a token: without the look-behind, a long token would be rescanned from each of its
# characters (quadratic time on a hostile line).
_PAIR = re.compile(r'(?<![^\s])([A-Za-z_][\w.-]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))')
_FIRST_PAIR = re.compile(r'(?:^|(?<=[\s>]))[A-Za-z_][\w.-]*=(?:"|[^\s"])')
_ONLY_PRI = re.compile(r"<(\d{1,3})>\s*$")
_NO_HEADER = (None, None, None, None, None, None, None, "")
_ESCAPE = re.compile(r"\\(.)")
_TZ_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(\d\d):?(\d\d)$")
_MISSING = frozenset({"", "N/A", "n/a", "-"})
_SPECIFIC = ("CEF:", "LEEF:")
# FortiGate traffic logs record how an allowed session ended.
_SESSION_ENDS = frozenset({"close", "timeout", "client-rst", "server-rst", "start"})

# First key present wins, in this order.
_ALIASES: dict[str, tuple[str, ...]] = {
    "source.ip": ("srcip", "src_ip", "src", "remip"),
    "destination.ip": ("dstip", "dst_ip", "dst"),
    "source.port": ("srcport", "src_port", "spt"),
    "destination.port": ("dstport", "dst_port", "dpt"),
    "user.name": ("user", "user_name", "srcuser", "unauthuser", "xauthuser"),
    "user.target.name": ("dstuser",),
    "event.action": ("action", "act"),
    "rule.name": ("policyname", "policyid", "policy_id", "fw_rule_id"),
    "host.name": ("devname", "device_name", "hostname_device"),
    "event.code": ("logid", "log_id", "eventid"),
    "message": ("msg", "message", "logdesc"),
    "url.full": ("url",),
    "url.domain": ("hostname", "domain"),
    "network.protocol": ("service", "app_protocol"),
    "process.name": ("process",),
}
_SEVERITY = {name: number for number, name in enumerate(SEVERITY_NAMES)} | {
    "information": 6,
    "warn": 4,
}


def pairs(text: str) -> dict[str, str]:
    """The ``key=value`` pairs of a line, quotes and escapes removed."""
    found = _PAIR.findall(text)  # (key, quoted value, bare value)
    if "\\" not in text:
        return {key: bare or quoted for key, quoted, bare in found}
    return {key: bare or (_ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted) for key, quoted, bare in found}


def _zone(text: str | None, default: tzinfo) -> tzinfo:
    m = _TZ_OFFSET.match(text or "")
    if m is None:
        return default
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


class KeyValueParser(EnvelopedLineParser):
    """FortiGate-style ``key=value`` firewall, VPN and proxy logs."""

    name = "kv"
    description = "key=value logs (FortiGate, Sophos...), bare or inside a syslog header"

    def sniff(self, head: bytes, filename: str) -> bool:
        line = first_line(head)
        if any(marker in line for marker in _SPECIFIC) or "<AuditMessage" in line:
            return False
        m = _FIRST_PAIR.search(line)
        if m is None:
            return False
        if "[" in line[: m.start()]:  # RFC 5424 structured data: the pairs must be in the message
            env = EnvelopeReader(self.clock(), self.timezone).split(line)
            return not isinstance(env, str) and len(_PAIR.findall(env.message)) >= 3
        return len(_PAIR.findall(line, m.start())) >= 3

    def line_parser(self, reader: EnvelopeReader) -> Callable[[str], Record | str]:
        now, default_tz = reader.now, self.timezone

        def parse_line(text: str) -> Record | str:
            first = _FIRST_PAIR.search(text)
            if first is None:
                return "no key=value pairs"
            original: dict[str, Any] = {}
            timestamp: datetime | None = None
            host: str | None = None
            payload = text[first.start() :]
            prefix = text[: first.start()]
            if prefix.strip():
                only_pri = _ONLY_PRI.match(prefix)
                if only_pri:  # FortiGate sends "<189>date=..." with no other header
                    pri = int(only_pri.group(1))
                    if pri > 191:
                        return f"not syslog: PRI {pri} out of range 0-191"
                    original.update(envelope_fields(Envelope(pri, *_NO_HEADER)))
                else:
                    env = reader.split(text if "[" in prefix else prefix)
                    if isinstance(env, str):
                        return "key=value behind an unreadable syslog header: " + env
                    original.update(envelope_fields(env))
                    timestamp, host = env.timestamp, env.hostname
                    if "[" in prefix:  # RFC 5424 structured data: the pairs are in the message
                        payload = env.message
            kv = pairs(payload)
            if not kv:
                return "no key=value pairs"
            original.update(kv)
            fields: dict[str, Any] = {"event.kind": "event", "host.name": host}
            for target, keys in _ALIASES.items():
                for key in keys:
                    value = kv.get(key)
                    if value is not None and value not in _MISSING:
                        fields[target] = value
                        break
            fields["network.transport"] = transport(kv.get("proto"))
            if "network.protocol" in fields:
                fields["network.protocol"] = fields["network.protocol"].lower()
            verdict = kv.get("status") or kv.get("action")
            fields["event.outcome"] = "success" if verdict in _SESSION_ENDS else outcome(verdict)
            total = to_int(kv.get("sentbyte")) + to_int(kv.get("rcvdbyte"))
            if total:
                fields["network.bytes"] = total
            level = kv.get("level") or kv.get("pri")
            if level:
                fields["log.level"] = level
                fields["event.severity"] = _SEVERITY.get(level.lower())
            if kv.get("devid", "").startswith("FG") or "logid" in kv:
                fields["observer.vendor"], fields["observer.product"] = "Fortinet", "FortiGate"
                fields["event.module"] = "fortinet"
                fields["event.dataset"] = "fortigate." + (kv.get("type") or "log")
            else:
                fields["event.module"] = "kv"
                fields["event.dataset"] = "kv"
            return _time(kv, now, default_tz) or timestamp, fields, original

        return parse_line


def _time(kv: dict[str, str], now: datetime, default_tz: tzinfo) -> datetime | None:
    eventtime = kv.get("eventtime")
    if eventtime and (stamp := parse_epoch(eventtime)) is not None:
        return stamp
    date, time = kv.get("date"), kv.get("time")
    if date and time:
        return parse_iso(f"{date}T{time}", _zone(kv.get("tz") or kv.get("timezone"), default_tz))
    return None


PARSER = KeyValueParser()
