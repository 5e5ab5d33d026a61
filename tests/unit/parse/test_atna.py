from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textlog_cases import BAD_INPUT_CASES, SAMPLE_FILES, BadInput, original, parse, pick, row

from garde.parse.atna import MAX_XML_DEPTH, AtnaParser

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PARSER = AtnaParser(clock=lambda: NOW)

# DICOM PS3.15 A.5 "Patient Record" access (DICOM attribute spelling), carried in RFC 5424 syslog
# as IHE ATNA prescribes (MSGID IHE+RFC-3881, BOM before the XML).
PATIENT_RECORD = (
    b"<85>1 2026-11-29T08:15:02.123+01:00 dpi-srv01 DPI 2231 IHE+RFC-3881 - \xef\xbb\xbf"
    b'<?xml version="1.0" encoding="UTF-8"?><AuditMessage>'
    b'<EventIdentification EventActionCode="R" EventDateTime="2026-11-29T08:15:02.100+01:00" EventOutcomeIndicator="0">'
    b'<EventID csd-code="110110" codeSystemName="DCM" originalText="Patient Record"/>'
    b'<EventTypeCode csd-code="ITI-9" codeSystemName="IHE Transactions" originalText="PIX Query"/>'
    b"</EventIdentification>"
    b'<ActiveParticipant UserID="alice" AlternativeUserID="1234" UserName="Alice Martin" UserIsRequestor="true" '
    b'NetworkAccessPointID="10.2.4.17" NetworkAccessPointTypeCode="2">'
    b'<RoleIDCode csd-code="110153" codeSystemName="DCM" originalText="Source Role ID"/></ActiveParticipant>'
    b'<ActiveParticipant UserID="DPI" UserIsRequestor="false" NetworkAccessPointID="dpi-srv01" '
    b'NetworkAccessPointTypeCode="1"/>'
    b'<AuditSourceIdentification AuditEnterpriseSiteID="CHU" AuditSourceID="DPI-SRV-01">'
    b'<AuditSourceTypeCode csd-code="4"/></AuditSourceIdentification>'
    b'<ParticipantObjectIdentification ParticipantObjectID="123456^^^&amp;1.2.250.1.71.4.2.2&amp;ISO" '
    b'ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">'
    b'<ParticipantObjectIDTypeCode csd-code="2" originalText="Patient Number" codeSystemName="RFC-3881"/>'
    b"<ParticipantObjectName>DUPONT^JEAN</ParticipantObjectName></ParticipantObjectIdentification>"
    b"</AuditMessage>"
)
# RFC 3881 spelling (code/displayName), bare, with a namespace declaration.
LOGIN_FAILED = (
    b'<AuditMessage xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    b'<EventIdentification EventActionCode="E" EventDateTime="2026-11-29T08:16:00Z" EventOutcomeIndicator="4">'
    b'<EventID code="110114" codeSystemName="DCM" displayName="User Authentication"/></EventIdentification>'
    b'<ActiveParticipant UserID="bob" UserIsRequestor="true" NetworkAccessPointID="fe80::1"/></AuditMessage>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><AuditMessage>&lol3;</AuditMessage>'
)


def test_patient_record_access() -> None:
    events, rejects = parse(PARSER, PATIENT_RECORD)
    assert rejects == []
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, 100000, tzinfo=UTC)  # EventDateTime
    assert (r["event.code"], r["message"], r["event.action"], r["event.outcome"]) == (
        "110110",
        "Patient Record",
        "read",
        "success",
    )
    assert (r["user.name"], r["source.ip"], r["host.name"]) == ("alice", "10.2.4.17", "DPI-SRV-01")
    assert (r["event.dataset"], r["event.module"]) == ("ehr.audit", "atna")
    orig = original(events)
    assert orig["ParticipantObjectIdentification.ParticipantObjectID"] == "123456^^^&1.2.250.1.71.4.2.2&ISO"
    assert orig["ParticipantObjectIdentification.ParticipantObjectTypeCode"] == "1"
    assert orig["ParticipantObjectIdentification.ParticipantObjectName"] == "DUPONT^JEAN"
    assert orig["ActiveParticipant.UserID"] == '["alice","DPI"]'
    assert orig["ActiveParticipant.UserIsRequestor"] == '["true","false"]'
    assert orig["EventIdentification.EventTypeCode.csd-code"] == "ITI-9"
    assert orig["syslog.msgid"] == "IHE+RFC-3881"


def test_rfc3881_spelling_bare_line() -> None:
    events, _ = parse(PARSER, LOGIN_FAILED)
    r = row(events)
    assert (r["event.code"], r["message"], r["event.action"], r["event.outcome"]) == (
        "110114",
        "User Authentication",
        "execute",
        "failure",
    )
    assert (r["user.name"], r["source.ip"], r["host.name"]) == ("bob", "fe80::1", None)


def test_syslog_time_and_host_when_the_message_lacks_them() -> None:
    line = (
        b'<85>1 2026-11-29T08:15:02Z pacs01 PACS - - - <AuditMessage><EventIdentification EventActionCode="C">'
        b'<EventID csd-code="110104"/></EventIdentification><ActiveParticipant UserID="AE_MODALITY" '
        b'NetworkAccessPointID="ct-scanner-2" NetworkAccessPointTypeCode="1"/></AuditMessage>'
    )
    events, _ = parse(PARSER, line)
    r = row(events)
    assert (r["@timestamp"], r["host.name"], r["event.action"]) == (
        datetime(2026, 11, 29, 8, 15, 2, tzinfo=UTC),
        "pacs01",
        "create",
    )
    assert (r["user.name"], r["source.ip"], r["event.outcome"]) == ("AE_MODALITY", None, "unknown")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (BILLION_LAUGHS, "XML with a DTD or entity declarations refused"),
        (b"<AuditMessage><EventIdentification></AuditMessage>", "invalid XML: mismatched tag: line 1, column 37"),
        (b'<?xml version="1.0"?><Other/>', "not an ATNA AuditMessage: root element is Other"),
        (b"<AuditMessage><ActiveParticipant UserID='x'/></AuditMessage>", "AuditMessage without EventIdentification"),
        (
            b"<AuditMessage><EventIdentification/></AuditMessage>",
            "AuditMessage without a readable EventDateTime or syslog timestamp",
        ),
        (b"<85>1 2026-11-29T08:15:02Z pacs01 PACS - - - hello", "not ATNA: no '<?xml' or '<AuditMessage' in the line"),
        (
            b"garbage <AuditMessage/>",
            "ATNA behind an unreadable syslog header: not syslog: no RFC 3164 or RFC 3339 timestamp (no PRI)",
        ),
    ],
)
def test_bad_messages_are_rejected(line: bytes, reason: str) -> None:
    events, rejects = parse(PARSER, line + b"\n" + LOGIN_FAILED)
    assert [(r.position, r.reason) for r in rejects] == [(1, reason)]
    assert events.height == 1


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input(case: str) -> None:
    getattr(BadInput(PARSER, PATIENT_RECORD, strict_utf8=True), case)()


@pytest.mark.parametrize("line", [PATIENT_RECORD, LOGIN_FAILED])
def test_sniff_claims_atna(line: bytes) -> None:
    assert PARSER.sniff(line, "atna.log")
    assert pick(line, "atna.log") == "atna"


@pytest.mark.parametrize("fmt", ["syslog", "cef", "leef", "kv", "fhir", "csv"])
def test_sniff_leaves_other_formats(fmt: str) -> None:
    name, data = SAMPLE_FILES[fmt]
    assert not PARSER.sniff(data, name)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parse(PARSER, data)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="<>/=\"' AuditMessageEventIdentificationActiveParticipant&;!", max_size=200))
def test_never_raises_on_xml_like_text(body: str) -> None:
    _, rejects = parse(PARSER, ("<AuditMessage>" + body).encode())
    assert all(r.reason for r in rejects)


@pytest.mark.parametrize("levels", [3000, MAX_XML_DEPTH])
def test_a_message_nested_too_deep_is_rejected_alone(levels: int) -> None:
    body = b"<x>" * levels + b"1" + b"</x>" * levels
    deep = LOGIN_FAILED.replace(b"</AuditMessage>", body + b"</AuditMessage>")
    events, rejects = parse(PARSER, PATIENT_RECORD + b"\n" + deep + b"\n" + LOGIN_FAILED + b"\n")
    assert events.height == 2
    assert [(r.position, r.reason, r.raw) for r in rejects] == [
        (2, f"XML nested deeper than {MAX_XML_DEPTH} levels", deep)
    ]


def test_a_message_at_the_depth_limit_is_kept() -> None:
    levels = MAX_XML_DEPTH - 1  # the AuditMessage itself is the first level
    body = b"<x>" * levels + b"1" + b"</x>" * levels
    events, rejects = parse(PARSER, LOGIN_FAILED.replace(b"</AuditMessage>", body + b"</AuditMessage>"))
    assert rejects == []
    assert events.height == 1
