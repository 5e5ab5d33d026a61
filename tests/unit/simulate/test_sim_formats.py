"""Records are in the formats real systems emit, marked as demo data, and attacks look the part."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

from simhelpers import Records

SYSLOG = re.compile(
    r'^<\d{1,3}>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ \S+ \S+ \S+ \[garde@32473 simid="[^"]+" demo="true"\] '
)
KV = re.compile(r'(\w+)=("[^"]*"|\S+)')
CHANNELS = {"winsec": "Security", "winsys": "System", "sysmon": "Microsoft-Windows-Sysmon/Operational"}


def test_winlogbeat_records_have_the_real_field_names(hospital: Records) -> None:
    for source, channel in CHANNELS.items():
        for rec in hospital.json(source)[:500]:
            assert rec["winlog"]["channel"] == channel
            assert rec["event"]["code"] == rec["winlog"]["event_id"]
            assert rec["host"]["name"].endswith(".chu-demo.local")
            assert rec["@timestamp"].endswith("Z")
            assert rec["labels"]["demo"] == "true"
            assert isinstance(rec["winlog"]["event_data"], dict)


def test_syslog_sources_are_rfc5424_with_the_demo_element(hospital: Records) -> None:
    for source in ("firewall", "vpn", "proxy", "dhcp", "wifi", "mail", "atna", "backup"):
        lines = hospital.lines(source)
        assert lines, source
        for line in lines[:300]:
            assert SYSLOG.match(line), (source, line[:160])


def test_fortigate_and_cef_payloads(hospital: Records) -> None:
    for line in hospital.lines("firewall")[:200] + hospital.lines("vpn"):
        fields = dict(KV.findall(line.split("] ", 1)[1]))
        assert {"date", "time", "devname", "logid", "type", "subtype"} <= fields.keys()
    for line in hospital.lines("proxy")[:200]:
        cef = line.split("] ", 1)[1]
        assert cef.startswith("CEF:0|")
        assert len(cef.split("|", 7)) == 8
        simid = re.search(r'simid="([^"]+)"', line)
        assert simid
        assert f"externalId={simid.group(1)} " in cef


def test_fhir_audit_events_and_atna_xml(hospital: Records) -> None:
    for rec in hospital.json("ehr_fhir")[:300]:
        assert rec["resourceType"] == "AuditEvent"
        assert rec["recorded"].endswith("Z")
        assert rec["agent"][0]["who"]["identifier"]["value"]
        assert rec["meta"]["tag"][0]["code"] == "demo"
        if rec["type"]["code"] == "rest":
            assert rec["entity"][0]["what"]["reference"].startswith("Patient/")
    for line in hospital.lines("atna")[:200]:
        xml = line.split("] ", 1)[1]
        root = ET.fromstring(xml.encode())
        assert root.tag == "AuditMessage"
        assert root.find("EventIdentification/EventID").get("csd-code") in {"110103", "110112", "110110", "110114"}


def _sysmon1(hospital: Records) -> list[dict[str, str]]:
    return [rec["winlog"]["event_data"] for rec in hospital.json("sysmon") if rec["winlog"]["event_id"] == "1"]


def test_ransomware_steps_match_what_sigma_rules_look_for(hospital: Records) -> None:
    procs = _sysmon1(hospital)

    def seen(image_end: str, *parts: str) -> bool:
        return any(
            p["Image"].lower().endswith(image_end) and all(x in p["CommandLine"].lower() for x in parts) for p in procs
        )

    assert seen("\\vssadmin.exe", "delete", "shadows", "/all", "/quiet")
    assert seen("\\wbadmin.exe", "delete", "catalog", "-quiet")
    assert seen("\\bcdedit.exe", "recoveryenabled", "no")
    assert any(
        p["ParentImage"].endswith("WINWORD.EXE")
        and p["Image"].endswith("powershell.exe")
        and " -enc " in p["CommandLine"]
        for p in procs
    )
    assert any(p["Image"].endswith("PSEXESVC.exe") for p in procs)
    services = [rec["winlog"]["event_data"].get("ServiceName") for rec in hospital.json("winsys")]
    stopped = [rec["winlog"]["event_data"] for rec in hospital.json("winsys") if rec["winlog"]["event_id"] == "7036"]
    assert {"param1": "Veeam Backup Service", "param2": "stopped"}.items() <= next(
        d for d in stopped if d["param1"].startswith("Veeam")
    ).items()
    assert "PSEXESVC" in services
    locked = [
        rec
        for rec in hospital.json("sysmon")
        if rec["winlog"]["event_id"] == "11" and rec["winlog"]["event_data"]["TargetFilename"].endswith(".chudemo-lock")
    ]
    assert len(locked) >= 100
    lateral = [
        rec
        for rec in hospital.json("winsec")
        if rec["winlog"]["event_id"] == "4624"
        and rec["winlog"]["event_data"]["LogonType"] == "3"
        and rec["winlog"]["event_data"]["AuthenticationPackageName"] == "NTLM"
    ]
    assert lateral


def test_password_spray_is_one_source_many_users(hospital: Records) -> None:
    users_by_ip: dict[str, set[str]] = defaultdict(set)
    for rec in hospital.json("winsec"):
        data = rec["winlog"]["event_data"]
        if rec["winlog"]["event_id"] == "4625" and data["SubStatus"] == "0xC000006A":
            users_by_ip[data["IpAddress"]].add(data["TargetUserName"])
    assert max(len(users) for users in users_by_ip.values()) >= 20


def test_impossible_travel_and_ddos_are_visible(hospital: Records) -> None:
    ups = [dict(KV.findall(line.split("] ", 1)[1])) for line in hospital.lines("vpn") if 'action="tunnel-up"' in line]
    countries_by_user: dict[str, set[str]] = defaultdict(set)
    for f in ups:
        countries_by_user[f["user"]].add(f["srccountry"])
    assert any(len(c) > 1 and '"France"' in c for c in countries_by_user.values())
    to_portal = Counter(
        dict(KV.findall(line.split("] ", 1)[1]))["srcip"]
        for line in hospital.lines("firewall")
        if "dstip=203.0.113.10 " in line
    )
    assert len(to_portal) > 500
    assert any('type="anomaly"' in line for line in hospital.lines("firewall"))
