"""`garde hunt` and `garde rules` show rule titles and reasons (rule packs come from the internet)
with their control characters made visible, never sent to the terminal."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from garde.cli import app

ESC_TITLE = '"Backup catalog wiped \\e]0;pwned\\a \\e[2J"'  # YAML escapes: ESC ... BEL ... ESC
SHOWN = "\\x1b]0;pwned\\x07 \\x1b[2J"


def rule(rule_id: str, detection: str) -> str:
    return (
        f"title: {ESC_TITLE}\n"
        f"id: {rule_id}\n"
        "level: high\n"
        "logsource: {product: windows, category: process_creation}\n"
        f"detection: {detection}\n"
    )


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout + result.stderr


def test_rules_check_shows_control_characters(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    broken = "{selection: {Image|nosuchmodifier: x}, condition: selection}"
    (rules / "broken.yml").write_text(rule("11111111-1111-4111-8111-111111111111", broken))
    out = run("rules", "check", str(rules), "-d", str(tmp_path / "data"))
    assert "Refused rules" in out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert SHOWN in out


def test_hunt_top_rules_show_control_characters(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "wipe.yml").write_text(
        rule("22222222-2222-4222-8222-222222222222", "{selection: {Image|endswith: wbadmin.exe}, condition: selection}")
    )
    event = {
        "@timestamp": "2026-11-29T02:00:00Z",
        "host": {"name": "SRV-BACKUP01"},
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "event_id": 1,
            "computer_name": "SRV-BACKUP01",
            "event_data": {"Image": "C:\\Windows\\System32\\wbadmin.exe"},
        },
    }
    logs = tmp_path / "events.ndjson"
    logs.write_bytes(orjson.dumps(event) + b"\n")
    out = run("hunt", str(logs), "--rules", str(rules), "-q", "-d", str(tmp_path / "data"))
    assert "Top rules" in out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert SHOWN in out
