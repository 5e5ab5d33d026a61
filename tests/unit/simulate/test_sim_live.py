"""Follow mode with a fake clock: pacing, scenario injection, appended and rotated files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
from simhelpers import small_config

from garde.simulate.live import LiveOptions, run
from garde.simulate.outputs import AppendingFiles, remove_outputs
from garde.simulate.send import as_json, as_syslog
from garde.simulate.sources import SOURCE_BY_NAME, Sink, sim_id_of


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


class ListSender:
    def __init__(self) -> None:
        self.records: list[tuple[str, int, str]] = []

    def send(self, source: object, ms: int, record: str) -> None:
        self.records.append((getattr(source, "name", ""), ms, record))

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None


def test_rate_paces_records_and_first_attack_comes_early(tmp_path: Path) -> None:
    clock = FakeClock(1_795_000_000.0)  # 2026-11-18, mid-afternoon in Paris
    sender = ListSender()
    options = LiveOptions(rate=200.0, duration=30.0, first_attack_after_s=0.0, scenario_interval_s=3600)
    stats = run(
        small_config(tmp_path, staff=40, days=1, scenarios=("password_spray",)),
        options,
        sender,
        clock=clock,
        sleep=clock.sleep,
    )
    assert 5000 <= stats.total <= 6001  # 200/s for 30 s
    assert len(sender.records) == stats.total
    times = [ms for _, ms, _ in sender.records]
    assert times == sorted(times)
    assert times[0] >= 1_795_000_000_000
    assert stats.labels
    assert stats.labels[0]["scenario"] == "password_spray"
    label_file = tmp_path / "labels-live.jsonl"
    assert orjson.loads(label_file.read_bytes().splitlines()[0])["scenario"] == "password_spray"
    written = [
        line for path in (tmp_path / "logs").glob("windows-security.ndjson*") for line in path.read_bytes().splitlines()
    ]
    ids = {orjson.loads(line)["labels"]["garde_sim_id"] for line in written}
    assert set(stats.labels[0]["events"]["winsec"]) <= ids  # type: ignore[index]


def test_real_time_pacing_follows_timestamps(tmp_path: Path) -> None:
    clock = FakeClock(1_795_000_000.0)
    sender = ListSender()
    run(
        small_config(tmp_path, staff=20, days=1, scenarios=()),
        LiveOptions(duration=120.0),
        sender,
        clock=clock,
        sleep=clock.sleep,
    )
    assert sender.records
    assert all(ms <= 1_795_000_000_000 + 120_000 for _, ms, _ in sender.records)
    assert clock.slept > 100


def test_appending_files_rotate_at_midnight(tmp_path: Path) -> None:
    files = AppendingFiles(tmp_path)
    sink = Sink(SOURCE_BY_NAME["dhcp"], date(2026, 11, 20))
    files.new_day(date(2026, 11, 20))
    files.write(sink, "first day")
    files.flush()
    files.new_day(date(2026, 11, 21))
    files.write(sink, "second day")
    files.close()
    assert (tmp_path / "dhcp.log-20261120").read_text() == "first day\n"
    assert (tmp_path / "dhcp.log").read_text() == "second day\n"


def test_wrapping_for_each_transport() -> None:
    fhir, proxy = SOURCE_BY_NAME["ehr_fhir"], SOURCE_BY_NAME["proxy"]
    record = '{"resourceType":"AuditEvent","id":"fhr-000-0000001"}'
    assert sim_id_of(fhir, record) == "fhr-000-0000001"
    assert as_syslog(fhir, 0, record).endswith(record)
    assert 'simid="fhr-000-0000001"' in as_syslog(fhir, 0, record)
    line = '<134>1 2026-11-20T10:00:00.000Z h webproxy - CEF [garde@32473 simid="pxy-000-0000009" demo="true"] CEF:0|a'
    wrapped = orjson.loads(as_json(proxy, 0, line))
    assert wrapped["message"] == line
    assert wrapped["labels"]["garde_sim_id"] == "pxy-000-0000009"


def test_live_attacks_keep_coming_one_per_interval(tmp_path: Path) -> None:
    clock = FakeClock(1_795_000_000.0)
    options = LiveOptions(rate=5000.0, duration=4.0, first_attack_after_s=0.0, scenario_interval_s=600)
    config = small_config(tmp_path, staff=30, days=1, scenarios=("password_spray", "ehr_snooping", "backup_failure"))
    stats = run(config, options, ListSender(), clock=clock, sleep=clock.sleep)
    names = [str(label["scenario"]) for label in stats.labels]
    assert len(names) >= 4
    assert names[:3] == ["password_spray", "ehr_snooping", "backup_failure"]
    assert names[3] == "password_spray"  # the cycle starts again
    assert names.count("backup_failure") == 1  # an ongoing failure is not injected twice


def test_an_earlier_runs_log_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    for name in ("firewall.log", "firewall.log-20261123", "ehr-auditevent.ndjson-20261124", "notes.txt"):
        (tmp_path / name).write_text("x\n")
    assert remove_outputs(tmp_path) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert remove_outputs(tmp_path / "missing") == 0
