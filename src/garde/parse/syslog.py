"""Plain syslog files: RFC 5424, RFC 3164 (BSD) and rsyslog's RFC 3339 file format.

Year-less BSD timestamps take the current year, or the previous one when that would put the
event more than a day in the future; they are read in ``timezone`` (UTC unless told otherwise).
An RFC 5424 nil timestamp (``-``) leaves the record to be dated when Garde takes it in.
Invalid UTF-8 is replaced (U+FFFD), not rejected: the rest of the line is still evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from garde.parse._envelope import SEVERITY_NAMES, EnvelopeReader, envelope_fields
from garde.parse._enveloped import EnvelopedLineParser
from garde.parse._fields import small_int
from garde.parse._lines import LineParser, Record, first_line

# Payloads another parser reads better; plain syslog leaves those files to it when sniffing.
SPECIFIC_PAYLOADS = ("CEF:", "LEEF:", "<AuditMessage", "<?xml")


class SyslogParser(EnvelopedLineParser):
    """RFC 5424 and RFC 3164 syslog, one message per line."""

    name = "syslog"
    description = "Syslog files: RFC 5424 (with structured data), RFC 3164 (BSD) and RFC 3339 layouts"

    def sniff(self, head: bytes, filename: str) -> bool:
        line = first_line(head)
        if not line or any(marker in line for marker in SPECIFIC_PAYLOADS):
            return False
        reader = EnvelopeReader(self.clock(), self.timezone)
        return not isinstance(reader.split(line), str)

    def line_parser(self, reader: EnvelopeReader) -> LineParser:
        return _line_parser(reader)


def _line_parser(reader: EnvelopeReader) -> Callable[[str], Record | str]:
    split = reader.split

    def parse_line(text: str) -> Record | str:
        env = split(text)
        if isinstance(env, str):
            return env
        app = env.appname
        fields: dict[str, Any] = {
            "event.kind": "event",
            "event.module": "syslog",
            "event.dataset": "syslog." + app.lower() if app else "syslog",
            "host.name": env.hostname,
            "event.provider": app,
            "process.name": app,
            "event.code": env.msgid,
            "message": env.message,
        }
        fields["process.pid"] = small_int(env.procid)
        if env.pri is not None:
            severity = env.pri & 7
            fields["event.severity"] = severity
            fields["log.level"] = SEVERITY_NAMES[severity]
        return env.timestamp, fields, envelope_fields(env)

    return parse_line


PARSER = SyslogParser()
