"""Small normalisations that several text formats share."""

from __future__ import annotations

import functools
import re
from typing import Any

import polars as pl

from garde.core.schema import EVENT_SCHEMA, PROVENANCE_FIELDS

_FAILURE = frozenset(
    {
        "failure",
        "failed",
        "fail",
        "denied",
        "deny",
        "blocked",
        "block",
        "drop",
        "dropped",
        "reject",
        "rejected",
        "error",
    }
)
_SUCCESS = frozenset(
    {
        "success",
        "succeeded",
        "successful",
        "allowed",
        "allow",
        "accept",
        "accepted",
        "permit",
        "permitted",
        "pass",
        "passthrough",
    }
)
_IANA_PROTOCOLS = {
    "1": "icmp",
    "6": "tcp",
    "17": "udp",
    "47": "gre",
    "50": "esp",
    "58": "ipv6-icmp",
    "132": "sctp",
}
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def outcome(value: str | None) -> str | None:
    """success, failure or unknown from a device's own word for it; None if it gave none."""
    if value is None:
        return None
    word = value.strip().lower()
    if word in _FAILURE:
        return "failure"
    if word in _SUCCESS:
        return "success"
    return "unknown"


def transport(value: str | None) -> str | None:
    """tcp, udp, icmp... from a name or an IANA protocol number."""
    if not value:
        return None
    return _IANA_PROTOCOLS.get(value) or value.lower()


def small_int(value: str | None, digits: int = 18) -> int | None:
    """A whole number written in ASCII digits, at most ``digits`` of them; else None.

    ``str.isdigit`` alone is not enough: "²" is a digit to it and not to ``int``, and ``int``
    refuses more than 4,300 digits: a device's bad value must cost that field, not the record.
    """
    if value and len(value) <= digits and value.isascii() and value.isdigit():
        return int(value)
    return None


def to_int(value: str | None) -> int:
    """A counter's value; 0 when absent or not a number."""
    return small_int(value) or 0


@functools.lru_cache(maxsize=512)
def dataset(prefix: str, *names: str) -> str:
    """``prefix.vendor_product`` in lower case, safe as a dataset name."""
    return prefix + "." + _NOT_NAME.sub("_", "_".join(names).lower()).strip("_")


def _int_limits() -> dict[str, int]:
    limits: dict[str, int] = {}
    for name, dtype in EVENT_SCHEMA.items():
        if name not in PROVENANCE_FIELDS and dtype in (pl.Int32(), pl.Int64()):
            limits[name] = 2**31 if dtype == pl.Int32() else 2**63
    return limits


_INT_LIMITS = _int_limits()


def coerce_ints(fields: dict[str, Any]) -> dict[str, Any]:
    """Integer schema fields as ints, or None when not a number in range (never a string).

    The batch builder cannot take "51234x" or 2**40 in an int32 column, and a device's bad
    value must cost that field, not the record.
    """
    for name, limit in _INT_LIMITS.items():
        value = fields.get(name)
        if value is None or (type(value) is int and -limit <= value < limit):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            fields[name] = None
            continue
        fields[name] = number if -limit <= number < limit else None
    return fields
