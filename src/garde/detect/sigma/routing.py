"""Routing: which rule groups each row of a batch belongs to, decided per distinct log source.

The routing selectors of every row (Windows channel, event id and provider, read from
``original``; ``event.module``, ``event.dataset`` and ``event.category``) are reduced to their
distinct combinations, usually a handful per batch. Each combination is matched against the
groups' routes in Python (and remembered across batches); rows are then partitioned by the
exact set of groups they belong to.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from garde.detect.sigma.logsources import Clause, Route

Rows = npt.NDArray[np.intp]
GroupKey = tuple[int, ...]
Combination = tuple[str | None, ...]

SELECTORS = ("channel", "event_id", "provider", "event.module", "event.dataset", "event.category")
_ORIGINAL_KEYS = {"channel": "winlog.channel", "event_id": "winlog.event_id", "provider": "winlog.provider_name"}
_MEMORY = 50_000  # remembered combinations; a safety bound, far above real variety


class Router:
    """Partitions batches by the groups (routes) their rows can match."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = list(routes)
        self._known: dict[Combination, GroupKey] = {}

    def partitions(self, batch: pl.DataFrame) -> list[tuple[GroupKey, Rows]]:
        selectors = batch.select(
            *(_json_string(key).str.to_lowercase().alias(name) for name, key in _ORIGINAL_KEYS.items()),
            *(pl.col(name).str.to_lowercase() for name in SELECTORS[3:]),
        ).with_columns(pl.col("event_id").fill_null(batch["event.code"]).str.strip_chars().str.to_lowercase())
        combinations = selectors.unique(maintain_order=True).with_row_index("combination")
        codes = selectors.join(combinations, on=list(SELECTORS), how="left", nulls_equal=True, maintain_order="left")[
            "combination"
        ].to_numpy()
        by_key: dict[GroupKey, list[int]] = {}
        for number, *values in combinations.iter_rows():
            key = self._groups_of(tuple(values))
            if key:
                by_key.setdefault(key, []).append(number)
        return [(key, np.flatnonzero(np.isin(codes, numbers))) for key, numbers in by_key.items()]

    def _groups_of(self, combination: Combination) -> GroupKey:
        found = self._known.get(combination)
        if found is None:
            values = dict(zip(SELECTORS, combination, strict=True))
            found = tuple(i for i, route in enumerate(self.routes) if _route_accepts(route, values))
            if len(self._known) >= _MEMORY:
                self._known.clear()
            self._known[combination] = found
        return found


def _route_accepts(route: Route, values: dict[str, str | None]) -> bool:
    return any(_clause_accepts(clause, values) for clause in route)


def _clause_accepts(clause: Clause, values: dict[str, str | None]) -> bool:
    for selector, accepted in clause.items():
        value = values.get(selector)
        if value is None or not any(_value_accepts(pattern, value) for pattern in accepted):
            return False
    return True


def _value_accepts(pattern: str, value: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _json_string(key: str) -> pl.Expr:
    """A top-level string value of the ``original`` JSON, read with a (linear-time) regex:
    several times cheaper than decoding the JSON, for the few routing keys."""
    pattern = rf'"{pl.escape_regex(key)}"\s*:\s*"((?:[^"\\]|\\.)*)"'
    # Routing values (channel, id, provider) rarely hold escapes; unescape the simple ones.
    return pl.col("original").str.extract(pattern, 1).str.replace_all(r"\\(.)", "$1")
