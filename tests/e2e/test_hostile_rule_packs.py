"""Hostile rule files through the real ``garde`` command: an installed pack with a bad file
must not break ``hunt`` or ``rules list``, and both name the refused file."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson

from zip_crafting import make_zip

GARDE = str(Path(sys.executable).parent / "garde")
HOSPITAL = Path(__file__).parents[2] / "src/garde/rules/hospital"
GOOD = (HOSPITAL / "ehr_break_the_glass.yml").read_bytes().replace(b"5e33add7", b"5e33add8")


def garde(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "GARDE_DATA_DIR": str(data)}
    return subprocess.run([GARDE, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def alias_bomb(levels: int = 8) -> bytes:
    lines = ['a: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"b{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines).encode()


def install_by_hand(data: Path, name: str, pack: bytes) -> None:
    """A pack as an older Garde installed it, without today's checks: the zip and its manifest."""
    rules = data / "rules"
    rules.mkdir(parents=True)
    (rules / f"{name}.zip").write_bytes(pack)
    manifest = {
        "name": name,
        "path": str(rules / f"{name}.zip"),
        "sha256": hashlib.sha256(pack).hexdigest(),
        "source": "older garde",
        "installed": "2026-11-01T00:00:00+00:00",
        "rules": 3,
        "size": len(pack),
    }
    (rules / f"{name}.json").write_text(json.dumps(manifest))


def test_an_installed_bad_file_does_not_break_hunt_or_rules_list(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pack = make_zip(
        {
            "rules/good.yml": GOOD,
            "rules/scalar.yml": b"just a string\n",
            "rules/bomb.yml": alias_bomb(),
        },
        symlinks={"rules/link.yml": "/etc/passwd"},
    )
    install_by_hand(data, "old", pack)
    listed = garde("rules", "list", "-o", "csv", data=data)
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    assert "5e33add8" in listed.stdout  # the good rule of the pack is loaded
    assert "refused" not in listed.stdout  # machine-readable output stays clean: warnings on stderr
    for member, reason in [
        ("rules/scalar.yml", "not a mapping"),
        ("rules/bomb.yml", "aliases"),
        ("rules/link.yml", "symbolic link"),
    ]:
        line = next(x for x in listed.stderr.splitlines() if f"old.zip!{member}" in x)
        assert reason in line
    assert "3 rule files refused" in listed.stderr

    events = tmp_path / "events.ndjson"
    events.write_bytes(orjson.dumps({"@timestamp": "2026-11-29T02:00:00Z", "message": "hello"}) + b"\n")
    hunted = garde("hunt", str(events), "-q", "--no-save-alerts", data=data)
    assert hunted.returncode == 0, hunted.stderr
    assert "Traceback" not in hunted.stderr
    assert "Hunt summary" in hunted.stdout
    assert "old.zip!rules/scalar.yml" in hunted.stderr
    assert "3 rule files refused" in hunted.stderr


def test_install_refuses_a_symlink_member_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pack = tmp_path / "evil.zip"
    pack.write_bytes(make_zip({"rules/good.yml": GOOD}, symlinks={"rules/link.yml": "/etc/passwd"}))
    done = garde("rules", "install", str(pack), data=data)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: refused: member 'rules/link.yml' is a symbolic link, not a file; nothing installed"
    ]
    assert "0 rule packs" in garde("rules", "packs", data=data).stdout


def test_install_lists_the_refused_rule_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pack = tmp_path / "mixed.zip"
    pack.write_bytes(make_zip({"rules/good.yml": GOOD, "rules/empty.yml": b"", "rules/tag.yml": b"!!binary aGk=\n"}))
    done = garde("rules", "install", str(pack), data=data)
    assert done.returncode == 0, done.stderr
    assert "installed mixed: 1 rule files" in done.stdout
    assert "2 rule files refused" in done.stderr
    assert "rules/empty.yml: empty" in done.stderr
    assert "rules/tag.yml: YAML tag" in done.stderr
