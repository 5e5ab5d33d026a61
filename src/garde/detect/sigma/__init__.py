"""Sigma detection: load rules with pySigma, compile them, evaluate them over event batches.

Public API::

    from garde.detect.sigma import SigmaEngine

    engine, report = SigmaEngine.from_paths(
        [rules_dir, "pack.zip", "one_rule.yml"],
        placeholders={"admin_users": ["alice", "bob"]},   # values for ``|expand`` placeholders
        cache_dir=settings.data_dir / "cache",            # compiled rules cached here (JSON)
        statuses={"stable", "test"}, levels={"high", "critical"},  # optional filters
    )
    report.loaded, report.refused, report.reasons()  # refused rules keep their reason
    report.errors          # list[RuleError(source, reason, rule_id, title)]
    engine.rules           # tuple[RuleInfo]: id, title, level, status, tags, logsource,
                           #   description, source
    engine.rule(rule_id)   # RuleInfo by id
    engine.correlations    # tuple[CorrelationRule]: info, yaml_text, rule_references
                           #   (loaded and kept aside: not evaluated here)
    matches = engine.evaluate(batch)  # batch: a DataFrame in the event schema
    # -> pl.DataFrame[rule_id: str, event.id: str, matched: str (JSON of the fields tested)]

    SigmaEngine.from_yaml(text, placeholders)  # rules from YAML text, no cache (tests, previews)

Rules are routed by log source (product/category/service -> Windows channel and event id, or
``event.module``/``event.dataset`` for other products), Sigma fields are mapped onto the
Winlogbeat names kept in ``original`` or the schema's ECS columns (``pipeline.py``), and each
group of rules sharing a log source is evaluated as one predicate graph over the rows it can
match (``evaluator.py``, ``matchers.py``).
"""

from garde.detect.sigma.engine import SigmaEngine
from garde.detect.sigma.ir import CompiledRule, CorrelationRule, LogSource, RuleError, RuleInfo
from garde.detect.sigma.loader import LoadReport

__all__ = [
    "CompiledRule",
    "CorrelationRule",
    "LoadReport",
    "LogSource",
    "RuleError",
    "RuleInfo",
    "SigmaEngine",
]
