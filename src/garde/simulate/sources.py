"""The simulated log sources, their files and formats, and where each record's sim id lives.

Every record carries a deterministic id ``<code>-<yyyymmdd>-<n>`` (for example ``sec-20261123-0000042``)
that the label file points at, and a demo marker:

=============  =====================================  =========================================
source         format                                 sim id / demo marker
=============  =====================================  =========================================
winsec         Winlogbeat JSON (Security channel)     ``labels.garde_sim_id``, ``labels.demo``
winsys         Winlogbeat JSON (System channel)       same
sysmon         Winlogbeat JSON (Sysmon/Operational)   same
ehr_fhir       FHIR R4 AuditEvent JSON (NDJSON)       ``id``; ``meta.tag`` code ``demo``
firewall       FortiGate key=value in RFC 5424        SD ``[garde@32473 simid=".." demo="true"]``
vpn            FortiGate SSL-VPN key=value, 5424      same
proxy          CEF in RFC 5424                        ``externalId`` and the SD element
dhcp           ISC dhcpd messages in RFC 5424         SD element
wifi           Aruba-style controller messages, 5424  SD element
mail           email gateway key=value, 5424          SD element
atna           IHE ATNA / DICOM audit XML, 5424       SD element (MSGID ``IHE+RFC-3881``)
backup         backup job reports (Veeam-style), 5424 SD element
=============  =====================================  =========================================

32473 is the private enterprise number reserved for documentation (RFC 5612).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Source:
    code: str  # short code used in sim ids
    name: str  # stable name used in results and labels
    filename: str  # base file name in the output directory
    is_json: bool  # NDJSON records (else one RFC 5424 syslog line per record)


SOURCES: tuple[Source, ...] = (
    Source("sec", "winsec", "windows-security.ndjson", True),
    Source("sys", "winsys", "windows-system.ndjson", True),
    Source("smn", "sysmon", "windows-sysmon.ndjson", True),
    Source("fhr", "ehr_fhir", "ehr-auditevent.ndjson", True),
    Source("fw", "firewall", "firewall.log", False),
    Source("vpn", "vpn", "vpn.log", False),
    Source("pxy", "proxy", "proxy-cef.log", False),
    Source("dhc", "dhcp", "dhcp.log", False),
    Source("wif", "wifi", "wifi-controller.log", False),
    Source("eml", "mail", "mail-gateway.log", False),
    Source("atn", "atna", "atna-audit.log", False),
    Source("bkp", "backup", "backup-jobs.log", False),
)
SOURCE_BY_NAME = {s.name: s for s in SOURCES}


class Sink:
    """Collects one source's records for one simulated day as ``(epoch ms, line)`` pairs."""

    __slots__ = ("_n", "_prefix", "rows", "source")

    def __init__(self, source: Source, day: date) -> None:
        self.source = source
        self.rows: list[tuple[int, str]] = []
        self._prefix = f"{source.code}-{day:%Y%m%d}-"  # the date keeps ids unique across runs of other days
        self._n = 0

    def new_id(self) -> str:
        """A provisional id (``t`` marks it) until :meth:`renumber` gives the final one in file order.
        The two forms never collide, so a label can be remapped safely whatever day it is from."""
        self._n += 1
        return f"{self._prefix}t{self._n:07d}"

    def add(self, ts_ms: int, line: str) -> None:
        self.rows.append((ts_ms, line))

    def sorted_lines(self) -> list[tuple[int, str]]:
        self.rows.sort()
        return self.rows

    def renumber(self, wanted: set[str]) -> dict[str, str]:
        """Sort by time and give ids in that order, so that ids (and Windows record ids) follow the
        file and never reveal which generator made a record (attacks are generated last).
        Returns the old -> new mapping for the ``wanted`` ids (the labelled ones)."""
        mapping: dict[str, str] = {}
        rows = self.sorted_lines()
        prefix, source = self._prefix, self.source
        windows = source.name in ("winsec", "winsys", "sysmon")
        for n, (ms, line) in enumerate(rows, 1):
            old = sim_id_of(source, line)
            new = f"{prefix}{n:07d}"
            if old == new:
                continue
            line = line.replace(old, new)
            if windows:
                line = line.replace(f'"record_id":"{record_number(old)}"', f'"record_id":"{n}"', 1)
            rows[n - 1] = (ms, line)
            if old in wanted:
                mapping[old] = new
        self._n = len(rows)
        return mapping


def sim_id_of(source: Source, record: str) -> str:
    """The sim id of a record, wherever its format keeps it."""
    key = (
        '"garde_sim_id":"'
        if source.name in ("winsec", "winsys", "sysmon")
        else '"id":"'
        if source.is_json
        else 'simid="'
    )
    start = record.find(key)
    if start < 0:
        return ""
    start += len(key)
    return record[start : record.find('"', start)]


def record_number(sim_id: str) -> str:
    """The Windows record id carried by a record with this sim id."""
    return sim_id.rsplit("-", 1)[1].lstrip("t").lstrip("0") or "0"


def day_sinks(day: date) -> dict[str, Sink]:
    return {s.name: Sink(s, day) for s in SOURCES}
