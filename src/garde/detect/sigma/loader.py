"""Rule loading: folders, single files and zip packs -> compiled rules, correlations, errors.

Every file is checked (``rulefile.py``: size, UTF-8, YAML shape; zip packs in ``packs.py``),
parsed by pySigma, passed through Garde's field-mapping pipeline and compiled. A bad or
unsupported rule, or a refused file, becomes a RuleError with its reason and loading goes on.
Compiled files are cached (see ``cache.py``), so a second start only hashes the files.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRegularExpressionError
from sigma.modifiers import SigmaWideModifier, modifier_mapping
from sigma.rule import SigmaRule

from garde.core.safe_text import one_line
from garde.detect.sigma.cache import RuleCache, entry_key, settings_key
from garde.detect.sigma.compiler import CompileError, compile_rule, rule_info
from garde.detect.sigma.ir import CompiledRule, CorrelationRule, RuleError
from garde.detect.sigma.logsources import UnsupportedLogSource
from garde.detect.sigma.packs import RULE_SUFFIXES, UnsafePack, rule_members
from garde.detect.sigma.pipeline import build_pipeline
from garde.detect.sigma.rulefile import MAX_RULE_FILE_BYTES, RuleFileError, cap_text, read_documents

# Reasons that refuse a whole file (or pack, or path), not one rule: listed by `hunt`/`rules list`.
FILE_REFUSED = "rule file refused"
PACK_REFUSED = "unreadable rule pack"
PATH_UNREADABLE = "unreadable path"


@dataclass
class LoadReport:
    """What a load did: counts, refused rules with reasons, timing and cache use."""

    files: int = 0
    loaded: int = 0
    correlations: int = 0
    filtered_out: int = 0  # compiled but excluded by the status/level filters
    errors: list[RuleError] = field(default_factory=list)
    cache_hits: int = 0
    cache_misses: int = 0
    seconds: float = 0.0

    @property
    def refused(self) -> int:
        return len(self.errors)

    def refused_files(self) -> list[RuleError]:
        """The refusals of whole files, packs or paths (not of single rules)."""
        return [e for e in self.errors if e.category in (FILE_REFUSED, PACK_REFUSED, PATH_UNREADABLE)]

    def reasons(self) -> Counter[str]:
        """Refused rules counted by kind of reason."""
        return Counter(e.category for e in self.errors)


@dataclass
class LoadedRules:
    rules: list[CompiledRule] = field(default_factory=list)
    correlations: list[CorrelationRule] = field(default_factory=list)


def load_rules(
    paths: Iterable[str | Path],
    placeholders: Mapping[str, Sequence[str]] | None = None,
    cache_dir: Path | None = None,
    statuses: Iterable[str] | None = None,
    levels: Iterable[str] | None = None,
) -> tuple[LoadedRules, LoadReport]:
    """Load every rule under ``paths``; filters keep only the given statuses and levels."""
    report = LoadReport()
    return load_texts(_sources(paths, report), placeholders, cache_dir, statuses, levels, report)


def load_texts(
    sources: Iterable[tuple[str, bytes]],
    placeholders: Mapping[str, Sequence[str]] | None = None,
    cache_dir: Path | None = None,
    statuses: Iterable[str] | None = None,
    levels: Iterable[str] | None = None,
    report: LoadReport | None = None,
) -> tuple[LoadedRules, LoadReport]:
    """Load (source name, bytes) rule files; filters keep only the given statuses and levels."""
    started = time.perf_counter()
    values = {k: [str(v) for v in vs] for k, vs in (placeholders or {}).items()}
    cache = RuleCache(cache_dir, settings_key(values))
    report = report if report is not None else LoadReport()
    loaded = LoadedRules()
    wanted_status = {s.lower() for s in statuses} if statuses is not None else None
    wanted_level = {s.lower() for s in levels} if levels is not None else None
    seen_ids: set[str] = set()
    compiler = _FileCompiler(values)
    for source, content in sources:
        report.files += 1
        key = entry_key(source, content)
        entry = cache.get(key)
        if entry is None:
            report.cache_misses += 1
            entry = compiler.compile(source, content)
            cache.put(key, entry)
        else:
            report.cache_hits += 1
        report.errors.extend(RuleError.from_json(e) for e in entry["errors"])
        for data in entry["correlations"]:
            loaded.correlations.append(CorrelationRule.from_json(data))
        for data in entry["rules"]:
            rule = CompiledRule.from_json(data)
            if rule.info.id in seen_ids:
                report.errors.append(
                    RuleError(
                        source,
                        f"duplicate rule id: {rule.info.id} already loaded",
                        rule.info.id,
                        rule.info.title,
                    )
                )
                continue
            seen_ids.add(rule.info.id)
            if (wanted_status is not None and rule.info.status not in wanted_status) or (
                wanted_level is not None and rule.info.level not in wanted_level
            ):
                report.filtered_out += 1
                continue
            loaded.rules.append(rule)
    cache.save()
    report.loaded = len(loaded.rules)
    report.correlations = len(loaded.correlations)
    report.seconds = time.perf_counter() - started
    return loaded, report


def _sources(paths: Iterable[str | Path], report: LoadReport) -> Iterator[tuple[str, bytes]]:
    """(source name, bytes) of each rule file under the paths; zip members as ``zip!member``.

    Files over the size cap, unsafe zip members and unsafe packs are refused here, unread.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in RULE_SUFFIXES and p.is_file())
        elif path.is_file():
            files = [path]
        else:
            report.errors.append(RuleError(str(path), f"{PATH_UNREADABLE}: no such file or folder"))
            continue
        for file in files:
            if file.suffix.lower() == ".zip":
                yield from _zip_members(file, report)
                continue
            try:
                content = _read_capped(file)
            except OSError as error:
                report.errors.append(RuleError(str(file), f"{PATH_UNREADABLE}: {one_line(str(error))}"))
            except RuleFileError as error:
                report.files += 1
                report.errors.append(RuleError(str(file), f"{FILE_REFUSED}: {error}"))
            else:
                yield str(file), content


def _read_capped(file: Path) -> bytes:
    """The file's bytes, refused unread when over the cap (never more than the cap is read)."""
    with file.open("rb") as handle:
        content = handle.read(MAX_RULE_FILE_BYTES + 1)
        if len(content) > MAX_RULE_FILE_BYTES:
            size = max(file.stat().st_size, len(content))
            raise RuleFileError(f"{size:,} bytes, over the {cap_text()} cap")
    return content


def _zip_members(path: Path, report: LoadReport) -> Iterator[tuple[str, bytes]]:
    try:
        for member in rule_members(path):
            source = f"{path}!{one_line(member.name, 300)}"
            if member.refused:
                report.files += 1
                report.errors.append(RuleError(source, f"{FILE_REFUSED}: {member.refused}"))
            else:
                yield source, member.data
    except UnsafePack as error:
        report.errors.append(RuleError(str(path), f"{PACK_REFUSED}: {error}"))


def _register_modifier_aliases() -> None:
    """The Sigma spec names ``utf16le`` what pySigma 2.0.1 only knows as ``wide``."""
    modifier_mapping.setdefault("utf16le", SigmaWideModifier)


class _FileCompiler:
    def __init__(self, placeholders: dict[str, list[str]]) -> None:
        _register_modifier_aliases()
        self.placeholders = placeholders
        self.pipeline = build_pipeline()

    def compile(self, source: str, content: bytes) -> dict[str, Any]:
        rules: list[dict[str, Any]] = []
        correlations: list[dict[str, Any]] = []
        errors: list[RuleError] = []
        try:
            documents = read_documents(content)
        except RuleFileError as refused:
            errors.append(RuleError(source, f"{FILE_REFUSED}: {refused}"))
            return _entry(rules, correlations, errors)
        try:
            collection = SigmaCollection.from_dicts(
                documents, collect_errors=True, resolve_references=False, collect_filters=True
            )
        except Exception as bad:  # pySigma on hostile input: this file is refused, the load goes on
            reason = f"pySigma failed on it ({type(bad).__name__}): {one_line(str(bad))}"
            errors.append(RuleError(source, f"{FILE_REFUSED}: {reason}"))
            return _entry(rules, correlations, errors)
        # Rule errors are also listed on the collection: report those once, with the rule.
        per_rule = {str(e) for item in collection.rules for e in item.errors}
        for error in collection.errors:
            if str(error) not in per_rule:
                errors.append(RuleError(source, _reason(error)))
        for item in collection.rules:
            if item.errors:  # a rule or correlation pySigma found invalid: refused, never loaded
                errors.append(RuleError(source, _reason(item.errors[0]), str(item.id or ""), _text(item.title)))
            elif isinstance(item, SigmaCorrelationRule):
                correlations.append(_correlation(item, source, content).to_json())
            elif isinstance(item, SigmaRule):
                compiled = self._compile_rule(item, source, errors)
                if compiled is not None:
                    rules.append(compiled.to_json())
        for meta_filter in collection.filters:
            errors.append(
                RuleError(
                    source,
                    f"unsupported document: meta-filter {meta_filter.title!r} is not applied",
                    str(meta_filter.id or ""),
                    meta_filter.title,
                )
            )
        return _entry(rules, correlations, errors)

    def _compile_rule(self, rule: SigmaRule, source: str, errors: list[RuleError]) -> CompiledRule | None:
        ident, title = str(rule.id or ""), rule.title or ""
        try:
            self.pipeline.apply(rule)
            return compile_rule(rule, source, self.placeholders)
        except (CompileError, UnsupportedLogSource) as error:
            errors.append(RuleError(source, one_line(str(error)), ident, title))
        except SigmaError as error:
            errors.append(RuleError(source, _reason(error), ident, title))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            reason = f"compile error ({type(error).__name__}): {one_line(str(error))}"
            errors.append(RuleError(source, reason, ident, title))
        return None


def _text(value: object) -> str:
    """A rule's title for a report (an invalid rule may have a list or nothing there)."""
    return value if isinstance(value, str) else ""


def _reason(error: Exception) -> str:
    if isinstance(error, SigmaRegularExpressionError):
        # pySigma checks regexes with RE2, a linear-time engine like the one that runs them.
        return f"regex not supported by the linear-time engine: {one_line(str(error))}"
    return f"invalid rule ({type(error).__name__}): {one_line(str(error))}"


def _correlation(rule: SigmaCorrelationRule, source: str, content: bytes) -> CorrelationRule:
    refs = tuple(str(getattr(r, "reference", r)) for r in (rule.rules or []))
    info = rule_info(rule, source, kind="correlation")  # type: ignore[arg-type]
    return CorrelationRule(info, content.decode("utf-8", "replace"), refs)


def _entry(rules: list[dict[str, Any]], correlations: list[dict[str, Any]], errors: list[RuleError]) -> dict[str, Any]:
    return {"rules": rules, "correlations": correlations, "errors": [e.to_json() for e in errors]}
