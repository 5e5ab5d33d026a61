"""Garde's hospital rules: they all load, and each fires on a positive sample and not on a close
negative. Correlations are run through the detection service, as in production."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from garde.core.batch import BatchBuilder
from garde.core.fakes import InMemoryAlertStore
from garde.core.schema import FIELD_NAMES
from garde.detect.sigma import SigmaEngine
from garde.parse.jsonl import JsonLinesParser
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
SPRAY_BY_IP = "90ef988f-6e80-46e9-88da-e9f078d825cf"
SPRAY_BY_WORKSTATION = "8344097e-cb36-4d6b-9654-856f2c3877b3"
FLOOD = "c73ba719-b861-4f3d-ac61-4d274ae956ad"
FORTIGATE_DOS = "a6a41748-5f8f-4e00-93e3-d4271d96d016"
INTERNAL_SCAN = "999d6a02-6a17-436d-b6ae-827049450276"
BOARD_DHCP = "36ca7798-d317-4e24-b652-7b84bd32641a"
BOARD_WIFI = "b84f7e73-57a5-43c8-913d-6f608781542d"
BACKUP_EMPTY = "91367ebe-cbf3-4e9e-8f5d-7c635d814a25"
BACKUP_FAILED = "ca934bc4-76e1-4b30-8201-7e72d4be1f8d"
PHISH_POST = "f75a7774-d0a4-461b-b8c3-177d225a081f"
VPN_TRAVEL = "db04098c-bc23-448d-971e-5af2ac03c387"


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
    assert len(infos) == 29
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


def security(event_id: str, seconds: float = 0, **event_data: str) -> dict[str, Any]:
    return {
        "winlog.channel": "Security",
        "winlog.event_id": event_id,
        "winlog.computer_name": "SRV-DC01",
        **{f"winlog.event_data.{k}": v for k, v in event_data.items()},
        "@timestamp": T0 + timedelta(seconds=seconds),
    }


def failed_logon(user: str, ip: str, i: int, sub: str = "0xC000006A", logon_type: str = "3") -> dict[str, Any]:
    return security(
        "4625",
        i * 4,
        TargetUserName=user,
        IpAddress=ip,
        LogonType=logon_type,
        Status="0xC000006D",
        SubStatus=sub,
        AuthenticationPackageName="NTLM",
    )


def test_password_spray_from_one_address() -> None:
    spray = [failed_logon(f"user{i}", "10.20.0.40", i) for i in range(20)]
    assert SPRAY_BY_IP in fired(spray)
    unknown = [failed_logon(f"user{i}.old", "10.20.0.40", i, sub="0xC0000064") for i in range(20)]
    assert SPRAY_BY_IP in fired(unknown)
    kerberos = [
        security("4771", i, TargetUserName=f"user{i}", IpAddress="::ffff:10.20.0.40", Status="0x18") for i in range(20)
    ]
    assert SPRAY_BY_IP in fired(kerberos)
    # Close negatives: a printer failing on its one account, 14 accounts, locked-out accounts,
    # local console failures, the same accounts spread over an hour, Kerberos clock skew.
    assert SPRAY_BY_IP not in fired([failed_logon("svc-scan2mail", "10.40.0.10", i) for i in range(60)])
    assert SPRAY_BY_IP not in fired(spray[:14])
    assert SPRAY_BY_IP not in fired([failed_logon(f"user{i}", "10.20.0.40", i, sub="0xC0000234") for i in range(20)])
    assert SPRAY_BY_IP not in fired([failed_logon(f"user{i}", "127.0.0.1", i, logon_type="2") for i in range(20)])
    slow = [{**e, "@timestamp": T0 + timedelta(minutes=4 * i)} for i, e in enumerate(spray)]
    assert SPRAY_BY_IP not in fired(slow)
    skew = [
        security("4771", i, TargetUserName=f"user{i}", IpAddress="::ffff:10.20.0.40", Status="0x25") for i in range(20)
    ]
    assert SPRAY_BY_IP not in fired(skew)
    # The base rules alone raise nothing.
    assert fired(spray[:3]) == set()


def test_password_spray_seen_by_the_dc_as_ntlm_validation() -> None:
    def validation(user: str, i: int, status: str = "0xC000006A", workstation: str = "WS-DIR-0038") -> dict[str, Any]:
        return security("4776", i, TargetUserName=user, Workstation=workstation, Status=status)

    assert SPRAY_BY_WORKSTATION in fired([validation(f"user{i}", i) for i in range(20)])
    assert SPRAY_BY_WORKSTATION not in fired([validation(f"user{i}", i, status="0x0") for i in range(20)])
    per_host = [validation(f"user{i}", i, workstation=f"WS-{i}") for i in range(20)]
    assert SPRAY_BY_WORKSTATION not in fired(per_host)


def fortigate_traffic(src: str, dst: str, port: int, action: str, seconds: float = 0) -> dict[str, Any]:
    return {
        "event.module": "fortinet",
        "event.dataset": "fortigate.traffic",
        "event.action": action,
        "source.ip": src,
        "destination.ip": dst,
        "destination.port": port,
        "type": "traffic",
        "srcip": src,
        "dstip": dst,
        "dstport": str(port),
        "action": action,
        "@timestamp": T0 + timedelta(seconds=seconds),
    }


def test_flood_against_a_public_service() -> None:
    bots = [f"198.51.{i // 200}.{i % 200 + 1}" for i in range(220)]
    flood = [fortigate_traffic(ip, "203.0.113.10", 443, "deny" if i % 3 else "timeout", i) for i, ip in enumerate(bots)]
    assert FLOOD in fired(flood)
    # Close negatives: the same crowd served normally, 199 sources, internal sources, over 20 minutes.
    assert FLOOD not in fired([{**e, "event.action": "close", "action": "close"} for e in flood])
    assert FLOOD not in fired(flood[:199])
    internal = [
        fortigate_traffic(f"10.20.{i // 200}.{i % 200 + 1}", "203.0.113.10", 443, "deny", i) for i in range(220)
    ]
    assert FLOOD not in fired(internal)
    slow = [{**e, "@timestamp": T0 + timedelta(seconds=6 * i)} for i, e in enumerate(flood)]
    assert FLOOD not in fired(slow)


def fortigate_anomaly(attack: str) -> dict[str, Any]:
    return {
        "event.module": "fortinet",
        "event.dataset": "fortigate.anomaly",
        "type": "anomaly",
        "subtype": "anomaly",
        "attack": attack,
        "srcip": "116.45.92.97",
        "dstip": "203.0.113.10",
        "policytype": "DoS-policy",
    }


def test_fortigate_dos_anomaly() -> None:
    assert FORTIGATE_DOS in fired([fortigate_anomaly("tcp_syn_flood")])
    assert FORTIGATE_DOS in fired([fortigate_anomaly("tcp_src_session")])
    assert FORTIGATE_DOS not in fired([fortigate_anomaly("tcp_port_scan")])
    assert FORTIGATE_DOS not in fired([{**fortigate_anomaly("tcp_syn_flood"), "type": "traffic"}])


def test_internal_port_scan() -> None:
    ports = (22, 135, 139, 445, 1433, 3389, 5985, 104, 2575, 11112)
    scan = [fortigate_traffic("10.50.3.201", "10.10.0.20", p, "deny", i) for i, p in enumerate(ports)]
    assert INTERNAL_SCAN in fired(scan)
    # Close negatives: allowed sessions, 7 ports, the same scan from the internet (perimeter noise).
    assert INTERNAL_SCAN not in fired([{**e, "event.action": "close", "action": "close"} for e in scan])
    assert INTERNAL_SCAN not in fired(scan[:7])
    outside = [fortigate_traffic("45.133.1.70", "10.10.0.20", p, "deny", i) for i, p in enumerate(ports)]
    assert INTERNAL_SCAN not in fired(outside)
    retries = [fortigate_traffic("10.50.3.201", "10.10.0.20", 445, "deny", i) for i in range(50)]
    assert INTERNAL_SCAN not in fired(retries)


def syslog_line(service: str, message: str) -> dict[str, Any]:
    return {"event.module": "syslog", "event.dataset": f"syslog.{service}", "message": message}


def test_single_board_computer_dhcp_lease() -> None:
    pi = "DHCPACK on 10.50.3.201 to b8:27:eb:4c:11:9a (raspberrypi) via 10.50.0.1"
    assert BOARD_DHCP in fired([syslog_line("dhcpd", pi)])
    renamed = "DHCPACK on 10.50.3.201 to dc:a6:32:01:02:03 (WS-URG-0003) via 10.50.0.1"
    assert BOARD_DHCP in fired([syslog_line("dhcpd", renamed)])
    kali = "DHCPACK on 10.50.3.202 to 3c:52:82:11:22:33 (kali) via 10.50.0.1"
    assert BOARD_DHCP in fired([syslog_line("dhcpd", kali)])
    printer = "DHCPACK on 10.40.0.12 to 00:17:c8:04:89:a6 (PRN-002) via 10.40.0.1"
    assert BOARD_DHCP not in fired([syslog_line("dhcpd", printer)])
    # Not a lease: an offer is only the server's proposal (the ACK follows).
    assert BOARD_DHCP not in fired([syslog_line("dhcpd", pi.replace("DHCPACK", "DHCPOFFER"))])


def test_single_board_computer_on_the_wifi() -> None:
    auth = (
        "<522008> <NOTI> |authmgr| User Authentication Successful: username=aguerin MAC=b8:27:eb:4c:11:9a "
        "IP=10.50.3.201 role=staff VLAN=50 AP=AP-URG-03 SSID=CHU-SOINS auth method=802.1x"
    )
    assert BOARD_WIFI in fired([syslog_line("authmgr", auth)])
    assert BOARD_WIFI not in fired([syslog_line("authmgr", auth.replace("MAC=b8:27:eb", "MAC=00:a0:f8"))])
    assert BOARD_WIFI not in fired([syslog_line("authmgr", auth.replace("Successful", "Failed"))])


def backup_report(result: str, objects: str, processed: str, transferred: str) -> dict[str, Any]:
    return {
        "event.module": "kv",
        "event.dataset": "kv",
        "syslog.appname": "Veeam_MP",
        "JobType": "Backup",
        "Result": result,
        "ObjectsProcessed": objects,
        "ProcessedSizeGB": processed,
        "TransferredSizeGB": transferred,
    }


def test_backup_job_with_nothing_backed_up() -> None:
    assert BACKUP_EMPTY in fired([backup_report("Success", "0", "0.0", "0.0")])
    assert BACKUP_EMPTY in fired([backup_report("Warning", "0", "0", "0")])
    # An incremental with no change transfers nothing but processes its objects.
    assert BACKUP_EMPTY not in fired([backup_report("Success", "2", "60.2", "0.0")])
    assert BACKUP_EMPTY not in fired([backup_report("Success", "1", "645.0", "17.1")])
    assert BACKUP_FAILED in fired([backup_report("Failed", "0", "0", "0")])
    assert BACKUP_FAILED not in fired([backup_report("Success", "1", "645.0", "17.1")])
    # Another key=value source with a Result field but no backup job type.
    assert fired([{**backup_report("Success", "0", "0", "0"), "JobType": ""}]) == set()


def veeam_session(result: int, objects: int, processed: int, transferred: int, job_type: int = 0) -> bytes:
    """A job session as Get-VBRBackupSession | ConvertTo-Json writes it (enums as numbers, bytes)."""
    return orjson.dumps(
        {
            "JobType": job_type,
            "JobName": "DPI-SQL-Nightly",
            "JobId": "5a3c7d1e-8f2b-4c6a-9e1d-2b7f4a6c8e0d",
            "Id": f"0f6e2d4c-1b3a-4958-8776-{result}{objects}{processed:011d}",
            "CreationTimeUTC": "/Date(1795917600000)/",
            "EndTimeUTC": "/Date(1795919412000)/",
            "Result": result,
            "State": -1,
            "Progress": {
                "ProcessedObjects": objects,
                "TotalObjects": objects,
                "ProcessedSize": processed,
                "TransferedSize": transferred,
                "Percents": 100,
            },
        }
    )


def fired_on_file(data: bytes) -> set[str]:
    chunks = list(JsonLinesParser().parse(io.BytesIO(data), "/logs/veeam-sessions.json"))
    assert [r.reason for c in chunks for r in c.rejects] == []
    service = DetectionService(engine(), InMemoryAlertStore())
    return {a.rule_id for c in chunks for a in service.process(c.events)}


def test_backup_rules_on_veeam_job_sessions_as_json() -> None:
    assert fired_on_file(veeam_session(result=2, objects=0, processed=0, transferred=0)) == {BACKUP_FAILED}
    assert fired_on_file(veeam_session(result=0, objects=0, processed=0, transferred=0)) == {BACKUP_EMPTY}
    assert fired_on_file(veeam_session(result=1, objects=1, processed=0, transferred=0)) == {BACKUP_EMPTY}
    # Close negatives: a good night, a quiet incremental, a failed replica (not a backup job).
    assert fired_on_file(veeam_session(result=0, objects=2, processed=644245094400, transferred=18253611008)) == set()
    assert fired_on_file(veeam_session(result=0, objects=2, processed=644245094400, transferred=0)) == set()
    assert fired_on_file(veeam_session(result=2, objects=0, processed=0, transferred=0, job_type=1)) == set()


def proxy(method: str, category: str) -> dict[str, Any]:
    return {
        "event.module": "cef",
        "event.dataset": "cef.acme_securewebproxy",
        "event.category": category,
        "http.request.method": method,
        "url.full": "https://chu-x-securite.com/owa/auth/owaauth.dll",
        "url.domain": "chu-x-securite.com",
        "user.name": "nurse",
    }


def test_form_posted_to_a_newly_registered_domain() -> None:
    assert PHISH_POST in fired([proxy("POST", "Newly Registered Domains")])
    assert PHISH_POST in fired([proxy("POST", "newly-registered-domain")])
    assert PHISH_POST not in fired([proxy("GET", "Newly Registered Domains")])
    assert PHISH_POST not in fired([proxy("POST", "Health and Wellness")])


def vpn(user: str, country: str, action: str, minutes: float) -> dict[str, Any]:
    return {
        "event.module": "fortinet",
        "event.dataset": "fortigate.event",
        "event.action": action,
        "type": "event",
        "subtype": "vpn",
        "action": action,
        "user": user,
        "srccountry": country,
        "@timestamp": T0 + timedelta(minutes=minutes),
    }


def test_vpn_impossible_travel() -> None:
    travel = [vpn("pdumas", "France", "tunnel-up", 0), vpn("pdumas", "Russian Federation", "tunnel-up", 70)]
    assert VPN_TRAVEL in fired(travel)
    # Close negatives: the same country, two countries 3 hours apart, two users, a failed try from abroad.
    assert VPN_TRAVEL not in fired([vpn("pdumas", "France", "tunnel-up", 0), vpn("pdumas", "France", "tunnel-up", 70)])
    assert VPN_TRAVEL not in fired([travel[0], vpn("pdumas", "Russian Federation", "tunnel-up", 180)])
    assert VPN_TRAVEL not in fired([travel[0], vpn("jmartin", "Russian Federation", "tunnel-up", 70)])
    assert VPN_TRAVEL not in fired([travel[0], vpn("pdumas", "Nigeria", "ssl-login-fail", 70)])
    assert VPN_TRAVEL not in fired([travel[0], vpn("pdumas", "Reserved", "tunnel-up", 70)])
