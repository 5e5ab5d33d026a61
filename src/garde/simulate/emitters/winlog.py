"""Windows Security, System and Sysmon events as Winlogbeat 8 / Elastic Agent JSON.

Field names are Winlogbeat's own (``winlog.event_id``, ``winlog.channel``,
``winlog.event_data.*``), with ECS ``event.code``, ``host.name`` and ``@timestamp``.
"""

from __future__ import annotations

from typing import Any

import orjson

from garde.simulate.sources import Sink, record_number
from garde.simulate.timefmt import iso_us

SECURITY = "Security"
SYSTEM = "System"
SYSMON = "Microsoft-Windows-Sysmon/Operational"
_SEC_PROVIDER = "Microsoft-Windows-Security-Auditing"
_SYSMON_PROVIDER = "Microsoft-Windows-Sysmon"
_SCM_PROVIDER = "Service Control Manager"

# event id -> (action, category, outcome, task, message)
_META: dict[int, tuple[str, str, str, str, str]] = {
    4624: ("logged-in", "authentication", "success", "Logon", "An account was successfully logged on."),
    4625: ("logon-failed", "authentication", "failure", "Logon", "An account failed to log on."),
    4634: ("logged-out", "authentication", "success", "Logoff", "An account was logged off."),
    4647: ("logged-out", "authentication", "success", "Logoff", "User initiated logoff."),
    4648: (
        "logged-in-explicit",
        "authentication",
        "success",
        "Logon",
        "A logon was attempted using explicit credentials.",
    ),
    4672: ("logged-in-special", "iam", "success", "Special Logon", "Special privileges assigned to new logon."),
    4720: ("added-user-account", "iam", "success", "User Account Management", "A user account was created."),
    4724: (
        "reset-password",
        "iam",
        "success",
        "User Account Management",
        "An attempt was made to reset an account's password.",
    ),
    4740: ("locked-out-user-account", "iam", "success", "User Account Management", "A user account was locked out."),
    4768: (
        "kerberos-authentication-ticket-requested",
        "authentication",
        "success",
        "Kerberos Authentication Service",
        "A Kerberos authentication ticket (TGT) was requested.",
    ),
    4769: (
        "kerberos-service-ticket-requested",
        "authentication",
        "success",
        "Kerberos Service Ticket Operations",
        "A Kerberos service ticket was requested.",
    ),
    4776: (
        "credential-validated",
        "authentication",
        "success",
        "Credential Validation",
        "The computer attempted to validate the credentials for an account.",
    ),
    4800: (
        "workstation-locked",
        "authentication",
        "success",
        "Other Logon/Logoff Events",
        "The workstation was locked.",
    ),
    4801: (
        "workstation-unlocked",
        "authentication",
        "success",
        "Other Logon/Logoff Events",
        "The workstation was unlocked.",
    ),
    7036: ("service-state-changed", "configuration", "success", "None", "A service entered a new state."),
    7045: ("service-installed", "configuration", "success", "None", "A service was installed in the system."),
    1: (
        "Process Create (rule: ProcessCreate)",
        "process",
        "unknown",
        "Process Create (rule: ProcessCreate)",
        "Process Create",
    ),
    3: (
        "Network connection detected (rule: NetworkConnect)",
        "network",
        "unknown",
        "Network connection detected (rule: NetworkConnect)",
        "Network connection detected",
    ),
    11: ("File created (rule: FileCreate)", "file", "unknown", "File created (rule: FileCreate)", "File created"),
    22: ("Dns query (rule: DnsQuery)", "network", "unknown", "Dns query (rule: DnsQuery)", "Dns query"),
}
_FAIL_KEYWORDS = ["Audit Failure"]
_OK_KEYWORDS = ["Audit Success"]


def emit(sink: Sink, ms: int, fqdn: str, channel: str, event_id: int, data: dict[str, Any], us: int = 0) -> str:
    """Append one event to ``sink`` and return its sim id."""
    sim_id = sink.new_id()
    action, category, outcome, task, message = _META[event_id]
    if channel == SECURITY:
        provider = _SEC_PROVIDER
        keywords = _FAIL_KEYWORDS if outcome == "failure" else _OK_KEYWORDS
    elif channel == SYSMON:
        provider, keywords, outcome = _SYSMON_PROVIDER, None, "unknown"
    else:
        provider, keywords = _SCM_PROVIDER, ["Classic"]
    code = str(event_id)
    winlog: dict[str, Any] = {
        "channel": channel,
        "event_id": code,
        "provider_name": provider,
        "computer_name": fqdn,
        "record_id": record_number(sim_id),  # renumbered in file order with the sim id
        "task": task,
        "opcode": "Info",
        "api": "wineventlog",
        "event_data": data,
    }
    if keywords:
        winlog["keywords"] = keywords
    record = {
        "@timestamp": iso_us(ms, us),
        "agent": {"type": "winlogbeat", "version": "8.15.3", "name": fqdn.split(".", 1)[0].upper()},
        "ecs": {"version": "8.0.0"},
        "host": {
            "name": fqdn,
            "hostname": fqdn.split(".", 1)[0].upper(),
            "os": {"family": "windows", "platform": "windows"},
        },
        "event": {
            "code": code,
            "kind": "event",
            "provider": provider,
            "action": action,
            "category": [category],
            "outcome": outcome,
            "module": "sysmon" if channel == SYSMON else "security" if channel == SECURITY else "system",
        },
        "log": {"level": "information"},
        "message": message,
        "winlog": winlog,
        "labels": {"demo": "true", "garde_sim_id": sim_id},
        "tags": ["demo", "garde-simulator"],
    }
    sink.add(ms, orjson.dumps(record).decode())
    return sim_id


def guid(n: int) -> str:
    """A deterministic GUID-shaped value in Sysmon's brace form."""
    h = f"{(n * 2654435761) & 0xFFFFFFFFFFFFFFFFFFFFFFFF:024x}"
    return f"{{{h[:8]}-{(n >> 3) & 0xFFFF:04x}-{(n >> 5) & 0xFFF | 0x1000:04x}-{h[8:12]}-{h[12:24]}}}"
