"""The engine's surface: loading (folders, zip packs, filters, cache), batches, robustness."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
from helpers import batch, matched_rows, sysmon

from garde.detect.sigma import SigmaEngine
from garde.detect.sigma.cache import CACHE_FILE

RULE = """
title: Whoami
id: 6f1c1a2e-0000-4000-8000-00000000000{n}
status: {status}
level: {level}
logsource: {{product: windows, category: process_creation}}
detection:
  sel:
    CommandLine|contains: whoami
  condition: sel
"""

CORRELATION = """
title: Many whoami
id: 6f1c1a2e-0000-4000-8000-0000000000ff
status: test
correlation:
  type: event_count
  rules: [6f1c1a2e-0000-4000-8000-000000000001]
  group-by: [Computer]
  timespan: 5m
  condition: {gte: 3}
level: high
"""


def write_rules(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.yml").write_text(RULE.format(n=1, status="stable", level="high"))
    (folder / "b.yml").write_text(RULE.format(n=2, status="experimental", level="low"))
    (folder / "broken.yml").write_text("title: [unclosed\n")
    (folder / "corr.yml").write_text(CORRELATION)


def test_folder_load_reports_errors_and_keeps_correlations_aside(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules")
    engine, report = SigmaEngine.from_paths([tmp_path / "rules"])
    assert report.files == 4
    assert {r.id[-1] for r in engine.rules} == {"1", "2"}
    assert report.refused == 1
    assert report.errors[0].source.endswith("broken.yml")
    assert [c.info.title for c in engine.correlations] == ["Many whoami"]
    assert engine.correlations[0].rule_references == ("6f1c1a2e-0000-4000-8000-000000000001",)


def test_status_and_level_filters(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules")
    engine, report = SigmaEngine.from_paths([tmp_path / "rules"], statuses={"stable"}, levels={"high"})
    assert [r.level for r in engine.rules] == ["high"]
    assert report.filtered_out == 1


def test_zip_pack(tmp_path: Path) -> None:
    pack = tmp_path / "pack.zip"
    with zipfile.ZipFile(pack, "w") as archive:
        archive.writestr("windows/a.yml", RULE.format(n=1, status="test", level="high"))
    engine, report = SigmaEngine.from_paths([pack])
    assert report.loaded == 1
    assert engine.rules[0].source == f"{pack}!windows/a.yml"


def test_second_load_comes_from_the_cache(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules")
    first, cold = SigmaEngine.from_paths([tmp_path / "rules"], cache_dir=tmp_path / "cache")
    second, warm = SigmaEngine.from_paths([tmp_path / "rules"], cache_dir=tmp_path / "cache")
    assert (cold.cache_misses, warm.cache_hits, warm.cache_misses) == (4, 4, 0)
    assert first.compiled == second.compiled
    assert warm.refused == cold.refused


def test_a_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / CACHE_FILE).write_text("{not json")
    engine, report = SigmaEngine.from_paths([tmp_path / "rules"], cache_dir=tmp_path / "cache")
    assert report.cache_misses == 4
    assert len(engine.rules) == 2


def test_same_values_in_later_batches_give_the_same_matches() -> None:
    long_line = "powershell " + "x" * 600 + " whoami"
    events = [sysmon(1, CommandLine="cmd /c WHOAMI"), sysmon(1, CommandLine=long_line), sysmon(1, CommandLine="dir")]
    engine, _ = SigmaEngine.from_yaml(RULE.format(n=1, status="test", level="high"))
    frame = batch(events)
    first = engine.evaluate(frame)
    again = engine.evaluate(frame)
    assert first.height == 2
    assert first.equals(again)


def test_matched_shows_the_tested_fields() -> None:
    engine, _ = SigmaEngine.from_yaml(RULE.format(n=1, status="test", level="high"))
    matches = engine.evaluate(batch([sysmon(1, CommandLine="whoami /all", Image="c:\\x.exe")]))
    assert matches.columns == ["rule_id", "event.id", "matched"]
    assert matches["matched"].to_list() == ['{"winlog.event_data.CommandLine":"whoami /all"}']


def test_a_malformed_original_does_not_blind_the_batch() -> None:
    frame = batch([sysmon(1, CommandLine="whoami"), sysmon(1, CommandLine="whoami")])
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit('{"winlog.channel": "Microsoft-Windows-Sysmon/Operational", "winlog.event_id": "1", broken'))
        .otherwise(pl.col("original"))
        .alias("original")
    )
    engine, _ = SigmaEngine.from_yaml(RULE.format(n=1, status="test", level="high"))
    assert engine.evaluate(frame)["event.id"].to_list() == [frame["event.id"][1]]


def test_empty_batch_and_no_rules() -> None:
    engine, _ = SigmaEngine.from_yaml(RULE.format(n=1, status="test", level="high"))
    assert engine.evaluate(batch([])).height == 0
    assert SigmaEngine([]).evaluate(batch([sysmon(1, CommandLine="whoami")])).height == 0


def test_rules_of_other_log_sources_stay_quiet() -> None:
    rule = RULE.format(n=1, status="test", level="high")
    assert matched_rows(rule, [{"winlog.channel": "Security", "winlog.event_data.CommandLine": "whoami"}]) == []
