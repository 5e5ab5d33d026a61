"""DetectionService: alerts from rules and correlations, idempotence, tuning, hunts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from garde.core.alerts import Evidence, Exclusion
from garde.core.batch import BatchBuilder
from garde.core.clock import fixed_clock
from garde.core.fakes import InMemoryAlertStore, InMemoryEventStore
from garde.core.schema import FIELD_NAMES
from garde.detect.sigma import SigmaEngine
from garde.service.detect import DetectionService

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
SYSMON = "Microsoft-Windows-Sysmon/Operational"
RULES = """
title: Shadow copies deleted
id: aaaaaaaa-0000-0000-0000-000000000001
status: test
description: vssadmin deletes shadow copies
tags: [attack.impact, attack.t1490]
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\\vssadmin.exe'
    CommandLine|contains|all: [delete, shadows]
  condition: sel
level: critical
---
title: Failed logon
id: aaaaaaaa-0000-0000-0000-000000000002
name: failed_logon
status: test
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
level: low
---
title: Password spray
id: aaaaaaaa-0000-0000-0000-000000000003
status: test
tags: [attack.credential-access, attack.t1110.003]
correlation:
  type: value_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 10m
  condition: {gte: 3, field: TargetUserName}
level: high
"""


def engine() -> SigmaEngine:
    eng, report = SigmaEngine.from_yaml(RULES)
    assert report.errors == []
    return eng


def batch(events: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    builder = BatchBuilder("test", "svc")
    for i, e in enumerate(events):
        fields = {k: v for k, v in e.items() if k in FIELD_NAMES and k != "@timestamp"}
        original = {k: v for k, v in e.items() if k not in FIELD_NAMES}
        builder.add(i, repr(sorted(e.items())).encode(), e.get("@timestamp", T0), fields, original)
    return builder.build()[0]


def vss(host: str = "SRV-FS01", user: str = "admin", minutes: int = 0) -> dict[str, Any]:
    return {
        "winlog.channel": SYSMON,
        "winlog.event_id": "1",
        "winlog.event_data.Image": r"C:\Windows\System32\vssadmin.exe",
        "winlog.event_data.CommandLine": "vssadmin delete shadows /all /quiet",
        "host.name": host,
        "user.name": user,
        "@timestamp": T0 + timedelta(minutes=minutes),
    }


def failed(user: str, minutes: float, ip: str = "10.9.9.9") -> dict[str, Any]:
    return {
        "winlog.channel": "Security",
        "winlog.event_id": "4625",
        "winlog.event_data.TargetUserName": user,
        "winlog.event_data.IpAddress": ip,
        "host.name": "DC01",
        "@timestamp": T0 + timedelta(minutes=minutes),
    }


def test_process_makes_stores_and_deduplicates_alerts() -> None:
    store = InMemoryAlertStore()
    service = DetectionService(engine(), store)
    frame = batch([vss(), {"winlog.channel": SYSMON, "winlog.event_id": "1", "host.name": "ws"}])
    alerts = service.process(frame)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule_id == "aaaaaaaa-0000-0000-0000-000000000001"
    assert alert.level == "critical"
    assert alert.attack_ids == ("T1490",)
    assert alert.host == "SRV-FS01"
    assert alert.user == "admin"
    assert alert.first_seen == T0
    assert dict(alert.fields)["winlog.event_data.CommandLine"] == "vssadmin delete shadows /all /quiet"
    assert alert.event_ids == (frame["event.id"][0],)
    assert service.process(frame) == []  # replay: nothing new
    assert store.count() == 1


def test_a_rule_alert_cites_its_event_source_position_and_time() -> None:
    frame = batch([{"winlog.channel": "System", "winlog.event_id": "1"}, vss(minutes=3)])
    frame = frame.with_columns(pl.lit(r"\\fs\logs\sysmon.evtx").alias("log.file.path"))
    (alert,) = DetectionService(engine(), InMemoryAlertStore()).process(frame)
    assert alert.evidence == (Evidence(frame["event.id"][1], T0 + timedelta(minutes=3), r"\\fs\logs\sysmon.evtx", 1),)


def test_a_correlation_alert_cites_every_event_of_its_window_across_batches() -> None:
    service = DetectionService(engine(), InMemoryAlertStore())
    first = batch([failed("a", 0), failed("b", 1)]).with_columns(pl.lit("/logs/dc1.ndjson").alias("log.file.path"))
    assert service.process(first) == []
    second = batch([failed("c", 2)]).with_columns(pl.lit("/logs/dc2.ndjson").alias("log.file.path"))
    (spray,) = service.process(second)
    assert [(e.source, e.position, e.time) for e in spray.evidence] == [
        ("/logs/dc2.ndjson", 0, T0 + timedelta(minutes=2)),  # the key event: it completed the spray
        ("/logs/dc1.ndjson", 0, T0),
        ("/logs/dc1.ndjson", 1, T0 + timedelta(minutes=1)),
    ]
    assert spray.event_count == 3


def test_nothing_matches_is_quick_and_empty() -> None:
    service = DetectionService(engine(), InMemoryAlertStore())
    assert service.process(batch([{"winlog.channel": "System", "winlog.event_id": "1"}])) == []
    assert service.process(batch([])) == []


def test_correlation_alert_and_silenced_base_rule() -> None:
    service = DetectionService(engine(), InMemoryAlertStore())
    assert service.process(batch([failed("a", 0), failed("b", 1)])) == []  # base rule is silent
    alerts = service.process(batch([failed("c", 2), failed("d", 2, ip="10.1.1.1")]))
    assert [a.rule_id for a in alerts] == ["aaaaaaaa-0000-0000-0000-000000000003"]
    spray = alerts[0]
    assert spray.kind == "correlation"
    assert len(spray.event_ids) == 3
    assert ("IpAddress", "10.9.9.9") in spray.fields
    assert spray.first_seen == T0
    assert spray.last_seen == T0 + timedelta(minutes=2)
    assert spray.host == "DC01"


def test_exclusions_and_disabled_rules() -> None:
    exclusions = [
        Exclusion("aaaaaaaa-0000-0000-0000-000000000001", "host.name:BACKUP-*", "it", "backup rotation job"),
        Exclusion("aaaaaaaa-0000-0000-0000-000000000001", "user.name:old", "it", "expired", date(2027, 1, 1)),
        Exclusion("*", "CommandLine:*quiet* AND host.name:LAB", "it", "lab host"),
    ]
    today = fixed_clock(datetime(2027, 1, 15, 9))  # the second exclusion expired on 1 January
    service = DetectionService(engine(), InMemoryAlertStore(), exclusions, clock=today)
    frame = batch([vss("BACKUP-01"), vss("SRV-FS01", "old"), vss("LAB"), vss("SRV-FS02")])
    alerts = service.process(frame)
    assert sorted(a.host or "" for a in alerts) == ["SRV-FS01", "SRV-FS02"]
    assert service.stats.excluded == 2
    disabled = DetectionService(engine(), InMemoryAlertStore(), disabled_rules=["aaaaaaaa-0000-0000-0000-000000000001"])
    assert disabled.process(frame) == []
    assert disabled.stats.disabled == 4


def winlogbeat_line(event: Mapping[str, Any], ts: datetime) -> bytes:
    data = {k.removeprefix("winlog.event_data."): v for k, v in event.items() if k.startswith("winlog.event_data.")}
    doc = {
        "@timestamp": ts.isoformat(),
        "host": {"name": event.get("host.name", "WS-1")},
        "winlog": {
            "channel": event["winlog.channel"],
            "event_id": int(event["winlog.event_id"]),
            "computer_name": event.get("host.name", "WS-1"),
            "event_data": data,
        },
    }
    return orjson.dumps(doc) + b"\n"


def test_hunt_files_does_not_store_events_and_keeps_the_events_behind(tmp_path: Path) -> None:
    log = tmp_path / "winlogbeat.ndjson"
    log.write_bytes(
        winlogbeat_line(vss(), T0)
        + b"".join(winlogbeat_line(failed(u, 0), T0 + timedelta(seconds=i)) for i, u in enumerate("abc"))
    )
    store = InMemoryAlertStore()
    service = DetectionService(engine(), store)
    planned: list[int] = []
    done: list[int] = []
    result = service.hunt_files([str(log)], on_planned=planned.append, progress=done.append)
    assert result.files == 1
    assert result.stats.events == 4
    assert sorted(a.rule_id[-1] for a in result.alerts) == ["1", "3"]
    assert result.stored == 2
    assert planned == [log.stat().st_size]
    assert sum(done) == log.stat().st_size
    for a in result.alerts:
        assert a.key_event_id in result.events
        assert {e.source for e in a.evidence} == {str(log)}  # the file, to open the record in
    positions = sorted((a.kind, [e.position for e in a.evidence]) for a in result.alerts)
    assert positions == [("correlation", [4, 2, 3]), ("rule", [1])]  # line numbers, key event first
    assert all(
        e.event_id in result.events and result.events[e.event_id]["log.offset"] == e.position
        for a in result.alerts
        for e in a.evidence
    )
    again = service.hunt_files([str(log)])
    assert len(again.alerts) == 1  # the spray group is quiet for one timespan: same events
    assert again.stored == 0


def test_hunt_store() -> None:
    events = InMemoryEventStore()
    events.append(batch([vss(minutes=m) for m in range(3)]))
    events.flush()
    service = DetectionService(engine(), InMemoryAlertStore())
    result = service.hunt_store(events, store_alerts=False)
    assert result.stats.events == 3
    assert len(result.alerts) == 3
    assert result.stored == 0


def test_exclusions_and_disabling_apply_to_a_correlation_by_its_own_id() -> None:
    spray = "aaaaaaaa-0000-0000-0000-000000000003"
    burst = [failed(u, 0, ip="10.9.9.9") for u in "abc"] + [failed(u, 0, ip="10.7.7.7") for u in "abc"]
    scanner = Exclusion(spray, "IpAddress:10.9.9.9", "soc", "vulnerability scanner")
    excluded = DetectionService(engine(), InMemoryAlertStore(), [scanner])
    alerts = excluded.process(batch(burst))
    assert [dict(a.fields)["IpAddress"] for a in alerts] == ["10.7.7.7"]
    assert excluded.stats.excluded == 3
    disabled = DetectionService(engine(), InMemoryAlertStore(), disabled_rules=[spray])
    assert disabled.process(batch(burst)) == []


def test_tuning_can_change_while_running() -> None:
    service = DetectionService(engine(), InMemoryAlertStore())
    service.set_tuning([Exclusion("*", "host.name:SRV-*", "it", "maintenance")], [])
    assert service.process(batch([vss("SRV-FS01"), vss("WS-1")]))[0].host == "WS-1"
    service.set_tuning([], ["aaaaaaaa-0000-0000-0000-000000000001"])
    assert service.process(batch([vss("WS-2")])) == []
