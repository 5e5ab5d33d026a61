"""Atom evaluation over one routed slice: each distinct atom once, on distinct values.

String atoms run on a field's distinct lower-cased values. All contains/startswith/endswith
atoms of a field share one Aho-Corasick pass (``str.extract_many``); candidates are then
checked for position in one vectorised step. The result per distinct value is broadcast back
to the rows through the dictionary codes. A mask is a numpy bool array over the slice's rows,
or ``False`` when nothing matched (so rule evaluation can stop early).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from garde.detect.sigma import ir
from garde.detect.sigma.fields import FieldView, SliceFields
from garde.detect.sigma.ir import Atom

BoolArray = npt.NDArray[np.bool_]
Mask = BoolArray | bool


class AtomMasks:
    """Lazily computed, memoised masks of a group's distinct atoms over one slice."""

    def __init__(
        self, atoms: Sequence[Atom], literal_by_field: dict[str, list[int]], fields: SliceFields
    ) -> None:
        self.atoms = atoms
        self.literal_by_field = literal_by_field
        self.fields = fields
        self._masks: dict[int, Mask] = {}
        self._per_unique: dict[int, BoolArray] = {}

    def mask(self, index: int) -> Mask:
        found = self._masks.get(index)
        if found is None:
            found = self._masks[index] = self._compute(index)
        return found

    def _compute(self, index: int) -> Mask:
        atom = self.atoms[index]
        view = self.fields.view(atom.field)
        if atom.kind == ir.FIELDREF:
            return _nonempty(_fieldref(view, self.fields.view(atom.value), atom.option))
        if atom.kind == ir.TIMEPART:
            return _nonempty(_timepart(self.fields.frame["@timestamp"], atom))
        if atom.kind in ir.LITERAL_KINDS and not atom.cased and atom.value:
            if index not in self._per_unique:
                self._literal_pass(atom.field, view)
            per_unique = self._per_unique.pop(index)
            codes = view.codes
        elif atom.kind in (ir.REGEX, ir.CIDR, ir.COMPARE) or atom.cased:
            per_unique = _with_null_slot(_on_values(atom, view.raw_uniques))
            codes = view.raw_codes
        else:
            absent = atom.kind == ir.NULL or _exists_on_absent(atom)
            per_unique = _with_null_slot(_on_values(atom, view.uniques), null=absent)
            codes = view.codes
        if not per_unique.any():
            return False
        return per_unique[codes]

    def _literal_pass(self, field: str, view: FieldView) -> None:
        """Every uncased literal atom of ``field`` at once: one multi-pattern scan."""
        indices = self.literal_by_field[field]
        uniques = view.uniques
        size = len(uniques) + 1
        results = {i: np.zeros(size, dtype=np.bool_) for i in indices}
        equal = [i for i in indices if self.atoms[i].kind == ir.EQ]
        if equal:
            position = {value: code for code, value in enumerate(uniques.to_list(), start=1)}
            for i in equal:
                code = position.get(self.atoms[i].value)
                if code is not None:
                    results[i][code] = True
        partial = [i for i in indices if self.atoms[i].kind != ir.EQ]
        if partial and len(uniques):
            for i, codes in _scan(uniques, [self.atoms[i] for i in partial], partial).items():
                results[i][codes] = True
        self._per_unique.update(results)


def _scan(
    uniques: pl.Series, atoms: list[Atom], ids: list[int]
) -> dict[int, npt.NDArray[np.int64]]:
    patterns = sorted({a.value for a in atoms})
    hits = (
        pl.DataFrame({"code": np.arange(1, len(uniques) + 1), "v": uniques})
        .with_columns(hit=pl.col("v").str.extract_many(patterns, overlapping=True))
        .explode("hit")
        .drop_nulls("hit")
        .unique(["code", "hit"])
    )
    wanted = pl.DataFrame(
        {"hit": [a.value for a in atoms], "atom": ids, "kind": [a.kind for a in atoms]}
    )
    verified = hits.join(wanted, on="hit").filter(
        (pl.col("kind") == ir.CONTAINS)
        | ((pl.col("kind") == ir.STARTSWITH) & pl.col("v").str.starts_with(pl.col("hit")))
        | ((pl.col("kind") == ir.ENDSWITH) & pl.col("v").str.ends_with(pl.col("hit")))
    )
    grouped = verified.group_by("atom").agg(pl.col("code"))
    return {
        int(a): np.asarray(c, dtype=np.int64)
        for a, c in zip(grouped["atom"], grouped["code"].to_list(), strict=True)
    }


def _with_null_slot(values: BoolArray, null: bool = False) -> BoolArray:
    return np.concatenate([np.array([null]), values])


def _on_values(atom: Atom, values: pl.Series) -> BoolArray:
    """The atom's result for each distinct value (the absent value is handled by the caller)."""
    kind, value = atom.kind, atom.value
    if kind == ir.NULL:
        result = pl.repeat(False, len(values), eager=True)
    elif kind in (ir.ANY, ir.EXISTS):
        present = kind == ir.ANY or value == "true"
        result = pl.repeat(present, len(values), eager=True)
    elif kind == ir.EQ:
        result = values == value
    elif kind == ir.CONTAINS:
        result = values.str.contains(value, literal=True)
    elif kind == ir.STARTSWITH:
        result = values.str.starts_with(value)
    elif kind == ir.ENDSWITH:
        result = values.str.ends_with(value)
    elif kind in (ir.GLOB, ir.REGEX):
        result = values.str.contains(value)
    elif kind == ir.COMPARE:
        result = _compare(values.cast(pl.Float64, strict=False), atom.option, float(value))
    elif kind == ir.CIDR:
        result = pl.Series(_in_network(values.to_list(), value), dtype=pl.Boolean)
    else:
        raise ValueError(f"unknown atom kind {kind}")
    return result.fill_null(False).to_numpy().astype(np.bool_, copy=False)


def _exists_on_absent(atom: Atom) -> bool:
    return atom.kind == ir.EXISTS and atom.value == "false"


def _compare(numbers: pl.Series, op: str, limit: float) -> pl.Series:
    ops = {
        "lt": numbers < limit,
        "lte": numbers <= limit,
        "gt": numbers > limit,
        "gte": numbers >= limit,
        "neq": numbers != limit,
    }
    return ops[op]


def _in_network(values: list[str | None], network: str) -> list[bool]:
    net = ipaddress.ip_network(network, strict=False)
    out = []
    for text in values:
        try:
            out.append(text is not None and ipaddress.ip_address(text.strip()) in net)
        except ValueError:
            out.append(False)
    return out


def _fieldref(view: FieldView, other: FieldView, option: str) -> BoolArray:
    pair = pl.DataFrame({"left": view.lower, "right": other.lower})
    left, right = pl.col("left"), pl.col("right")
    if option == "startswith":
        test = left.str.starts_with(right)
    elif option == "endswith":
        test = left.str.ends_with(right)
    else:
        test = left == right
    result = pair.select(test).to_series()
    return result.fill_null(False).to_numpy().astype(np.bool_, copy=False)


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
    return result.fill_null(False).to_numpy().astype(np.bool_, copy=False)


def _nonempty(mask: BoolArray) -> Mask:
    return mask if mask.any() else False


def literal_atoms_by_field(atoms: Sequence[Atom]) -> dict[str, list[int]]:
    """Indices of the atoms that go through the shared multi-pattern pass, per field."""
    by_field: dict[str, list[int]] = defaultdict(list)
    for i, atom in enumerate(atoms):
        if atom.kind in ir.LITERAL_KINDS and not atom.cased and atom.value:
            by_field[atom.field].append(i)
    return dict(by_field)
