"""JSON logs whose time lives in a product's own field: each product in its real field layout."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl
import pytest

from garde.core.batch import Reject
from garde.detect.sigma.ir import LogSource
from garde.detect.sigma.logsources import route_for
from garde.detect.sigma.routing import Router
from garde.parse.json_products import json_time
from garde.parse.jsonl import JsonLinesParser


def parse(data: bytes, source: str = "/logs/input.json", **options: Any) -> tuple[pl.DataFrame, list[Reject]]:
    chunks = list(JsonLinesParser(**options).parse(io.BytesIO(data), source))
    frames = [c.events for c in chunks]
    return (pl.concat(frames) if frames else pl.DataFrame()), [r for c in chunks for r in c.rejects]


def one(doc: dict[str, Any], source: str = "/logs/input.json", **options: Any) -> dict[str, Any]:
    frame, rejects = parse(orjson.dumps(doc) + b"\n", source, **options)
    assert rejects == []
    assert frame.height == 1
    return frame.row(0, named=True)


def original(row: dict[str, Any]) -> dict[str, str]:
    value: dict[str, str] = orjson.loads(row["original"])
    return value


# -- Veeam Backup & Replication -----------------------------------------------------------------

# Get-VBRBackupSession | ConvertTo-Json -Compress (Windows PowerShell 5.1): enums as numbers, dates
# as /Date(ms)/, the progress as a nested object with sizes in bytes (Veeam spells "Transfered").
VEEAM_FAILED = {
    "JobType": 0,
    "JobName": "DPI-SQL-Nightly",
    "JobId": "5a3c7d1e-8f2b-4c6a-9e1d-2b7f4a6c8e0d",
    "Id": "0f6e2d4c-1b3a-4958-8776-a5b4c3d2e1f0",
    "Name": "DPI-SQL-Nightly",
    "OrigJobName": "DPI-SQL-Nightly",
    "CreationTime": "/Date(1795917600000)/",
    "EndTime": "/Date(1795919412000)/",
    "CreationTimeUTC": "/Date(1795917600000)/",
    "EndTimeUTC": "/Date(1795919412000)/",
    "Result": 2,
    "State": -1,
    "IsRetryMode": False,
    "Progress": {
        "ProcessedObjects": 0,
        "TotalObjects": 1,
        "ProcessedSize": 0,
        "ReadSize": 0,
        "TransferedSize": 0,
        "TotalSize": 858993459200,
        "Percents": 0,
        "AvgSpeed": 0,
    },
    "BaseProgress": 0,
}
# A job that "succeeded" without protecting anything: its only VM was excluded.
VEEAM_EMPTY = {
    **VEEAM_FAILED,
    "Id": "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
    "Result": 0,
    "Progress": {**VEEAM_FAILED["Progress"], "TotalObjects": 0, "TotalSize": 0, "Percents": 100},  # type: ignore[dict-item]
}
# A good night: 2 objects, 600 GiB processed, 17 GiB transferred.
VEEAM_SUCCESS = {
    **VEEAM_FAILED,
    "Id": "2b3c4d5e-6f7a-4b8c-9d0e-2f3a4b5c6d7e",
    "Result": 0,
    "Progress": {
        "ProcessedObjects": 2,
        "TotalObjects": 2,
        "ProcessedSize": 644245094400,
        "ReadSize": 64424509440,
        "TransferedSize": 18253611008,
        "TotalSize": 644245094400,
        "Percents": 100,
        "AvgSpeed": 356515840,
    },
}
ENDED = datetime(2026, 11, 29, 2, 30, 12, tzinfo=UTC)


def test_veeam_failed_job_session() -> None:
    row = one(VEEAM_FAILED)
    assert row["@timestamp"] == ENDED  # EndTimeUTC: the result is known when the session ends
    assert (row["event.module"], row["event.dataset"]) == ("veeam", "veeam.job_session")
    assert (row["event.outcome"], row["observer.vendor"]) == ("failure", "Veeam")
    assert row["message"] == 'Backup job "DPI-SQL-Nightly": Failed'
    orig = original(row)
    # The names of Veeam's job-session reports, which the backup rules read.
    assert {k: orig[k] for k in ("JobType", "Result", "ObjectsProcessed", "ProcessedSizeGB", "TransferredSizeGB")} == {
        "JobType": "Backup",
        "Result": "Failed",
        "ObjectsProcessed": "0",
        "ProcessedSizeGB": "0",
        "TransferredSizeGB": "0",
    }
    assert orig["Progress.TotalSize"] == "858993459200"  # the session's own fields are all kept
    assert orig["JobName"] == "DPI-SQL-Nightly"


def test_veeam_successful_job_sizes_in_gib() -> None:
    orig = original(one(VEEAM_SUCCESS))
    assert (orig["Result"], orig["ObjectsProcessed"], orig["ProcessedSizeGB"], orig["TransferredSizeGB"]) == (
        "Success",
        "2",
        "600.0",
        "17.0",
    )


def test_veeam_a_few_bytes_are_not_nothing() -> None:
    doc = {**VEEAM_SUCCESS, "Progress": {"ProcessedObjects": 1, "ProcessedSize": 4096, "TransferedSize": 0}}
    orig = original(one(doc))
    assert orig["ProcessedSizeGB"] == "3.81e-06"
    assert orig["TransferredSizeGB"] == "0"


def test_veeam_powershell_7_layout() -> None:
    # ConvertTo-Json -EnumsAsStrings in PowerShell 7: names, and ISO 8601 dates.
    doc = {
        **VEEAM_FAILED,
        "JobType": "Backup",
        "Result": "Warning",
        "State": "Stopped",
        "CreationTimeUTC": "2026-11-29T02:00:00.1234567Z",
        "EndTimeUTC": "2026-11-29T02:30:12Z",
        "CreationTime": "2026-11-29T03:00:00.1234567+01:00",
        "EndTime": "2026-11-29T03:30:12+01:00",
    }
    row = one(doc)
    assert row["@timestamp"] == ENDED
    assert row["event.outcome"] == "success"  # a warning is a success with remarks
    assert (original(row)["JobType"], original(row)["Result"]) == ("Backup", "Warning")


def test_veeam_running_session_is_dated_by_its_start() -> None:
    # Veeam's "no end yet" is 1900-01-01.
    doc = {**VEEAM_FAILED, "Result": -1, "State": 5, "EndTimeUTC": "/Date(-2208988800000)/"}
    doc.pop("EndTime")
    row = one(doc)
    assert row["@timestamp"] == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    assert (row["event.outcome"], original(row)["Result"]) == ("unknown", "None")


def test_veeam_unknown_job_type_keeps_its_number() -> None:
    assert original(one({**VEEAM_FAILED, "JobType": 12002}))["JobType"] == "12002"


# -- the other products -------------------------------------------------------------------------

ENTRA_SIGNIN = {  # Microsoft Graph signIn resource (GET /auditLogs/signIns)
    "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
    "createdDateTime": "2026-11-29T07:55:21Z",
    "userDisplayName": "Alice Martin",
    "userPrincipalName": "alice@chu-exemple.fr",
    "userId": "d7cc485d-2c1b-422c-98fd-5ce52859a4a3",
    "appDisplayName": "Office 365 Exchange Online",
    "ipAddress": "203.0.113.24",
    "clientAppUsed": "Browser",
    "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
    "location": {"city": "Lyon", "countryOrRegion": "FR"},
}
ENTRA_EXPORT = {  # the same through Azure Monitor diagnostic settings (storage account, Event Hub)
    "time": "2026-11-29T07:55:22.1230000Z",
    "resourceId": "/tenants/0000/providers/Microsoft.aadiam",
    "operationName": "Sign-in activity",
    "category": "SignInLogs",
    "callerIpAddress": "203.0.113.24",
    "properties": {**ENTRA_SIGNIN, "status": {"errorCode": 0}},
}
ENTRA_AUDIT = {  # Graph directoryAudit
    "id": "Directory_8T2M8_27744",
    "category": "UserManagement",
    "activityDateTime": "2026-11-29T08:01:02.5Z",
    "activityDisplayName": "Add member to role",
    "result": "success",
    "initiatedBy": {"user": {"userPrincipalName": "admin@chu-exemple.fr", "ipAddress": "10.2.4.17"}},
    "targetResources": [{"userPrincipalName": "bob@chu-exemple.fr"}],
}
M365 = {  # Office 365 Management Activity API, common schema
    "CreationTime": "2026-11-29T08:10:00",
    "Id": "80c76bd2-9d81-4c57-a97a-accfc3443dca",
    "Operation": "MailItemsAccessed",
    "OrganizationId": "0000",
    "RecordType": 50,
    "ResultStatus": "Succeeded",
    "UserKey": "10032001",
    "UserType": 0,
    "Workload": "Exchange",
    "ClientIP": "203.0.113.24:53624",
    "UserId": "alice@chu-exemple.fr",
}
CLOUDTRAIL = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": "arn:aws:iam::1:user/bob",
        "userName": "bob",
    },
    "eventTime": "2026-11-29T08:20:00Z",
    "eventSource": "s3.amazonaws.com",
    "eventName": "DeleteBucket",
    "awsRegion": "eu-west-3",
    "sourceIPAddress": "198.51.100.7",
    "errorCode": "AccessDenied",
    "eventID": "a9f7c1d2-0000-0000-0000-000000000001",
}
OKTA = {
    "uuid": "f2d6e8a0-0000-11ef-0000-000000000000",
    "published": "2026-11-29T08:30:00.123Z",
    "eventType": "user.session.start",
    "displayMessage": "User login to Okta",
    "actor": {"id": "00u1", "type": "User", "alternateId": "alice@chu-exemple.fr"},
    "client": {"ipAddress": "203.0.113.24"},
    "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
}
KUBERNETES = {
    "kind": "Event",
    "apiVersion": "audit.k8s.io/v1",
    "level": "Metadata",
    "auditID": "0d8a7f6e-0000-0000-0000-000000000000",
    "stage": "ResponseComplete",
    "requestURI": "/api/v1/namespaces/dpi/secrets",
    "verb": "list",
    "user": {"username": "system:serviceaccount:dpi:default"},
    "sourceIPs": ["10.244.1.7"],
    "objectRef": {"resource": "secrets", "namespace": "dpi"},
    "responseStatus": {"code": 403},
    "requestReceivedTimestamp": "2026-11-29T08:40:00.000001Z",
    "stageTimestamp": "2026-11-29T08:40:00.020000Z",
}
ZEEK_CONN = {
    "ts": 1795941600.5,
    "uid": "CMdzit1AMNsmfAIiQc",
    "id.orig_h": "10.2.4.17",
    "id.orig_p": 51234,
    "id.resp_h": "10.0.0.10",
    "id.resp_p": 445,
    "proto": "tcp",
    "service": "smb",
    "conn_state": "SF",
}
SURICATA_ALERT = {
    "timestamp": "2026-11-29T09:00:00.123456+0000",
    "flow_id": 1234567890,
    "in_iface": "eth0",
    "event_type": "alert",
    "src_ip": "10.2.4.17",
    "src_port": 51234,
    "dest_ip": "203.0.113.80",
    "dest_port": 443,
    "proto": "TCP",
    "alert": {
        "action": "allowed",
        "signature_id": 2024897,
        "signature": "ET POLICY TLS to a dynamic DNS",
        "severity": 2,
    },
}


@pytest.mark.parametrize(
    ("doc", "when", "module", "dataset", "fields"),
    [
        (
            ENTRA_SIGNIN,
            datetime(2026, 11, 29, 7, 55, 21, tzinfo=UTC),
            "azure",
            "azure.signinlogs",
            {"user.name": "alice@chu-exemple.fr", "source.ip": "203.0.113.24", "event.outcome": "failure"},
        ),
        (
            ENTRA_EXPORT,
            datetime(2026, 11, 29, 7, 55, 22, 123000, tzinfo=UTC),
            "azure",
            "azure.signinlogs",
            {"user.name": "alice@chu-exemple.fr", "event.outcome": "success", "event.action": "Sign-in activity"},
        ),
        (
            ENTRA_AUDIT,
            datetime(2026, 11, 29, 8, 1, 2, 500000, tzinfo=UTC),
            "azure",
            "azure.auditlogs",
            {"user.name": "admin@chu-exemple.fr", "event.action": "Add member to role", "event.outcome": "success"},
        ),
        (
            M365,
            datetime(2026, 11, 29, 8, 10, tzinfo=UTC),  # written without a zone: UTC
            "m365",
            "m365.audit",
            {"user.name": "alice@chu-exemple.fr", "source.ip": "203.0.113.24", "event.action": "MailItemsAccessed"},
        ),
        (
            CLOUDTRAIL,
            datetime(2026, 11, 29, 8, 20, tzinfo=UTC),
            "aws",
            "aws.cloudtrail",
            {"user.name": "bob", "event.action": "DeleteBucket", "event.outcome": "failure"},
        ),
        (
            OKTA,
            datetime(2026, 11, 29, 8, 30, 0, 123000, tzinfo=UTC),
            "okta",
            "okta.system",
            {"user.name": "alice@chu-exemple.fr", "event.action": "user.session.start", "event.outcome": "failure"},
        ),
        (
            KUBERNETES,
            datetime(2026, 11, 29, 8, 40, 0, 1, tzinfo=UTC),
            "kubernetes",
            "kubernetes.audit",
            {
                "user.name": "system:serviceaccount:dpi:default",
                "http.response.status_code": 403,
                "event.action": "list",
            },
        ),
        (
            ZEEK_CONN,
            datetime(2026, 11, 29, 8, 40, 0, 500000, tzinfo=UTC),
            "zeek",
            "zeek.conn",  # from the file name
            {"source.ip": "10.2.4.17", "destination.port": 445, "network.transport": "tcp"},
        ),
        (
            SURICATA_ALERT,
            datetime(2026, 11, 29, 9, 0, 0, 123456, tzinfo=UTC),
            "suricata",
            "suricata.alert",
            {"event.kind": "alert", "rule.name": "ET POLICY TLS to a dynamic DNS", "event.severity": 2},
        ),
    ],
    ids=["entra-signin", "entra-export", "entra-audit", "m365", "cloudtrail", "okta", "kubernetes", "zeek", "suricata"],
)
def test_products_are_dated_by_their_own_time_and_routed(
    doc: dict[str, Any], when: datetime, module: str, dataset: str, fields: dict[str, Any]
) -> None:
    row = one(doc, source="/var/log/zeek/conn.log")
    assert row["@timestamp"] == when
    assert (row["event.module"], row["event.dataset"]) == (module, dataset)
    assert {k: row[k] for k in fields} == fields


@pytest.mark.parametrize(
    ("doc", "product", "service"),
    [
        (ENTRA_SIGNIN, "azure", "signinlogs"),
        (ENTRA_AUDIT, "azure", "auditlogs"),
        (M365, "m365", "audit"),
        (CLOUDTRAIL, "aws", "cloudtrail"),
        (OKTA, "okta", "okta"),
        (KUBERNETES, "kubernetes", "audit"),
        (ZEEK_CONN, "zeek", "conn"),
        (VEEAM_FAILED, "veeam", None),
    ],
)
def test_sigma_log_sources_route_to_the_products(doc: dict[str, Any], product: str, service: str | None) -> None:
    frame, _ = parse(orjson.dumps(doc) + b"\n", "/var/log/zeek/conn.log")
    router = Router([route_for(LogSource(product=product, service=service))])
    assert [key for key, _ in router.partitions(frame)] == [(0,)]
    other = Router([route_for(LogSource(product="gcp", service="gcp.audit"))])
    assert other.partitions(frame) == []


def test_zeek_log_kind_from_path_field_or_unknown() -> None:
    assert one({**ZEEK_CONN, "_path": "dns"}, source="/x/zeek.json")["event.dataset"] == "zeek.dns"
    assert one(ZEEK_CONN, source="/x/export.json")["event.dataset"] == "zeek"
    nested = {k: v for k, v in ZEEK_CONN.items() if not k.startswith("id.")} | {"id": {"orig_h": "10.9.9.9"}}
    assert one(nested, source="/x/conn.log")["source.ip"] == "10.9.9.9"


def test_cloudtrail_file_layout_gives_one_event_per_record() -> None:
    second = {**CLOUDTRAIL, "eventName": "ListBuckets", "eventID": "2", "errorCode": None}
    line = orjson.dumps({"Records": [CLOUDTRAIL, second, "oops"]})
    frame, rejects = parse(line + b"\n")
    assert frame.get_column("event.action").to_list() == ["DeleteBucket", "ListBuckets"]
    assert frame.get_column("event.id").n_unique() == 2
    assert [(r.position, r.reason) for r in rejects] == [(1, "a JSON str in Records where an object was expected")]


def test_explicit_ecs_fields_still_win() -> None:
    row = one({**OKTA, "event": {"dataset": "okta.custom"}})
    assert row["event.dataset"] == "okta.custom"


# -- the user's own time field ------------------------------------------------------------------

APP = {"meta": {"when": "2026-11-29T10:00:00+01:00"}, "level": "info", "msg": "job done", "at": 1795942800}


def test_without_a_time_field_such_a_record_is_a_reject_that_says_what_to_do() -> None:
    _, rejects = parse(orjson.dumps(APP) + b"\n")
    assert "--time-field" in rejects[0].reason


@pytest.mark.parametrize(
    ("names", "when"),
    [
        (("meta.when",), datetime(2026, 11, 29, 9, 0, tzinfo=UTC)),  # a dotted path into nested objects
        (("at",), datetime(2026, 11, 29, 9, 0, tzinfo=UTC)),  # epoch seconds
        (("absent", "at"), datetime(2026, 11, 29, 9, 0, tzinfo=UTC)),  # the first one the record has
    ],
)
def test_time_fields_named_by_the_user(names: tuple[str, ...], when: datetime) -> None:
    assert one(APP, time_fields=names)["@timestamp"] == when


def test_a_time_field_wins_over_the_known_ones_when_present() -> None:
    doc = {"@timestamp": "2026-11-29T12:00:00Z", "event_time": "2026-11-29T08:00:00Z"}
    assert one(doc, time_fields=("event_time",))["@timestamp"] == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert one({"@timestamp": "2026-11-29T12:00:00Z"}, time_fields=("event_time",))["@timestamp"] == datetime(
        2026, 11, 29, 12, 0, tzinfo=UTC
    )


def test_an_unreadable_time_field_is_a_reject_naming_it() -> None:
    frame, rejects = parse(orjson.dumps({**APP, "at": "tomorrow"}) + b"\n", time_fields=("at",))
    assert frame.height == 0
    assert [r.reason for r in rejects] == ["time field 'at' unreadable: 'tomorrow'"]


# -- reading times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1795919412000)/", datetime(2026, 11, 29, 2, 30, 12, tzinfo=UTC)),
        ("/Date(1795919412000+0100)/", datetime(2026, 11, 29, 2, 30, 12, tzinfo=UTC)),  # the offset is a hint
        ("/Date(-2208988800000)/", datetime(1900, 1, 1, tzinfo=UTC)),
        ({"value": "/Date(1795919412000)/", "DateTime": "Saturday, 29 November 2026 03:30:12"}, ENDED),
        ("2026-11-29T02:30:12.123456+0000", datetime(2026, 11, 29, 2, 30, 12, 123456, tzinfo=UTC)),
        ("2026-11-29T02:30:12", ENDED),
        ("2026-11-29T02:30:12.1234567Z", datetime(2026, 11, 29, 2, 30, 12, 123456, tzinfo=UTC)),
        (1795919412, ENDED),
        (1795919412.5, datetime(2026, 11, 29, 2, 30, 12, 500000, tzinfo=UTC)),
        (1795919412000, ENDED),
        (1795919412000000, ENDED),
        (1795919412000000000, ENDED),
        ("1795919412", ENDED),
        ("1795919412.25", datetime(2026, 11, 29, 2, 30, 12, 250000, tzinfo=UTC)),
        ("/Date(garbage)/", None),
        ("2026", None),
        ("12", None),
        (True, None),
        (None, None),
        (1e300, None),
        ([1795919412], None),
        ({"value": 5}, None),
    ],
)
def test_json_time(value: object, expected: datetime | None) -> None:
    assert json_time(value) == expected


def test_numbers_int_cannot_read_cost_their_field_only() -> None:
    row = one({**ZEEK_CONN, "id.orig_p": "9" * 5000, "id.resp_p": "\u00b2"}, source="/x/conn.log")
    assert (row["source.port"], row["destination.port"], row["source.ip"]) == (None, None, "10.2.4.17")
    doc = {**VEEAM_FAILED, "Progress": {"ProcessedObjects": "9" * 5000, "ProcessedSize": 1e300}}
    assert "ObjectsProcessed" not in original(one(doc))
