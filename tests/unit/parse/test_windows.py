"""Windows Security and Sysmon events mapped onto the schema, whatever their carrier."""

from __future__ import annotations

import orjson
import pytest

from garde.parse.evtx import flatten_event
from garde.parse.windows import dataset_for, schema_fields, winlog_original

SYSMON = "Microsoft-Windows-Sysmon/Operational"
AUDIT_SUCCESS = "0x8020000000000000"
AUDIT_FAILURE = "0x8010000000000000"


def system(channel: str, code: str, **extra: str) -> dict[str, str]:
    provider = "Microsoft-Windows-Sysmon" if channel == SYSMON else "Microsoft-Windows-Security-Auditing"
    out = {
        "winlog.channel": channel,
        "winlog.event_id": code,
        "winlog.provider_name": provider,
        "winlog.computer_name": "WS-ICU-04.chu.local",
        "winlog.level": "0" if channel == "Security" else "4",
    }
    out.update(extra)
    return out


def present(fields: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in fields.items() if v is not None}


def test_4624_successful_logon() -> None:
    data = {
        "SubjectUserSid": "S-1-5-18",
        "SubjectUserName": "WS-ICU-04$",
        "SubjectDomainName": "CHU",
        "TargetUserSid": "S-1-5-21-1-1001",
        "TargetUserName": "alice",
        "TargetDomainName": "CHU",
        "LogonType": "3",
        "ProcessId": "0x1f4",
        "ProcessName": "C:\\Windows\\System32\\lsass.exe",
        "IpAddress": "10.2.4.17",
        "IpPort": "51234",
    }
    fields = schema_fields(system("Security", "4624", **{"winlog.keywords": AUDIT_SUCCESS}), data)
    assert present(fields) == {
        "event.dataset": "windows.security",
        "event.module": "windows",
        "event.provider": "Microsoft-Windows-Security-Auditing",
        "event.code": "4624",
        "event.kind": "event",
        "event.category": "authentication",
        "event.action": "logged-in",
        "event.outcome": "success",
        "host.name": "WS-ICU-04.chu.local",
        "log.level": "information",
        "user.name": "alice",  # a logon's user is the account logging on, not the subject
        "user.domain": "CHU",
        "user.id": "S-1-5-21-1-1001",
        "source.ip": "10.2.4.17",
        "source.port": "51234",
        "process.executable": "C:\\Windows\\System32\\lsass.exe",
        "process.name": "lsass.exe",
        "process.pid": 500,  # hex
    }


def test_4625_failed_logon_with_no_value_markers() -> None:
    data = {
        "SubjectUserSid": "S-1-0-0",
        "SubjectUserName": "-",
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": "bob",
        "TargetDomainName": "CHU",
        "Status": "0xc000006d",
        "LogonType": "3",
        "ProcessId": "0x0",
        "ProcessName": "-",
        "IpAddress": "-",
        "IpPort": "-",
        "WorkstationName": "%%1793",
    }
    fields = schema_fields(system("Security", "4625", **{"winlog.keywords": AUDIT_FAILURE}), data)
    assert fields["event.outcome"] == "failure"
    assert fields["event.category"] == "authentication"
    assert fields["event.action"] == "logon-failed"
    assert fields["user.name"] == "bob"
    assert fields["user.id"] == "S-1-0-0"
    # "-" is Windows' "no value": never a value in the schema
    assert fields["source.ip"] is None
    assert fields["source.port"] is None
    assert "process.executable" not in fields
    assert fields["process.pid"] == 0


def test_4625_is_a_failure_even_without_keywords() -> None:
    fields = schema_fields(system("Security", "4625"), {"TargetUserName": "bob"})
    assert fields["event.outcome"] == "failure"


def test_4688_process_creation() -> None:
    data = {
        "SubjectUserSid": "S-1-5-21-1-1001",
        "SubjectUserName": "alice",
        "SubjectDomainName": "CHU",
        "NewProcessId": "0xea0",
        "NewProcessName": "C:\\Windows\\System32\\vssadmin.exe",
        "ProcessId": "0x1e8",
        "CommandLine": "vssadmin delete shadows /all /quiet",
        "TargetUserName": "-",
        "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
    }
    fields = schema_fields(system("Security", "4688", **{"winlog.keywords": AUDIT_SUCCESS}), data)
    assert fields["event.category"] == "process"
    assert fields["event.action"] == "created-process"
    assert fields["event.outcome"] == "success"
    assert fields["user.name"] == "alice"
    assert fields["user.domain"] == "CHU"
    assert fields["user.id"] == "S-1-5-21-1-1001"
    assert fields["user.target.name"] is None  # "-"
    assert fields["process.executable"] == "C:\\Windows\\System32\\vssadmin.exe"
    assert fields["process.name"] == "vssadmin.exe"
    assert fields["process.command_line"] == "vssadmin delete shadows /all /quiet"
    assert fields["process.parent.executable"] == "C:\\Windows\\System32\\cmd.exe"


def test_4688_pid_is_the_new_process() -> None:
    data = {"NewProcessId": "0xea0", "NewProcessName": "C:\\Windows\\x.exe", "ProcessId": "0x1e8"}
    assert schema_fields(system("Security", "4688"), data)["process.pid"] == 3744


def test_4720_account_created() -> None:
    data = {
        "TargetUserName": "backdoor",
        "TargetDomainName": "CHU",
        "TargetSid": "S-1-5-21-1-1666",
        "SubjectUserSid": "S-1-5-21-1-500",
        "SubjectUserName": "admin",
        "SubjectDomainName": "CHU",
        "DisplayName": "%%1793",
        "PrivilegeList": "-",
    }
    fields = schema_fields(system("Security", "4720", **{"winlog.keywords": AUDIT_SUCCESS}), data)
    assert fields["event.category"] == "iam"
    assert fields["event.action"] == "added-user-account"
    assert fields["event.outcome"] == "success"
    assert fields["user.name"] == "admin"  # who acted
    assert fields["user.domain"] == "CHU"
    assert fields["user.id"] == "S-1-5-21-1-500"
    assert fields["user.target.name"] == "backdoor"  # who was acted upon


def test_sysmon_1_process_create() -> None:
    data = {
        "RuleName": "-",
        "UtcTime": "2026-11-28 02:30:00.123",
        "ProcessGuid": "{A57649D1-DB54-61AB-775C-DC0100000000}",
        "ProcessId": "2124",
        "Image": "C:\\TOOLS\\PsExec64.exe",
        "CommandLine": "PsExec64.exe -i -s cmd",
        "User": "CHU\\alice",
        "ParentProcessId": "532",
        "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "ParentCommandLine": '"C:\\Windows\\system32\\cmd.exe" ',
    }
    fields = schema_fields(system(SYSMON, "1", **{"winlog.user.identifier": "S-1-5-18"}), data)
    assert fields["event.dataset"] == "windows.sysmon_operational"
    assert fields["event.module"] == "sysmon"
    assert fields["event.provider"] == "Microsoft-Windows-Sysmon"
    assert fields["event.category"] == "process"
    assert fields["event.action"] == "process-created"
    assert fields["log.level"] == "information"
    assert fields["user.name"] == "alice"
    assert fields["user.domain"] == "CHU"
    assert fields["process.pid"] == 2124
    assert fields["process.executable"] == "C:\\TOOLS\\PsExec64.exe"
    assert fields["process.name"] == "PsExec64.exe"
    assert fields["process.command_line"] == "PsExec64.exe -i -s cmd"
    assert fields["process.parent.executable"] == "C:\\Windows\\System32\\cmd.exe"
    assert fields["process.parent.command_line"] == '"C:\\Windows\\system32\\cmd.exe" '
    assert "event.outcome" not in fields


def test_sysmon_3_network_connection() -> None:
    data = {
        "Image": "C:\\Windows\\System32\\svchost.exe",
        "ProcessId": "1044",
        "User": "NT AUTHORITY\\NETWORK SERVICE",
        "Protocol": "tcp",
        "SourceIp": "10.2.4.17",
        "SourcePort": "51234",
        "DestinationIp": "10.0.0.10",
        "DestinationPort": "445",
    }
    fields = schema_fields(system(SYSMON, "3"), data)
    assert fields["event.category"] == "network"
    assert fields["event.action"] == "network-connection"
    assert fields["network.transport"] == "tcp"
    assert fields["source.ip"] == "10.2.4.17"
    assert fields["source.port"] == "51234"
    assert fields["destination.ip"] == "10.0.0.10"
    assert fields["destination.port"] == "445"
    assert fields["user.name"] == "NETWORK SERVICE"
    assert fields["user.domain"] == "NT AUTHORITY"
    assert fields["process.name"] == "svchost.exe"


def test_sysmon_11_file_created() -> None:
    data = {
        "Image": "C:\\Users\\alice\\Downloads\\invoice.exe",
        "ProcessId": "0x10",
        "TargetFilename": "C:\\Users\\alice\\Documents\\dossier.pdf.locked",
    }
    fields = schema_fields(system(SYSMON, "11"), data)
    assert fields["event.category"] == "file"
    assert fields["event.action"] == "file-created"
    assert fields["file.path"] == "C:\\Users\\alice\\Documents\\dossier.pdf.locked"
    assert fields["file.name"] == "dossier.pdf.locked"
    assert fields["process.pid"] == 16
    assert fields["process.name"] == "invoice.exe"


def test_sysmon_22_dns_query() -> None:
    data = {
        "QueryName": "evil.example.org",
        "QueryStatus": "0",
        "QueryResults": "::ffff:203.0.113.7;",
        "Image": "C:\\Program Files\\App\\updater.exe",
        "ProcessId": "4242",
        "User": "alice",
    }
    fields = schema_fields(system(SYSMON, "22"), data)
    assert fields["event.category"] == "network"
    assert fields["event.action"] == "dns-query"
    assert fields["url.domain"] == "evil.example.org"
    assert fields["process.name"] == "updater.exe"
    assert fields["user.name"] == "alice"
    assert fields["user.domain"] is None  # no backslash: no domain


def test_query_name_is_only_a_domain_for_sysmon() -> None:
    fields = schema_fields(system("Security", "4624"), {"QueryName": "x.example", "Protocol": "tcp"})
    assert "url.domain" not in fields
    assert "network.transport" not in fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0x1f4", 500), ("0X1F4", 500), ("500", 500), ("0x0", 0), ("0xZZ", None), ("abc", None), ("-", None)],
)
def test_pids_hex_or_decimal(value: str, expected: int | None) -> None:
    assert schema_fields(system(SYSMON, "1"), {"ProcessId": value})["process.pid"] == expected


@pytest.mark.parametrize(
    ("user", "name", "domain"),
    [
        ("CHU\\alice", "alice", "CHU"),
        ("NT AUTHORITY\\SYSTEM", "SYSTEM", "NT AUTHORITY"),
        ("alice", "alice", None),
        ("A\\B\\carol", "carol", "A\\B"),
    ],
)
def test_domain_backslash_user_is_split(user: str, name: str, domain: str | None) -> None:
    fields = schema_fields(system(SYSMON, "1"), {"User": user})
    assert (fields["user.name"], fields["user.domain"]) == (name, domain)


def test_subject_wins_over_the_user_field() -> None:
    fields = schema_fields(system(SYSMON, "1"), {"User": "CHU\\alice", "SubjectUserName": "bob"})
    assert fields["user.name"] == "bob"


@pytest.mark.parametrize("marker", ["-", "", "%%1793"])
def test_no_value_markers_never_reach_the_schema(marker: str) -> None:
    data = {"TargetUserName": marker, "IpAddress": marker, "TargetDomainName": marker}
    fields = schema_fields(system("Security", "4625"), data)
    assert fields["user.name"] is None
    assert fields["user.domain"] is None
    assert fields["source.ip"] is None


def test_4776_outcome_follows_its_status() -> None:
    ok = schema_fields(system("Security", "4776"), {"Status": "0x0", "TargetUserName": "alice"})
    bad = schema_fields(system("Security", "4776"), {"Status": "0xc0000064", "TargetUserName": "alice"})
    assert "event.outcome" not in ok
    assert bad["event.outcome"] == "failure"


def test_unknown_event_and_channel() -> None:
    fields = schema_fields({"winlog.event_id": "9999"}, {})
    assert fields["event.dataset"] == "windows.unknown"
    assert fields["event.code"] == "9999"
    assert "event.category" not in fields
    assert fields["log.level"] is None


def test_channel_lookup_is_case_insensitive() -> None:
    fields = schema_fields(system("SECURITY", "4624"), {})
    assert fields["event.action"] == "logged-in"
    assert fields["event.dataset"] == "windows.security"


@pytest.mark.parametrize(
    ("channel", "dataset"),
    [
        ("Security", "windows.security"),
        (SYSMON, "windows.sysmon_operational"),
        ("Microsoft-Windows-PowerShell/Operational", "windows.powershell_operational"),
        ("Windows PowerShell", "windows.windows_powershell"),
        ("///", "windows.unknown"),
    ],
)
def test_dataset_for_channel(channel: str, dataset: str) -> None:
    assert dataset_for(channel) == dataset


def test_winlog_original_prefixes_event_data() -> None:
    out = orjson.loads(winlog_original({"winlog.channel": "Security"}, {"LogonType": "3"}))
    assert out == {"winlog.channel": "Security", "winlog.event_data.LogonType": "3"}


def test_evtx_style_document_through_flatten_event() -> None:
    doc = {
        "Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing", "Guid": "{5484}"}},
                "EventID": 4625,
                "Version": 0,
                "Level": 0,
                "Keywords": AUDIT_FAILURE,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-28T02:10:00.123456Z"}},
                "EventRecordID": 42,
                "Execution": {"#attributes": {"ProcessID": 584, "ThreadID": 5600}},
                "Channel": "Security",
                "Computer": "DC01.chu.local",
                "Security": None,
            },
            "EventData": {"TargetUserName": "alice", "LogonType": 3, "IpAddress": "10.30.8.77"},
        }
    }
    sysf, data = flatten_event(doc)
    assert sysf == {
        "winlog.provider_name": "Microsoft-Windows-Security-Auditing",
        "winlog.provider_guid": "{5484}",
        "winlog.event_id": "4625",
        "winlog.version": "0",
        "winlog.level": "0",
        "winlog.keywords": AUDIT_FAILURE,
        "winlog.time_created": "2026-11-28T02:10:00.123456Z",
        "winlog.record_id": "42",
        "winlog.process.pid": "584",
        "winlog.process.thread.id": "5600",
        "winlog.channel": "Security",
        "winlog.computer_name": "DC01.chu.local",
    }
    assert data == {"TargetUserName": "alice", "LogonType": "3", "IpAddress": "10.30.8.77"}
    fields = schema_fields(sysf, data)
    assert fields["event.outcome"] == "failure"
    assert fields["user.name"] == "alice"
    assert fields["source.ip"] == "10.30.8.77"


def test_flatten_event_unnamed_data_and_qualified_event_id() -> None:
    doc = {
        "Event": {
            "System": {"EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7036}, "Channel": "System"},
            "EventData": {"Data": ["Windows Update", "running"]},
        }
    }
    sysf, data = flatten_event(doc)
    assert sysf["winlog.event_id"] == "7036"
    assert data == {"param1": "Windows Update", "param2": "running"}
    assert schema_fields(sysf, data)["event.action"] == "service-state-changed"


def test_flatten_event_user_data() -> None:
    doc = {
        "Event": {
            "System": {"EventID": 1102, "Channel": "Security"},
            "UserData": {"LogFileCleared": {"#attributes": {"xmlns": "x"}, "SubjectUserName": "eve"}},
        }
    }
    sysf, data = flatten_event(doc)
    assert data == {"SubjectUserName": "eve"}
    fields = schema_fields(sysf, data)
    assert fields["event.action"] == "audit-log-cleared"
    assert fields["user.name"] == "eve"


def test_sysmon_user_id_is_not_the_service_account_that_wrote_the_record() -> None:
    data = {"Image": "C:\\Windows\\System32\\cmd.exe", "User": "CHU\\alice", "ProcessId": "1"}
    fields = schema_fields(system(SYSMON, "1", **{"winlog.user.identifier": "S-1-5-18"}), data)
    assert (fields["user.name"], fields["user.id"]) == ("alice", None)
