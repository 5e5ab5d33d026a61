"""The syslog envelope (PRI, timestamp, host, app, pid...) around a message.

Three shapes are read, since files and relays produce all of them:
- RFC 5424: ``<165>1 2026-11-29T08:15:02.003Z host app 4242 ID47 [sd] msg``;
- RFC 3164 (BSD): ``<34>Nov 29 08:15:02 host app[4242]: msg``, PRI optional as in files
  written by rsyslog or syslog-ng;
- RFC 3339 timestamps in a BSD layout (rsyslog's file format): ``2026-11-29T08:15:02+01:00 host
  app[4242]: msg``.
CEF, LEEF, key=value and ATNA parsers use it for the header in front of their payload.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import NamedTuple

from garde.parse._time import MONTHS, bsd_year, parse_iso

SEVERITY_NAMES = (
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
)

_PRI_VERSION = re.compile(r"<(\d{1,3})>(?:(\d{1,2}) )?")
_RFC5424 = re.compile(r"(\S+) (\S+) (\S+) (\S+) (\S+)(?: (.*))?$", re.S)
_SD_BLOCK = re.compile(r'(?:\[[^\s\]="]+(?: +[^\s\]="]+="(?:[^"\\]|\\.)*")* *\])+')
_SD_TOKENS = re.compile(r'\[([^\s\]="]+)|([^\s\]="]+)="((?:[^"\\]|\\.)*)"')
_SD_ESCAPE = re.compile(r'\\(["\\\]])')
_BSD_TIME = re.compile(r"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?: |$)")
_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)(?: |$)")
# [host ]tag[pid]: msg -- a host holds no bracket; a tag is followed by [pid] or a colon.
_HOST_TAG = re.compile(r"(?:([^\s\[\]]+) )?([^\s\[\]:]+)(?:\[([^\]]*)\])?: ?(.*)", re.S)
_HOST_ONLY = re.compile(r"(\S+)(?: (.*))?$", re.S)


class Envelope(NamedTuple):
    pri: int | None
    version: str | None
    timestamp: datetime | None
    hostname: str | None
    appname: str | None
    procid: str | None
    msgid: str | None
    structured: dict[str, str] | None  # flattened: syslog.sd.<id>.<param>
    message: str


def _nil(value: str) -> str | None:
    return None if value == "-" else value


class EnvelopeReader:
    """Splits syslog lines; holds the clock and zone used for year-less BSD timestamps."""

    def __init__(self, now: datetime, default_tz: tzinfo = UTC) -> None:
        self.now = now
        self.default_tz = default_tz
        self._times: dict[str, datetime | None] = {}  # timestamps repeat across lines

    def split(self, text: str) -> Envelope | str:
        """The envelope of one line, or the reason it is not syslog."""
        pri: int | None = None
        start = 0
        if text.startswith("<"):
            m = _PRI_VERSION.match(text)
            if m is None:
                return "not syslog: invalid PRI"
            pri = int(m.group(1))
            if pri > 191:
                return f"not syslog: PRI {pri} out of range 0-191"
            if m.group(2) is not None:
                return self._rfc5424(text, m.end(), pri, m.group(2))
            start = m.end()
        return self._bsd(text, start, pri)

    def _rfc5424(self, text: str, start: int, pri: int, version: str) -> Envelope | str:
        m = _RFC5424.match(text, start)
        if m is None:
            return "not RFC 5424: header has fewer than 7 fields"
        stamp, host, app, procid, msgid, rest = m.groups()
        timestamp: datetime | None = None
        if stamp != "-":
            timestamp = self._time(stamp, iso=True)
            if timestamp is None:
                return f"not RFC 5424: bad timestamp {stamp[:40]!r}"
        structured: dict[str, str] | None = None
        message = ""
        if rest:
            if rest.startswith("["):
                parsed = _structured(rest)
                if isinstance(parsed, str):
                    return parsed
                structured, message = parsed
            elif rest.startswith("-"):
                message = rest[2:]
            else:
                return "not RFC 5424: missing structured data"
            if message.startswith("\ufeff"):
                message = message[1:]
        return Envelope(
            pri,
            version,
            timestamp,
            _nil(host),
            _nil(app),
            _nil(procid),
            _nil(msgid),
            structured,
            message,
        )

    def _bsd(self, text: str, start: int, pri: int | None) -> Envelope | str:
        m = _BSD_TIME.match(text, start)
        if m is not None:
            timestamp = self._time(m.group(0).rstrip(), iso=False)
        else:
            m = _ISO_TIME.match(text, start)
            if m is None:
                where = "after PRI" if pri is not None else "(no PRI)"
                return f"not syslog: no RFC 3164 or RFC 3339 timestamp {where}"
            timestamp = self._time(m.group(1), iso=True)
        if timestamp is None:
            return f"not syslog: bad timestamp {m.group(0).strip()[:40]!r}"
        rest = text[m.end() :]
        tagged = _HOST_TAG.match(rest)
        if tagged is not None:
            host, tag, pid, message = tagged.groups()
            return Envelope(pri, None, timestamp, host, tag, pid, None, None, message)
        bare = _HOST_ONLY.match(rest)
        if bare is None:
            return Envelope(pri, None, timestamp, None, None, None, None, None, rest)
        return Envelope(pri, None, timestamp, bare.group(1), None, None, None, None, bare.group(2) or "")

    def _time(self, stamp: str, *, iso: bool) -> datetime | None:
        cached = self._times.get(stamp, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        value = parse_iso(stamp, self.default_tz) if iso else self._bsd_time(stamp)
        if len(self._times) > 4096:
            self._times.clear()
        self._times[stamp] = value
        return value

    def _bsd_time(self, stamp: str) -> datetime | None:
        m = _BSD_TIME.match(stamp + " ")
        if m is None:
            return None
        mon, day_text, year_text, hh, mm, ss, frac = m.groups()
        month, day = MONTHS.get(mon), int(day_text)
        if month is None:
            return None
        year = int(year_text) if year_text else bsd_year(month, day, self.now)
        micros = int(frac.ljust(6, "0")) if frac else 0
        try:
            local = datetime(year, month, day, int(hh), int(mm), int(ss), micros, tzinfo=self.default_tz)
        except ValueError:
            return None
        return local.astimezone(UTC)


def _structured(rest: str) -> tuple[dict[str, str], str] | str:
    """RFC 5424 STRUCTURED-DATA elements, flattened, and the message after them."""
    block = _SD_BLOCK.match(rest)
    if block is None:
        return "not RFC 5424: malformed structured data"
    end = block.end()
    if end < len(rest) and rest[end] != " ":
        return "not RFC 5424: no space after structured data"
    params: dict[str, str] = {}
    prefix = "syslog.sd."
    empty: list[str] = []  # elements without parameters, kept so that they can be searched
    for sd_id, name, value in _SD_TOKENS.findall(block.group()):
        if sd_id:
            prefix = "syslog.sd." + sd_id + "."
            empty.append(prefix)
        else:
            params[prefix + name] = _SD_ESCAPE.sub(r"\1", value) if "\\" in value else value
            if empty and empty[-1] == prefix:
                empty.pop()
    for prefix in empty:
        params[prefix[:-1]] = ""
    return params, rest[end + 1 :]


def envelope_fields(env: Envelope) -> dict[str, str]:
    """The envelope as the source's own fields (``syslog.*``), for ``original``."""
    out: dict[str, str] = {}
    if env.pri is not None:
        out["syslog.priority"] = str(env.pri)
        out["syslog.facility"] = str(env.pri >> 3)
        out["syslog.severity"] = str(env.pri & 7)
    if env.version is not None:
        out["syslog.version"] = env.version
    for key, value in (
        ("syslog.hostname", env.hostname),
        ("syslog.appname", env.appname),
        ("syslog.procid", env.procid),
        ("syslog.msgid", env.msgid),
    ):
        if value is not None:
            out[key] = value
    if env.structured:
        out.update(env.structured)
    return out
