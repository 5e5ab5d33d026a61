"""JSON logs of products that keep their time, and their names, in fields of their own.

Each product is recognised by a few of its own fields, dated by its own time field, and given
an ``event.module`` / ``event.dataset`` that Sigma log sources route on (``product: aws, service:
cloudtrail`` reads ``event.module`` aws and ``event.dataset`` aws.cloudtrail...):

============================  ====================================  ===================================
product                       time                                  module / dataset
============================  ====================================  ===================================
Veeam B&R job sessions        ``EndTimeUTC`` once ended, else       veeam / veeam.job_session
(Get-VBRBackupSession JSON)   ``CreationTimeUTC`` (or the local
                              ``EndTime`` / ``CreationTime``)
Microsoft Entra ID sign-ins   ``createdDateTime`` (Graph), or the   azure / azure.signinlogs,
and audit logs                export's ``time``; ``activityDate-    azure.auditlogs...
                              Time`` for audits
Microsoft 365 unified audit   ``CreationTime`` (UTC, written        m365 / m365.audit
                              without a zone)
AWS CloudTrail                ``eventTime``                         aws / aws.cloudtrail
Okta System Log               ``published``                         okta / okta.system
Kubernetes audit              ``requestReceivedTimestamp``, else    kubernetes / kubernetes.audit
                              ``stageTimestamp``
Zeek (JSON logs)              ``ts`` (epoch seconds, or ISO 8601)   zeek / zeek.<log> (``_path`` or
                                                                    the file name: conn, dns...)
Suricata EVE                  ``timestamp`` (``+0000`` offsets)     suricata / suricata.<event_type>
============================  ====================================  ===================================

Times are read by :func:`json_time`: ISO 8601 with or without zone (none: UTC), epoch numbers
or digit strings in s, ms, µs or ns, and .NET's ``/Date(1700000000000)/`` as Windows PowerShell's
``ConvertTo-Json`` writes dates.

Veeam job sessions are also brought to the names of Veeam's job-session syslog reports, which
Garde's backup rules read (``JobType``, ``Result``, ``ObjectsProcessed``, ``ProcessedSizeGB``,
``TransferredSizeGB``): ``ConvertTo-Json`` writes enums as numbers and sizes in bytes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any

from garde.parse._fields import dataset, outcome, small_int, transport
from garde.parse.timestamps import parse_iso

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DOTNET_DATE = re.compile(r"/Date\((-?\d{1,15})(?:[+-]\d{4})?\)/$")
_EPOCH_TEXT = re.compile(r"\d{9,20}(?:\.\d{1,9})?$")


def json_time(value: Any) -> datetime | None:
    """A JSON value as an aware UTC datetime; None when it is not a time."""
    if isinstance(value, str):
        parsed = parse_iso(value)  # the usual case first
        if parsed is not None:
            return parsed
        text = value.strip()
        if text.startswith("/Date("):
            m = _DOTNET_DATE.match(text)
            return _from_epoch(int(m.group(1)) / 1000) if m else None
        if _EPOCH_TEXT.match(text):
            return _epoch(float(text) if "." in text else int(text))
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch(value)
    if isinstance(value, dict) and isinstance(value.get("value"), str):  # PowerShell's Get-Date object
        return json_time(value["value"])
    return None


def _epoch(number: float) -> datetime | None:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by size."""
    size = abs(number)
    divisor = 1 if size < 1e11 else 1e3 if size < 1e14 else 1e6 if size < 1e17 else 1e9
    return _from_epoch(number / divisor)


def _from_epoch(seconds: float) -> datetime | None:
    try:
        return _EPOCH + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None


def lookup(doc: Mapping[str, Any], name: str) -> Any:
    """A field by name: a top-level key (dots included), else a dotted path into nested objects."""
    if name in doc:
        return doc[name]
    value: Any = doc
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


@dataclass
class Recognised:
    """What a product's record gives: its time, schema fields, and fields added to ``original``."""

    timestamp: datetime | None
    fields: dict[str, Any]
    original: dict[str, str] = field(default_factory=dict)


def recognise(doc: dict[str, Any], source: str) -> Recognised | None:
    """The product a JSON document comes from, if Garde knows it."""
    for product in _PRODUCTS:
        found = product(doc, source)
        if found is not None:
            return found
    return None


# -- helpers ------------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    """A scalar as text (numbers too); None for nothing, objects and lists."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    """An integer field's value (range checked later); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return small_int(value) if isinstance(value, str) else None


def _ip(value: Any) -> str | None:
    """An IP address (a port or IPv6 brackets taken off); None for a host name or garbage."""
    text = _str(value)
    if text is None:
        return None
    text = text.strip()
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.partition(":")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def _first_time(doc: Mapping[str, Any], *names: str) -> datetime | None:
    return next((t for n in names if (t := json_time(lookup(doc, n))) is not None), None)


# -- Veeam Backup & Replication job sessions ----------------------------------------------------

# Veeam's enum values as ConvertTo-Json writes them (numbers), from Veeam's configuration database
# (Backup.Model.JobSessions job_type and result). Other job types keep their number.
_VEEAM_JOB_TYPES = {0: "Backup", 1: "Replica", 51: "BackupSync"}
_VEEAM_RESULTS = {-1: "None", 0: "Success", 1: "Warning", 2: "Failed"}
_VEEAM_OUTCOMES = {"Success": "success", "Warning": "success", "Failed": "failure"}
_VEEAM_TIMES = ("CreationTimeUTC", "EndTimeUTC", "CreationTime", "EndTime")
_GIB = 1024**3


def _veeam(doc: dict[str, Any], source: str) -> Recognised | None:
    if "Result" not in doc or not ("JobName" in doc or "JobId" in doc):
        return None
    if not any(name in doc for name in _VEEAM_TIMES):
        return None
    created = _first_time(doc, "CreationTimeUTC", "CreationTime")
    ended = _first_time(doc, "EndTimeUTC", "EndTime")
    # A running session's end is Veeam's "no date" (1900-01-01): it is then dated by its start.
    timestamp = ended if ended is not None and (created is None or ended >= created) else created
    job_type = _veeam_name(doc.get("JobType"), _VEEAM_JOB_TYPES)
    result = _veeam_name(doc.get("Result"), _VEEAM_RESULTS)
    job = _str(doc.get("JobName")) or _str(doc.get("Name"))
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "veeam",
        "event.dataset": "veeam.job_session",
        "observer.vendor": "Veeam",
        "observer.product": "Backup & Replication",
        "event.outcome": _VEEAM_OUTCOMES.get(result or "", "unknown"),
        "message": f'{job_type or "?"} job "{job or "?"}": {result or "?"}',
    }
    extra = {k: v for k, v in (("JobType", job_type), ("Result", result)) if v is not None}
    progress = _dict(doc.get("Progress")) or _dict(_dict(doc.get("Info")).get("Progress")) or doc
    objects = _int(progress.get("ProcessedObjects"))
    if objects is not None:
        extra["ObjectsProcessed"] = str(objects)
    for source_key, target in (("ProcessedSize", "ProcessedSizeGB"), ("TransferedSize", "TransferredSizeGB")):
        size = progress.get(source_key, progress.get(source_key.replace("Transfered", "Transferred")))
        if isinstance(size, (int, float)) and not isinstance(size, bool) and size >= 0:
            extra[target] = _gib(size)
    return Recognised(timestamp, fields, extra)


def _veeam_name(value: Any, names: Mapping[int, str]) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, str(value))
    return _str(value)


def _gib(size: float) -> str:
    """Bytes as GiB, as Veeam's reports write them: "0" only for nothing at all."""
    if size == 0:
        return "0"
    gib = size / _GIB
    return f"{gib:.1f}" if gib >= 0.1 else f"{gib:.3g}"


# -- Microsoft Entra ID, Microsoft 365 ----------------------------------------------------------

_ENTRA_EXPORT_CATEGORIES = frozenset(
    {
        "SignInLogs",
        "NonInteractiveUserSignInLogs",
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
        "AuditLogs",
        "ProvisioningLogs",
    }
)


def _entra(doc: dict[str, Any], source: str) -> Recognised | None:
    category = doc.get("category")
    properties = _dict(doc.get("properties"))
    if isinstance(category, str) and category in _ENTRA_EXPORT_CATEGORIES and properties:
        record, stream = properties, category.lower()  # Azure Monitor export (storage, Event Hub)
        timestamp = _first_time(doc, "time") or _first_time(properties, "createdDateTime", "activityDateTime")
    elif "createdDateTime" in doc and ("userPrincipalName" in doc or "appDisplayName" in doc):
        record, stream, timestamp = doc, "signinlogs", _first_time(doc, "createdDateTime")  # Graph signIn
    elif "activityDateTime" in doc and "activityDisplayName" in doc:
        record, stream, timestamp = doc, "auditlogs", _first_time(doc, "activityDateTime")  # Graph directoryAudit
    else:
        return None
    initiator = _dict(_dict(record.get("initiatedBy")).get("user"))
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "azure",
        "event.dataset": "azure." + stream,
        "observer.vendor": "Microsoft",
        "observer.product": "Entra ID",
        "user.name": _str(record.get("userPrincipalName")) or _str(initiator.get("userPrincipalName")),
        "user.id": _str(record.get("userId")) or _str(initiator.get("id")),
        "source.ip": _ip(record.get("ipAddress")) or _ip(initiator.get("ipAddress")) or _ip(doc.get("callerIpAddress")),
        "event.action": _str(record.get("activityDisplayName")) or _str(doc.get("operationName")),
    }
    status = _dict(record.get("status"))
    if "errorCode" in status:
        fields["event.outcome"] = "success" if status["errorCode"] in (0, "0") else "failure"
        fields["message"] = _str(status.get("failureReason"))
    elif isinstance(record.get("result"), str):
        fields["event.outcome"] = outcome(record["result"])
    return Recognised(timestamp, fields)


def _m365(doc: dict[str, Any], source: str) -> Recognised | None:
    if "CreationTime" not in doc or "Operation" not in doc or not ("Workload" in doc or "RecordType" in doc):
        return None
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "m365",
        "event.dataset": "m365.audit",
        "observer.vendor": "Microsoft",
        "observer.product": "Microsoft 365",
        "event.provider": _str(doc.get("Workload")),
        "event.action": _str(doc.get("Operation")),
        "event.code": _str(doc.get("RecordType")),
        "user.name": _str(doc.get("UserId")),
        "source.ip": _ip(doc.get("ClientIP")) or _ip(doc.get("ClientIPAddress")),
        "event.outcome": outcome(_str(doc.get("ResultStatus"))),
    }
    return Recognised(_first_time(doc, "CreationTime"), fields)


# -- AWS CloudTrail, Okta, Kubernetes -----------------------------------------------------------


def _cloudtrail(doc: dict[str, Any], source: str) -> Recognised | None:
    if "eventTime" not in doc or "eventSource" not in doc or "eventName" not in doc:
        return None
    identity = _dict(doc.get("userIdentity"))
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "aws",
        "event.dataset": "aws.cloudtrail",
        "observer.vendor": "AWS",
        "observer.product": "CloudTrail",
        "event.provider": _str(doc.get("eventSource")),
        "event.action": _str(doc.get("eventName")),
        "event.outcome": "failure" if doc.get("errorCode") else "success",
        "user.name": _str(identity.get("userName")) or _str(identity.get("arn")),
        "user.id": _str(identity.get("principalId")),
        "source.ip": _ip(doc.get("sourceIPAddress")),
        "message": _str(doc.get("errorMessage")),
    }
    return Recognised(_first_time(doc, "eventTime"), fields)


def _okta(doc: dict[str, Any], source: str) -> Recognised | None:
    if "published" not in doc or "eventType" not in doc or not ("actor" in doc or "uuid" in doc):
        return None
    actor, client = _dict(doc.get("actor")), _dict(doc.get("client"))
    result = _str(_dict(doc.get("outcome")).get("result"))
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "okta",
        "event.dataset": "okta.system",
        "observer.vendor": "Okta",
        "observer.product": "Okta",
        "event.action": _str(doc.get("eventType")),
        "user.name": _str(actor.get("alternateId")),
        "user.id": _str(actor.get("id")),
        "source.ip": _ip(client.get("ipAddress")),
        "event.outcome": {"SUCCESS": "success", "FAILURE": "failure", "DENY": "failure"}.get(result or "", "unknown"),
        "message": _str(doc.get("displayMessage")),
    }
    return Recognised(_first_time(doc, "published"), fields)


def _kubernetes(doc: dict[str, Any], source: str) -> Recognised | None:
    api = doc.get("apiVersion")
    if doc.get("kind") != "Event" or not isinstance(api, str) or not api.startswith("audit.k8s.io/"):
        return None
    user, status = _dict(doc.get("user")), _dict(doc.get("responseStatus"))
    source_ips = doc.get("sourceIPs")
    code = _int(status.get("code"))
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "kubernetes",
        "event.dataset": "kubernetes.audit",
        "event.action": _str(doc.get("verb")),
        "user.name": _str(user.get("username")),
        "source.ip": _ip(source_ips[0]) if isinstance(source_ips, list) and source_ips else None,
        "url.full": _str(doc.get("requestURI")),
        "http.response.status_code": code,
        "event.outcome": ("success" if code < 400 else "failure") if isinstance(code, int) else None,
    }
    return Recognised(_first_time(doc, "requestReceivedTimestamp", "stageTimestamp"), fields)


# -- Zeek, Suricata -----------------------------------------------------------------------------

# Zeek's standard logs (also the Sigma services of product zeek).
_ZEEK_LOGS = frozenset(
    (  # noqa: SIM905 (a list of words reads better as words)
        "conn dce_rpc dhcp dnp3 dns dpd files ftp http intel irc kerberos modbus mysql notice ntlm ntp ocsp pe "
        "radius rdp rfb sip smb_files smb_mapping smtp snmp socks software ssh ssl syslog tunnel weird x509 "
        "known_hosts known_services known_certs capture_loss stats reporter"
    ).split()
)


def _zeek(doc: dict[str, Any], source: str) -> Recognised | None:
    if "ts" not in doc or not ("uid" in doc or "_path" in doc or lookup(doc, "id.orig_h") is not None):
        return None
    timestamp = json_time(doc["ts"])
    if timestamp is None:
        return None
    log = _str(doc.get("_path")) or PurePath(source).name.split(".", 1)[0]
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "zeek",
        "event.dataset": dataset("zeek", log) if log in _ZEEK_LOGS or "_path" in doc else "zeek",
        "observer.vendor": "Zeek",
        "observer.product": "Zeek",
        "source.ip": _ip(lookup(doc, "id.orig_h")),  # "id.orig_h" as Zeek writes it, or nested under "id"
        "source.port": _int(lookup(doc, "id.orig_p")),
        "destination.ip": _ip(lookup(doc, "id.resp_h")),
        "destination.port": _int(lookup(doc, "id.resp_p")),
        "network.transport": transport(_str(doc.get("proto"))),
        "network.protocol": _str(doc.get("service")),
        "url.domain": _str(doc.get("query")) or _str(doc.get("host")) or _str(doc.get("server_name")),
        "http.request.method": _str(doc.get("method")),
        "http.response.status_code": _int(doc.get("status_code")),
    }
    return Recognised(timestamp, fields)


def _suricata(doc: dict[str, Any], source: str) -> Recognised | None:
    event_type = doc.get("event_type")
    if not isinstance(event_type, str) or "timestamp" not in doc or not ("src_ip" in doc or "flow_id" in doc):
        return None
    alert, http, dns = _dict(doc.get("alert")), _dict(doc.get("http")), _dict(doc.get("dns"))
    fields: dict[str, Any] = {
        "event.kind": "alert" if event_type == "alert" else "event",
        "event.module": "suricata",
        "event.dataset": dataset("suricata", event_type),
        "observer.vendor": "OISF",
        "observer.product": "Suricata",
        "source.ip": _ip(doc.get("src_ip")),
        "source.port": _int(doc.get("src_port")),
        "destination.ip": _ip(doc.get("dest_ip")),
        "destination.port": _int(doc.get("dest_port")),
        "network.transport": transport(_str(doc.get("proto"))),
        "network.protocol": _str(doc.get("app_proto")),
        "rule.name": _str(alert.get("signature")),
        "event.code": _str(alert.get("signature_id")),
        "event.severity": _int(alert.get("severity")),
        "event.action": _str(alert.get("action")),
        "message": _str(alert.get("signature")),
        "url.domain": _str(http.get("hostname")) or _str(dns.get("rrname")),
        "http.request.method": _str(http.get("http_method")),
        "http.response.status_code": _int(http.get("status")),
    }
    return Recognised(_first_time(doc, "timestamp"), fields)


_PRODUCTS: tuple[Callable[[dict[str, Any], str], Recognised | None], ...] = (
    _veeam,
    _entra,
    _m365,
    _cloudtrail,
    _okta,
    _kubernetes,
    _zeek,
    _suricata,
)
