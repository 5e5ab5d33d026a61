"""Same seed and options: byte-identical files; another seed: another hospital."""

from __future__ import annotations

from pathlib import Path

from simhelpers import small_config

from garde.simulate import generate


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a = generate(small_config(tmp_path / "a", staff=40, days=1))
    b = generate(small_config(tmp_path / "b", staff=40, days=1))
    first, second = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    assert first.keys() == second.keys()
    assert "labels.jsonl" in first
    assert all(first[k] == second[k] for k in first)
    assert a.events_by_source == b.events_by_source


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(small_config(tmp_path / "a", staff=40, days=1))
    generate(small_config(tmp_path / "b", staff=40, days=1, seed=12))
    a = (tmp_path / "a" / "logs" / "windows-security.ndjson").read_bytes()
    b = (tmp_path / "b" / "logs" / "windows-security.ndjson").read_bytes()
    assert a != b
