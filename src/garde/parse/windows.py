"""Windows events, whatever their carrier (EVTX, Winlogbeat, NXLog, evtx-style JSON).

Every carrier is first flattened to Winlogbeat's names (``winlog.channel``, ``winlog.event_id``,
``winlog.event_data.<Name>``...); this module then maps those onto the event schema. One mapping
for every carrier means one set of Sigma field mappings and one set of tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

LOGON_EVENTS = frozenset({"4624", "4625", "4634", "4647", "4648", "4768", "4769", "4771", "4776", "4778", "4779"})
FAILURE_EVENTS = frozenset({"4625", "4771"})
_SYSMON = "microsoft-windows-sysmon/operational"

# (channel, event id) -> (event.category, event.action). Channel "" means any channel.
_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("security", "4624"): ("authentication", "logged-in"),
    ("security", "4625"): ("authentication", "logon-failed"),
    ("security", "4634"): ("authentication", "logged-off"),
    ("security", "4647"): ("authentication", "logged-off"),
    ("security", "4648"): ("authentication", "logged-in-explicit"),
    ("security", "4672"): ("iam", "logged-in-special"),
    ("security", "4688"): ("process", "created-process"),
    ("security", "4689"): ("process", "exited-process"),
    ("security", "4697"): ("configuration", "service-installed"),
    ("security", "4698"): ("configuration", "scheduled-task-created"),
    ("security", "4720"): ("iam", "added-user-account"),
    ("security", "4722"): ("iam", "enabled-user-account"),
    ("security", "4724"): ("iam", "reset-password"),
    ("security", "4725"): ("iam", "disabled-user-account"),
    ("security", "4726"): ("iam", "deleted-user-account"),
    ("security", "4728"): ("iam", "added-member-to-group"),
    ("security", "4732"): ("iam", "added-member-to-group"),
    ("security", "4756"): ("iam", "added-member-to-group"),
    ("security", "4740"): ("iam", "locked-out-user-account"),
    ("security", "4768"): ("authentication", "kerberos-authentication-ticket-requested"),
    ("security", "4769"): ("authentication", "kerberos-service-ticket-requested"),
    ("security", "4771"): ("authentication", "kerberos-preauth-failed"),
    ("security", "4776"): ("authentication", "credential-validated"),
    ("security", "4663"): ("file", "object-access-attempted"),
    ("security", "5140"): ("network", "network-share-accessed"),
    ("security", "5145"): ("network", "network-share-object-checked"),
    ("security", "5156"): ("network", "connection-allowed"),
    ("security", "1102"): ("configuration", "audit-log-cleared"),
    ("system", "104"): ("configuration", "event-log-cleared"),
    ("system", "7045"): ("configuration", "service-installed"),
    ("system", "7036"): ("configuration", "service-state-changed"),
    (_SYSMON, "1"): ("process", "process-created"),
    (_SYSMON, "3"): ("network", "network-connection"),
    (_SYSMON, "5"): ("process", "process-terminated"),
    (_SYSMON, "6"): ("driver", "driver-loaded"),
    (_SYSMON, "7"): ("process", "image-loaded"),
    (_SYSMON, "8"): ("process", "create-remote-thread"),
    (_SYSMON, "10"): ("process", "process-accessed"),
    (_SYSMON, "11"): ("file", "file-created"),
    (_SYSMON, "12"): ("registry", "registry-object-added-or-deleted"),
    (_SYSMON, "13"): ("registry", "registry-value-set"),
    (_SYSMON, "15"): ("file", "file-stream-created"),
    (_SYSMON, "17"): ("process", "pipe-created"),
    (_SYSMON, "22"): ("network", "dns-query"),
    (_SYSMON, "23"): ("file", "file-deleted"),
    ("microsoft-windows-powershell/operational", "4104"): ("process", "script-block-logged"),
    ("microsoft-windows-powershell/operational", "4103"): ("process", "module-logged"),
    ("windows powershell", "400"): ("process", "engine-started"),
}
_LEVELS = {"0": "information", "1": "critical", "2": "error", "3": "warning", "4": "information", "5": "verbose"}
_AUDIT_FAILURE = "0x8010000000000000"
_AUDIT_SUCCESS = "0x8020000000000000"


EVENT_DATA_PREFIX = "winlog.event_data."


def winlog_original(system: Mapping[str, str], event_data: Mapping[str, str]) -> str:
    """The ``original`` JSON of a Windows event: system fields, then event data prefixed."""
    merged = dict(system)
    for key, value in event_data.items():
        merged[EVENT_DATA_PREFIX + key] = value
    return orjson.dumps(merged).decode()


def dataset_for(channel: str) -> str:
    """``Microsoft-Windows-Sysmon/Operational`` -> ``windows.sysmon_operational``."""
    name = channel.lower().removeprefix("microsoft-windows-")
    return "windows." + (_NON_ALNUM.sub("_", name).strip("_") or "unknown")


_EMPTY = frozenset({"-", "", "%%1793"})  # how Windows writes "no value"


def _basename(path: str | None) -> str | None:
    if not path:
        return None
    return path.replace("/", "\\").rsplit("\\", 1)[-1] or None


def _pid(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


def _split_account(value: str | None) -> tuple[str | None, str | None]:
    """``CHU\\alice`` -> (alice, CHU)."""
    if not value:
        return None, None
    domain, sep, name = value.rpartition("\\")
    return (name, domain) if sep else (value, None)


def schema_fields(w: Mapping[str, Any], event_data: Mapping[str, str]) -> dict[str, Any]:
    """Schema fields of a Windows event: ``w`` holds the ``winlog.*`` system fields (flattened,
    Winlogbeat names), ``event_data`` the EventData/UserData values without their prefix."""
    get = w.get
    channel: str = get("winlog.channel") or ""
    code: str = get("winlog.event_id") or ""
    chan = channel.lower()
    # The event data without its prefix and without Windows' "no value" markers.
    ed = {k: v for k, v in event_data.items() if v not in _EMPTY}.get

    fields: dict[str, Any] = {
        "event.dataset": dataset_for(channel) if channel else "windows.unknown",
        "event.module": "sysmon" if chan == _SYSMON else "windows",
        "event.provider": get("winlog.provider_name"),
        "event.code": code or None,
        "event.kind": "event",
        "host.name": get("winlog.computer_name"),
        "log.level": _LEVELS.get(get("winlog.level") or ""),
    }
    category_action = _ACTIONS.get((chan, code))
    if category_action:
        fields["event.category"], fields["event.action"] = category_action
    keywords = get("winlog.keywords") or ""
    failed_validation = code == "4776" and (ed("Status") or "0x0") != "0x0"
    if code in FAILURE_EVENTS or keywords == _AUDIT_FAILURE or failed_validation:
        fields["event.outcome"] = "failure"
    elif keywords == _AUDIT_SUCCESS or code == "4624":
        fields["event.outcome"] = "success"

    # Who acted: for logons, the account logging on; otherwise the subject.
    if code in LOGON_EVENTS and chan == "security":
        fields["user.name"] = ed("TargetUserName")
        fields["user.domain"] = ed("TargetDomainName")
        fields["user.id"] = ed("TargetUserSid")
    else:
        name, domain = _split_account(ed("User"))
        fields["user.name"] = ed("SubjectUserName") or name or ed("AccountName")
        fields["user.domain"] = ed("SubjectDomainName") or domain
        # The record's own UserID is the account that wrote it (SYSTEM for Sysmon), not the actor.
        fields["user.id"] = ed("SubjectUserSid") or (None if chan == _SYSMON else get("winlog.user.identifier"))
        fields["user.target.name"] = ed("TargetUserName") or ed("MemberName")

    fields["source.ip"] = ed("IpAddress") or ed("SourceIp") or ed("SourceAddress") or ed("ClientAddress")
    fields["source.port"] = ed("IpPort") or ed("SourcePort")
    fields["destination.ip"] = ed("DestinationIp") or ed("DestAddress")
    fields["destination.port"] = ed("DestinationPort") or ed("DestPort")
    if chan == _SYSMON:
        fields["network.transport"] = ed("Protocol")
        fields["url.domain"] = ed("QueryName")

    executable = ed("Image") or ed("NewProcessName") or ed("ProcessName") or ed("ImagePath")
    if executable:
        fields["process.executable"] = executable
        fields["process.name"] = _basename(executable)
    # In 4688 ProcessId is the creator; the new process is NewProcessId.
    fields["process.pid"] = _pid(ed("NewProcessId") or ed("ProcessId"))
    fields["process.command_line"] = ed("CommandLine") or ed("ScriptBlockText")
    fields["process.parent.executable"] = ed("ParentImage") or ed("ParentProcessName")
    fields["process.parent.command_line"] = ed("ParentCommandLine")

    file_path = ed("TargetFilename") or (ed("ObjectName") if code == "4663" else None)
    if file_path:
        fields["file.path"] = file_path
        fields["file.name"] = _basename(file_path)
    return fields
