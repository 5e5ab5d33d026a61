"""Fast timestamp text for epoch milliseconds (UTC), as each format writes it.

Formatting a time is a large share of the simulator's cost, so the text of each whole second is
computed once and kept (a day has 86,400 of them; the cache is bounded)."""

from __future__ import annotations

import time

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SECONDS: dict[int, str] = {}
_CACHE_LIMIT = 500_000


def _second(s: int) -> str:
    """``2026-11-23T07:01:02`` for epoch second ``s``."""
    text = _SECONDS.get(s)
    if text is None:
        if len(_SECONDS) >= _CACHE_LIMIT:
            _SECONDS.clear()
        t = time.gmtime(s)
        text = f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}"
        _SECONDS[s] = text
    return text


def iso_ms(ms: int) -> str:
    """``2026-11-23T07:01:02.123Z``"""
    s, frac = divmod(ms, 1000)
    return f"{_second(s)}.{frac:03d}Z"


def iso_us(ms: int, extra_us: int = 0) -> str:
    """``2026-11-23T07:01:02.123456Z`` (Winlogbeat and Sysmon carry microseconds)."""
    s, frac = divmod(ms, 1000)
    return f"{_second(s)}.{frac:03d}{extra_us % 1000:03d}Z"


def sysmon_utc(ms: int) -> str:
    """Sysmon's ``UtcTime``: ``2026-11-23 07:01:02.123``"""
    s, frac = divmod(ms, 1000)
    text = _second(s)
    return f"{text[:10]} {text[11:]}.{frac:03d}"


def date_time_kv(ms: int, offset_s: int) -> tuple[str, str]:
    """FortiGate's local ``date=`` and ``time=`` values."""
    text = _second(ms // 1000 + offset_s)
    return text[:10], text[11:]


def cef_time(ms: int) -> str:
    """CEF ``rt=`` in the ``MMM dd yyyy HH:mm:ss`` form."""
    text = _second(ms // 1000)
    return f"{_MONTHS[int(text[5:7]) - 1]} {text[8:10]} {text[:4]} {text[11:]}"
