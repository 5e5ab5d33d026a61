"""Garde's hospital rules: they all load, and each fires on a positive sample and not on a close
negative. Correlations are run through the detection service, as in production."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from garde.core.alerts import InMemoryAlertStore
from garde.core.batch import BatchBuilder
from garde.core.schema import FIELD_NAMES
from garde.detect.sigma import SigmaEngine
from garde.service.detect import DetectionService
from garde.settings import Settings

RULES = Path(__file__).resolve().parents[3] / "src" / "garde" / "rules" / "hospital"
T0 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
SYSMON = "Microsoft-Windows-Sysmon/Operational"

BACKUP_DELETION = "9c366c58-575d-4df9-9f2b-1bc06a705a3b"
BACKUP_STOP = "ed6da36f-ce64-4bf0-9494-16b8edee41ac"
BACKUP_STOPPED = "59143255-20e6-4308-86d9-664d0c12ee44"
MASS_RENAME = "387b55db-c320-4f06-b6f5-83b115c5a1c6"
RDP_GUEST = "925ac527-2b9f-4a39-9cbd-b0a583c2c8b4"
EHR_BULK = "cbbca5f2-0e30-4beb-8516-b569c54c719e"
EHR_RESTRICTED = "80708cf2-e564-4510-bf79-fd5e05fd592d"
EHR_BTG = "5e33add7-29e5-46af-9297-a69196582741"
EHR_BTG_RESTRICTED = "73fe07e4-2f6d-4d72-920c-2a454a44d4d3"


@cache
def engine() -> SigmaEngine:
    eng, report = SigmaEngine.from_paths([RULES], Settings().rule_placeholders)
    assert report.errors == [], report.errors
    return eng


def batch(events: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    builder = BatchBuilder("test", "hospital-rules")
    for position, event in enumerate(events):
        fields = {k: v for k, v in event.items() if k in FIELD_NAMES and k != "@timestamp"}
        original = {k: v for k, v in event.items() if k not in FIELD_NAMES}
        builder.add(position, repr(sorted(event.items())).encode(), event.get("@timestamp", T0), fields, original)
    return builder.build()[0]


def fired(events: Sequence[Mapping[str, Any]]) -> set[str]:
    """Rule ids of the alerts raised on these events, correlations included."""
    service = DetectionService(engine(), InMemoryAlertStore())
    return {a.rule_id for a in service.process(batch(events))}


def process(image: str, command_line: str, host: str = "SRV-FS01") -> dict[str, Any]:
    return {
        "winlog.channel": SYSMON,
        "winlog.event_id": "1",
        "winlog.computer_name": host,
        "winlog.event_data.Image": image,
        "winlog.event_data.CommandLine": command_line,
        "host.name": host,
    }


def test_every_rule_loads_with_ids_levels_tags_and_false_positives() -> None:
    eng = engine()
    infos = [*eng.rules, *(c.info for c in eng.correlations)]
    assert len(infos) == 12
    for info in infos:
        assert info.id
        assert info.level in {"informational", "low", "medium", "high", "critical"}
        assert any(t.startswith("attack.t") for t in info.tags), info.title
        assert info.description, info.title
    for path in RULES.glob("*.yml"):
        assert "falsepositives:" in path.read_text(), path.name


@pytest.mark.parametrize(
    ("positive", "negative"),
    [
        (
            process(r"C:\Windows\System32\wbadmin.exe", "wbadmin delete catalog -quiet"),
            process(r"C:\Windows\System32\wbadmin.exe", "wbadmin get versions"),
        ),
        (
            process(r"C:\Windows\System32\vssadmin.exe", "vssadmin.exe Delete Shadows /All /Quiet"),
            process(r"C:\Windows\System32\vssadmin.exe", "vssadmin list shadows"),
        ),
        (
            process(r"C:\Windows\System32\vssadmin.exe", "vssadmin resize shadowstorage /for=C: /maxsize=401MB"),
            process(r"C:\Windows\System32\vssadmin.exe", "vssadmin list shadowstorage"),
        ),
        (
            process(r"C:\Windows\System32\wbem\WMIC.exe", "wmic shadowcopy delete /nointeractive"),
            process(r"C:\Windows\System32\wbem\WMIC.exe", "wmic shadowcopy list brief"),
        ),
    ],
)
def test_backup_catalogue_deletion(positive: dict[str, Any], negative: dict[str, Any]) -> None:
    assert BACKUP_DELETION in fired([positive])
    assert BACKUP_DELETION not in fired([negative])


@pytest.mark.parametrize(
    ("positive", "negative"),
    [
        (
            process(r"C:\Windows\System32\net.exe", "net stop VeeamBackupSvc /y"),
            process(r"C:\Windows\System32\net.exe", "net start VeeamBackupSvc"),
        ),
        (
            process(r"C:\Windows\System32\sc.exe", 'sc config "BackupExecJobEngine" start= disabled'),
            process(r"C:\Windows\System32\sc.exe", 'sc query "BackupExecJobEngine"'),
        ),
        (
            process(r"C:\Windows\System32\taskkill.exe", "taskkill /f /im veeam.backup.agent.exe"),
            process(r"C:\Windows\System32\taskkill.exe", "taskkill /f /im winword.exe"),
        ),
    ],
)
def test_backup_service_stop(positive: dict[str, Any], negative: dict[str, Any]) -> None:
    assert BACKUP_STOP in fired([positive])
    assert BACKUP_STOP not in fired([negative])


def service_state(name: str, state: str) -> dict[str, Any]:
    return {
        "winlog.channel": "System",
        "winlog.event_id": "7036",
        "winlog.provider_name": "Service Control Manager",
        "winlog.event_data.param1": name,
        "winlog.event_data.param2": state,
    }


def test_backup_service_stopped_event() -> None:
    assert BACKUP_STOPPED in fired([service_state("Veeam Backup Service", "stopped")])
    assert BACKUP_STOPPED not in fired([service_state("Veeam Backup Service", "running")])
    assert BACKUP_STOPPED not in fired([service_state("Print Spooler", "stopped")])


def file_created(n: int, image: str, folder: str, host: str = "SRV-FS01", seconds: float = 0.5) -> list[dict[str, Any]]:
    return [
        {
            "winlog.channel": SYSMON,
            "winlog.event_id": "11",
            "winlog.computer_name": host,
            "winlog.event_data.Image": image,
            "winlog.event_data.TargetFilename": rf"{folder}\doc_{i}.docx.chudemo-lock",
            "@timestamp": T0 + timedelta(seconds=i * seconds),
        }
        for i in range(n)
    ]


def test_mass_file_rename() -> None:
    encryptor = r"C:\Windows\Temp\svcupd.exe"
    assert MASS_RENAME in fired(file_created(120, encryptor, r"D:\Shares\Finance"))
    # Close negatives: the same pace in a system path, or the same count spread over an hour.
    assert MASS_RENAME not in fired(file_created(120, encryptor, r"C:\Windows\Installer"))
    assert MASS_RENAME not in fired(file_created(120, encryptor, r"D:\Shares\Finance", seconds=30))
    # The base rule alone never raises an alert.
    assert fired(file_created(5, encryptor, r"D:\Shares\Finance")) == set()


def logon(logon_type: str, ip: str) -> dict[str, Any]:
    return {
        "winlog.channel": "Security",
        "winlog.event_id": "4624",
        "winlog.event_data.LogonType": logon_type,
        "winlog.event_data.IpAddress": ip,
        "winlog.event_data.TargetUserName": "dr.martin",
    }


def test_rdp_from_guest_network() -> None:
    assert RDP_GUEST in fired([logon("10", "10.250.3.17")])
    assert RDP_GUEST not in fired([logon("10", "10.20.3.17")])  # a clinical VLAN
    assert RDP_GUEST not in fired([logon("3", "10.250.3.17")])  # network logon, not RDP


def ehr_read(user: str, i: int, *, module: str = "fhir", **extra: Any) -> dict[str, Any]:
    return {
        "event.module": module,
        "event.dataset": "ehr.audit",
        "event.action": "read",
        "user.name": user,
        "entity.what.reference": f"Patient/{100000 + i}",
        "@timestamp": T0 + timedelta(seconds=i),
        **extra,
    }


def test_ehr_bulk_access_fires_per_user_over_ten_minutes() -> None:
    assert EHR_BULK in fired([ehr_read("scraper", i) for i in range(100)])
    assert EHR_BULK in fired([ehr_read("scraper", i, module="atna") for i in range(100)])
    searches = [{**ehr_read("scraper", i), "event.action": "search-type"} for i in range(100)]
    assert EHR_BULK in fired(searches)
    mixed = [ehr_read(f"nurse{i % 4}", i) for i in range(396)]  # 99 reads each
    assert EHR_BULK not in fired(mixed)
    slow = [{**ehr_read("doctor", i), "@timestamp": T0 + timedelta(seconds=7 * i)} for i in range(100)]
    assert EHR_BULK not in fired(slow)  # 100 reads over 11.5 minutes
    updates = [{**ehr_read("scraper", i), "event.action": "update"} for i in range(100)]
    assert EHR_BULK not in fired(updates)
    assert fired([ehr_read("nurse", i) for i in range(10)]) == set()


def test_ehr_restricted_record_access() -> None:
    assert EHR_RESTRICTED in fired([ehr_read("nurse", 1, **{"entity.securityLabel.code": "V"})])
    assert EHR_RESTRICTED not in fired([ehr_read("nurse", 1, **{"entity.securityLabel.code": "N"})])


def test_ehr_break_the_glass() -> None:
    assert EHR_BTG in fired([ehr_read("nurse", 1, **{"purposeOfEvent.coding.code": "BTG"})])
    assert EHR_BTG not in fired([ehr_read("nurse", 1, **{"purposeOfEvent.coding.code": "TREAT"})])


def test_ehr_break_the_glass_into_a_restricted_record() -> None:
    both = {"purposeOfEvent.coding.code": "BTG", "entity.securityLabel.code": "V"}
    assert fired([ehr_read("nurse", 1, **both)]) == {EHR_BTG, EHR_RESTRICTED, EHR_BTG_RESTRICTED}
    assert EHR_BTG_RESTRICTED not in fired([ehr_read("nurse", 1, **{**both, "entity.securityLabel.code": "N"})])
    assert EHR_BTG_RESTRICTED not in fired([ehr_read("nurse", 1, **{**both, "purposeOfEvent.coding.code": "TREAT"})])
