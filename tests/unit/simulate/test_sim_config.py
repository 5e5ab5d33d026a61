"""Bad arguments give one clear InputError; the CLI writes a run and a summary."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from simhelpers import FRIDAY, small_config
from typer.testing import CliRunner

from garde.cli import app
from garde.core.errors import InputError
from garde.simulate import generate
from garde.simulate.config import parse_scenarios
from garde.simulate.scenarios import SCENARIOS
from garde.simulate.send import open_sender


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"staff": 3}, "--staff"),
        ({"days": 0}, "--days"),
        ({"seed": -1}, "--seed"),
        ({"scenarios": ("tsunami",)}, "unknown scenario"),
        ({"first_attack_hour": 25.0}, "first attack hour"),
        ({"out_dir": None}, "output directory"),
    ],
)
def test_bad_configuration_is_refused(tmp_path: Path, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        generate(small_config(tmp_path, **overrides))


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        generate(small_config(target))


def test_scenario_names() -> None:
    assert parse_scenarios("all") == tuple(SCENARIOS)
    assert parse_scenarios("password-spray, ransomware") == ("password_spray", "ransomware")
    assert parse_scenarios("") == ()
    with pytest.raises(InputError):
        parse_scenarios("all,ransomware")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:21", "syslog-udp://", "http://127.0.0.1:notaport/x", "127.0.0.1:514"])
def test_bad_send_urls(url: str) -> None:
    with pytest.raises(InputError, match="--send"):
        open_sender(url)


def test_cli_writes_logs_labels_and_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--staff",
            "20",
            "--days",
            "2",
            "--start",
            "2026-11-23",
            "--scenarios",
            "password_spray,ehr_snooping",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "DEMO DATA" in result.output
    assert "password_spray" in result.output
    assert (tmp_path / "labels.jsonl").is_file()
    assert (tmp_path / "logs" / "windows-security.ndjson").is_file()
    assert (tmp_path / "logs" / "windows-security.ndjson-20261123").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ["--staff", "2"],
        ["--start", "yesterday"],
        ["--rate", "0", "--follow"],
        ["--duration", "5"],
        ["--scenarios", "nope"],
        ["--days", "0"],
    ],
)
def test_cli_bad_arguments_raise_input_error(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "-q", *args])
    assert isinstance(result.exception, InputError), result.output


def test_cli_needs_a_destination() -> None:
    result = CliRunner().invoke(app, ["simulate", "-q"])
    assert isinstance(result.exception, InputError)


def test_demo_configuration_is_quick_and_has_every_attack(tmp_path: Path) -> None:
    from garde.simulate import SimulationConfig

    result = generate(SimulationConfig.demo(tmp_path, staff=60, days=1, start=FRIDAY))
    assert {s["scenario"] for s in result.scenarios} == set(SCENARIOS)
    assert result.label_file is not None
    assert result.label_file.is_file()
    assert all(paths for paths in result.files.values())


def test_devices_knob_sets_the_biomedical_and_printer_fleet(tmp_path: Path) -> None:
    from garde.simulate.org import build_org

    org = build_org(1, 100, devices=50)
    assert (len(org.biomed), len(org.printers)) == (40, 10)
    result = generate(small_config(tmp_path, staff=30, days=1, devices=25, scenarios=()))
    dhcp = b"".join(p.read_bytes() for p in result.files["dhcp"])
    assert len({line.split(b"(BIO-")[1].split(b")")[0] for line in dhcp.splitlines() if b"(BIO-" in line}) == 20
    with pytest.raises(InputError, match="--devices"):
        generate(small_config(tmp_path, devices=-1))


def test_scenarios_can_be_pinned_at_a_local_time(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--staff",
            "20",
            "--days",
            "2",
            "--start",
            "2026-11-23",
            "--at",
            "ddos_portal@2026-11-24T14:30",
            "--at",
            "password-spray@2026-11-23T03:00",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    labels = {
        (d := orjson.loads(line))["scenario"]: d for line in (tmp_path / "labels.jsonl").read_bytes().splitlines()
    }
    assert labels["ddos_portal"]["start"].startswith("2026-11-24T13:30")  # 14:30 in Paris is 13:30 UTC
    assert labels["password_spray"]["start"].startswith("2026-11-23T02:00")


@pytest.mark.parametrize(
    "pin", ["ddos_portal@2026-12-24T14:30", "nope@2026-11-23T10:00", "ddos_portal@noon", "ddos_portal"]
)
def test_bad_pins_are_refused(tmp_path: Path, pin: str) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--staff",
            "20",
            "--days",
            "1",
            "--start",
            "2026-11-23",
            "--at",
            pin,
            "-q",
        ],
    )
    assert isinstance(result.exception, InputError), result.output


def test_cli_demo_preset(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["simulate", "--demo", "--staff", "40", "--days", "1", "--start", "2026-03-29", "--out", str(tmp_path), "-q"],
    )
    assert result.exit_code == 0, result.output
    labels = (tmp_path / "labels.jsonl").read_bytes().splitlines()
    assert {orjson.loads(line)["scenario"] for line in labels} == set(SCENARIOS)


def test_cli_history_ends_yesterday_by_garde_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 00:30 in Paris on 1 January is still 31 December in UTC: "yesterday" is the hospital's.
    monkeypatch.setenv("GARDE_NOW", "2026-12-31T23:30:00Z")
    result = CliRunner().invoke(app, ["simulate", "--staff", "20", "--days", "2", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "logs").glob("windows-security.ndjson*")) == [
        "windows-security.ndjson",  # the last day, 31 December
        "windows-security.ndjson-20261230",
    ]
