"""Fast timestamp text for epoch milliseconds (UTC), as each format writes it."""

from __future__ import annotations

import time

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso_ms(ms: int) -> str:
    """``2026-11-23T07:01:02.123Z``"""
    s, frac = divmod(ms, 1000)
    t = time.gmtime(s)
    return f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}.{frac:03d}Z"


def iso_us(ms: int, extra_us: int = 0) -> str:
    """``2026-11-23T07:01:02.123456Z`` (Winlogbeat and Sysmon carry microseconds)."""
    s, frac = divmod(ms, 1000)
    t = time.gmtime(s)
    return f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}.{frac:03d}{extra_us % 1000:03d}Z"


def sysmon_utc(ms: int) -> str:
    """Sysmon's ``UtcTime``: ``2026-11-23 07:01:02.123``"""
    s, frac = divmod(ms, 1000)
    t = time.gmtime(s)
    return f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d} {t[3]:02d}:{t[4]:02d}:{t[5]:02d}.{frac:03d}"


def date_time_kv(ms: int, offset_s: int) -> tuple[str, str]:
    """FortiGate's local ``date=`` and ``time=`` values."""
    t = time.gmtime(ms // 1000 + offset_s)
    return f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}", f"{t[3]:02d}:{t[4]:02d}:{t[5]:02d}"


def cef_time(ms: int) -> str:
    """CEF ``rt=`` in the ``MMM dd yyyy HH:mm:ss`` form."""
    t = time.gmtime(ms // 1000)
    return f"{_MONTHS[t[1] - 1]} {t[2]:02d} {t[0]:04d} {t[3]:02d}:{t[4]:02d}:{t[5]:02d}"
