"""Shared by the text-log parser tests: sample files of every format, the recommended sniffing
order, and the bad-input checks each parser must pass."""

from __future__ import annotations

import io
from typing import Any

import orjson
import polars as pl

from garde.core.batch import Reject
from garde.core.ports import Parser
from garde.parse.atna import AtnaParser
from garde.parse.cef import CefParser
from garde.parse.csv_mapped import CsvParser
from garde.parse.fhir import FhirAuditEventParser
from garde.parse.kv import KeyValueParser
from garde.parse.leef import LeefParser
from garde.parse.syslog import SyslogParser

# Most specific first: JSON and XML formats, then payload markers, then the loosest.
SNIFF_ORDER: list[Parser] = [
    FhirAuditEventParser(),
    AtnaParser(),
    CefParser(),
    LeefParser(),
    KeyValueParser(),
    CsvParser(),
    SyslogParser(),
]

# One sample file per format (name, bytes), as the products write them.
SAMPLE_FILES: dict[str, tuple[str, bytes]] = {
    "syslog": (
        "messages",
        b"<34>Nov 29 08:15:02 srv-dpi01 sshd[4242]: Failed password for invalid user admin "
        b"from 10.1.2.3 port 51234 ssh2\n",
    ),
    "cef": (
        "proxy.log",
        b"Nov 29 08:15:02 pa-fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|1|"
        b"rt=Nov 29 2026 08:15:02 GMT src=10.1.2.3 dst=93.184.216.34 spt=51234 dpt=443 act=allow\n",
    ),
    "leef": (
        "qradar.log",
        b"LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=192.0.2.10^dst=172.50.123.1^sev=5^usrName=joe\n",
    ),
    "kv": (
        "fortigate.log",
        b'date=2026-11-29 time=08:15:02 devname="FGT-CHU" devid="FG100FTK19000000" logid="0000000013" '
        b'type="traffic" subtype="forward" level="notice" srcip=10.1.2.3 srcport=51234 dstip=10.0.0.10 '
        b'dstport=445 proto=6 action="deny" policyid=12\n',
    ),
    "csv": (
        "export",
        b"timestamp,user,workstation,patient\n2026-11-29T08:15:02Z,alice,WS-ICU-04,123456\n",
    ),
    "fhir": (
        "audit.ndjson",
        b'{"resourceType":"AuditEvent","recorded":"2026-11-29T08:15:02Z","action":"R",'
        b'"agent":[{"who":{"identifier":{"value":"alice"}},"requestor":true}],'
        b'"entity":[{"what":{"reference":"Patient/123"}}]}\n',
    ),
    "atna": (
        "atna.log",
        b'<85>1 2026-11-29T08:15:02Z dpi-srv01 DPI 2231 IHE+RFC-3881 - <?xml version="1.0"?>'
        b'<AuditMessage><EventIdentification EventActionCode="R" EventDateTime="2026-11-29T08:15:02Z" '
        b'EventOutcomeIndicator="0"><EventID csd-code="110110" codeSystemName="DCM" '
        b'originalText="Patient Record"/></EventIdentification><ActiveParticipant UserID="alice" '
        b'UserIsRequestor="true"/></AuditMessage>\n',
    ),
}


def pick(head: bytes, filename: str) -> str | None:
    """The parser the recommended order chooses, as the registry would."""
    return next((p.name for p in SNIFF_ORDER if p.sniff(head, filename)), None)


def parse(parser: Parser, data: bytes) -> tuple[pl.DataFrame, list[Reject]]:
    """All events and rejects of a file, chunks put together."""
    chunks = list(parser.parse(io.BytesIO(data), "test.log"))
    frames = [c.events for c in chunks]
    events = pl.concat(frames) if frames else pl.DataFrame()
    return events, [r for c in chunks for r in c.rejects]


def row(events: pl.DataFrame, index: int = 0) -> dict[str, Any]:
    return events.row(index, named=True)


def original(events: pl.DataFrame, index: int = 0) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(events["original"][index])
    return value


class BadInput:
    """The bad-input checks, for one parser and one good record of its format.

    ``preamble`` comes before every file (a CSV header); ``strict_utf8`` says whether invalid
    UTF-8 is a reject (JSON, XML) or replaced (text lines).
    """

    def __init__(
        self,
        parser: Parser,
        good: bytes,
        *,
        preamble: bytes = b"",
        strict_utf8: bool = False,
        latin1: bytes | None = None,
    ) -> None:
        self.parser, self.good, self.preamble, self.strict_utf8 = parser, good, preamble, strict_utf8
        # A record holding Latin-1 bytes (invalid UTF-8) where the format keeps them.
        self.latin1 = latin1 if latin1 is not None else good + b" caf\xe9 \xff\xfe"
        self.first = 2 if preamble else 1  # line number of the first record

    def run(self, body: bytes) -> tuple[pl.DataFrame, list[Reject]]:
        return parse(self.parser, self.preamble + body)

    def empty_file(self) -> None:
        assert list(self.parser.parse(io.BytesIO(b""), "empty.log")) == []
        assert list(self.parser.parse(io.BytesIO(b"\n\n  \n"), "blank.log")) == []

    def no_trailing_newline(self) -> None:
        events, rejects = self.run(self.good + b"\n" + self.good)
        assert (events.height, rejects) == (2, [])

    def crlf(self) -> None:
        events, rejects = self.run((self.good + b"\r\n") * 2)
        assert (events.height, rejects) == (2, [])
        assert not any("\r" in str(v) for v in row(events, 1).values())

    def nul_byte(self) -> None:
        events, rejects = self.run(self.good + b"\n\x00\x00\x00\x00garbage\n" + self.good + b"\n")
        assert events.height == 2
        assert [(r.position, r.reason) for r in rejects] == [(self.first + 1, "NUL byte")]
        assert events["log.offset"].to_list() == [self.first, self.first + 2]

    def invalid_utf8(self) -> None:
        events, rejects = self.run(self.latin1 + b"\n" + self.good + b"\n")
        if self.strict_utf8:
            assert [(r.position, r.reason) for r in rejects] == [(self.first, "invalid UTF-8")]
            assert events.height == 1
        else:
            assert rejects == []
            assert events.height == 2
            assert "\ufffd" in "".join(str(v) for v in row(events, 0).values())

    def binary_garbage(self) -> None:
        garbage = bytes(range(1, 256)).replace(b"\n", b"").replace(b"\r", b"") * 4
        events, rejects = self.run(garbage + b"\n" + self.good + b"\n")
        assert [r.position for r in rejects] == [self.first]
        assert rejects[0].reason
        assert rejects[0].raw == garbage
        assert events["log.offset"].to_list() == [self.first + 1]

    def megabyte_line(self) -> None:
        big = self.good + b" " + b"x" * (1 << 20)
        events, rejects = self.run(big + b"\n" + self.good + b"\n")
        assert events.height + len(rejects) == 2
        assert events["log.offset"].to_list()[-1] == self.first + 1

    def over_16_mib_line(self) -> None:
        huge = b"y" * (16 * 1024 * 1024 + 10)
        events, rejects = self.run(self.good + b"\n" + huge + b"\n" + self.good + b"\n")
        assert [(r.position, r.reason) for r in rejects] == [(self.first + 1, "line longer than 16 MiB")]
        assert len(rejects[0].raw) <= 4096
        assert events["log.offset"].to_list() == [self.first, self.first + 2]

    def truncated_record(self) -> None:
        half = self.good[: len(self.good) // 3]
        events, rejects = self.run(half + b"\n" + self.good + b"\n")
        assert events.height + len(rejects) == 2
        assert events["log.offset"].to_list()[-1] == self.first + 1

    def hostile_long_tokens(self) -> None:
        """1 MiB runs of the characters the format's regexes care about: linear time or the test hangs."""
        run = 1 << 20
        for hostile in (
            b"x" * run,
            b"k" * run + b"=",
            b":" * run + b"x",
            b'a="' + b"x" * run,
            b"[" * run,
            b"|" * run,
            b"<1>" + b"1" * run,
            b"CEF:0|" + b"\\" * run,
            b"LEEF:1.0|" + b"=" * run,
        ):
            for line in (hostile, self.good + b" " + hostile):
                events, rejects = self.run(line + b"\n" + self.good + b"\n")
                assert events.height + len(rejects) == 2
                assert events["log.offset"].to_list()[-1] == self.first + 1


BAD_INPUT_CASES = [
    "empty_file",
    "no_trailing_newline",
    "crlf",
    "nul_byte",
    "invalid_utf8",
    "binary_garbage",
    "megabyte_line",
    "over_16_mib_line",
    "truncated_record",
    "hostile_long_tokens",
]
