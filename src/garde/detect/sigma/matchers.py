"""Atom masks over one partition of a batch, each distinct atom computed at most once.

String atoms come from ``bulk`` (all of a field's at once, on distinct values); the others
(null/exists, cidr, numeric, field references, time parts) are computed when a rule needs them,
cidr and numeric ones on distinct values too. A mask is a numpy bool array over the
partition's rows, or ``False`` when nothing matched (so rule evaluation can stop early).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from garde.detect.sigma import ir
from garde.detect.sigma.bulk import FieldMatcher, PartitionValues, bulk_hits, is_bulk, mask_of
from garde.detect.sigma.ir import Atom

BoolArray = npt.NDArray[np.bool_]
Mask = BoolArray | bool


class AtomMasks:
    """Masks of a partition's distinct atoms: bulk ones from one query, others on demand."""

    def __init__(
        self,
        atoms: Sequence[Atom],
        matchers: dict[str, FieldMatcher],
        fields: pl.DataFrame,
        values: PartitionValues,
        timestamps: pl.Series,
    ) -> None:
        self.atoms = atoms
        self.fields = fields
        self.timestamps = timestamps
        self.size = fields.height
        self._masks: dict[int, Mask] = {}
        self._values = values
        self._hits = bulk_hits(matchers, values)
        self._present: dict[str, BoolArray] = {}

    def mask(self, index: int) -> Mask:
        found = self._masks.get(index)
        if found is None:
            found = self._masks[index] = self._compute(index)
        return found

    def present(self, field: str) -> BoolArray:
        found = self._present.get(field)
        if found is None:
            found = self._present[field] = self.fields[field].is_not_null().to_numpy()
        return found

    def _compute(self, index: int) -> Mask:
        atom = self.atoms[index]
        if is_bulk(atom):
            hits = self._hits.get(index)
            return False if hits is None else _nonempty(mask_of(self._values, hits))
        kind = atom.kind
        if kind == ir.FIELDREF:
            return _nonempty(_fieldref(self.fields[atom.field], self.fields[atom.value], atom.option))
        if kind == ir.TIMEPART:
            return _nonempty(_timepart(self.timestamps, atom))
        present = self.present(atom.field)
        if kind == ir.NULL or (kind == ir.EXISTS and atom.value == "false"):
            return _nonempty(~present)
        if kind in (ir.ANY, ir.EXISTS) or (kind == ir.CONTAINS or kind == ir.STARTSWITH or kind == ir.ENDSWITH):
            return _nonempty(present.copy())  # exists, lone ``*``, or an empty pattern
        values = self.fields[atom.field]
        if kind == ir.EQ:  # the empty string
            return _nonempty((values == "").fill_null(False).to_numpy())
        return _nonempty(_on_distinct(values, atom))


def _on_distinct(values: pl.Series, atom: Atom) -> BoolArray:
    """cidr and numeric atoms: computed on distinct values, broadcast back to rows."""
    distinct = values.drop_nulls().unique()
    if atom.kind == ir.COMPARE:
        numbers = distinct.cast(pl.Float64, strict=False)
        limit = float(atom.value)
        tests = {
            "lt": numbers < limit,
            "lte": numbers <= limit,
            "gt": numbers > limit,
            "gte": numbers >= limit,
            "neq": numbers != limit,
        }
        matched = distinct.filter(tests[atom.option].fill_null(False))
    elif atom.kind == ir.CIDR:
        network = ipaddress.ip_network(atom.value, strict=False)
        matched = pl.Series([v for v in distinct.to_list() if _in_network(v, network)], dtype=pl.String)
    else:
        raise ValueError(f"unknown atom kind {atom.kind}")
    if len(matched) == 0:
        return np.zeros(len(values), dtype=np.bool_)
    return values.is_in(matched.implode()).fill_null(False).to_numpy()


def _in_network(text: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(text.strip()) in network
    except ValueError:
        return False


def _fieldref(left_values: pl.Series, right_values: pl.Series, option: str) -> BoolArray:
    pair = pl.DataFrame({"left": left_values.str.to_lowercase(), "right": right_values.str.to_lowercase()})
    left, right = pl.col("left"), pl.col("right")
    if option == "startswith":
        test = left.str.starts_with(right)
    elif option == "endswith":
        test = left.str.ends_with(right)
    else:
        test = left == right
    return pair.select(test.fill_null(False)).to_series().to_numpy()


def _timepart(timestamps: pl.Series, atom: Atom) -> BoolArray:
    parts = {
        "minute": timestamps.dt.minute(),
        "hour": timestamps.dt.hour(),
        "day": timestamps.dt.day(),
        "week": timestamps.dt.week(),
        "month": timestamps.dt.month(),
        "year": timestamps.dt.year(),
    }
    result = parts[atom.option] == int(float(atom.value))
    return result.fill_null(False).to_numpy()


def _nonempty(mask: BoolArray) -> Mask:
    return mask if mask.any() else False
