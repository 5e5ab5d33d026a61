"""RFC 5424 syslog framing shared by every syslog-shaped source."""

from __future__ import annotations

from garde.simulate.timefmt import iso_ms

SD_ID = "garde@32473"  # 32473: the documentation enterprise number (RFC 5612)


def line(ms: int, pri: int, host: str, app: str, msgid: str, sim_id: str, msg: str, procid: str = "-") -> str:
    """One syslog line with the demo structured-data element that carries the sim id."""
    return f'<{pri}>1 {iso_ms(ms)} {host} {app} {procid} {msgid} [{SD_ID} simid="{sim_id}" demo="true"] {msg}'


def escape_sd(value: str) -> str:
    """Escape a structured-data parameter value (RFC 5424 section 6.3.3)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")
