"""SigmaEngine: the loaded rules and the evaluator, behind a small surface."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import polars as pl

from garde.detect.sigma.evaluator import MATCH_SCHEMA, Evaluator
from garde.detect.sigma.ir import CompiledRule, CorrelationRule, RuleInfo
from garde.detect.sigma.loader import LoadReport, load_rules, load_texts


class SigmaEngine:
    """Evaluates compiled Sigma detection rules over event batches."""

    def __init__(self, rules: Sequence[CompiledRule], correlations: Sequence[CorrelationRule] = ()) -> None:
        self.compiled: tuple[CompiledRule, ...] = tuple(rules)
        self.correlations: tuple[CorrelationRule, ...] = tuple(correlations)
        self.rules: tuple[RuleInfo, ...] = tuple(r.info for r in self.compiled)
        self._by_id = {r.id: r for r in self.rules}
        self._evaluator = Evaluator(self.compiled)

    @classmethod
    def from_paths(
        cls,
        paths: Iterable[str | Path],
        placeholders: Mapping[str, Sequence[str]] | None = None,
        *,
        cache_dir: Path | None = None,
        statuses: Iterable[str] | None = None,
        levels: Iterable[str] | None = None,
    ) -> tuple[SigmaEngine, LoadReport]:
        """Load rules from folders, files and zip packs; refused rules are in the report."""
        loaded, report = load_rules(paths, placeholders, cache_dir, statuses, levels)
        return cls(loaded.rules, loaded.correlations), report

    @classmethod
    def from_yaml(
        cls,
        text: str,
        placeholders: Mapping[str, Sequence[str]] | None = None,
        source: str = "<yaml>",
    ) -> tuple[SigmaEngine, LoadReport]:
        """Rules from YAML text (one or more documents), without cache: for tests and previews."""
        loaded, report = load_texts([(source, text.encode())], placeholders)
        return cls(loaded.rules, loaded.correlations), report

    def rule(self, rule_id: str) -> RuleInfo:
        return self._by_id[rule_id]

    def evaluate(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Matches in a batch (event schema): columns ``rule_id``, ``event.id``, ``matched``.

        ``matched`` is a JSON object of the fields the rule tests positively and their values
        in that event (absent ones as null), for the alert to show.
        """
        return self._evaluator.evaluate(batch)

    @staticmethod
    def empty_matches() -> pl.DataFrame:
        return pl.DataFrame(schema=MATCH_SCHEMA)
