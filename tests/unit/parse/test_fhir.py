from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textlog_cases import BAD_INPUT_CASES, SAMPLE_FILES, BadInput, original, parse, pick, row

from garde.parse._json import MAX_DEPTH, TOO_DEEP
from garde.parse.fhir import FhirAuditEventParser

PARSER = FhirAuditEventParser()

# A patient-record read, as an EHR's FHIR server records it (R4 AuditEvent, RESTful read).
READ = {
    "resourceType": "AuditEvent",
    "id": "ae-1",
    "type": {
        "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
        "code": "rest",
        "display": "RESTful Operation",
    },
    "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read", "display": "read"}],
    "action": "R",
    "recorded": "2026-11-29T08:15:02.123+01:00",
    "outcome": "0",
    "agent": [
        {
            "type": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]
            },
            "who": {"identifier": {"value": "alice"}, "display": "Dr Alice Martin"},
            "requestor": True,
            "network": {"address": "10.2.4.17", "type": "2"},
        },
        {"who": {"display": "DPI"}, "requestor": False},
    ],
    "source": {"site": "CHU", "observer": {"display": "DPI-SRV-01"}},
    "entity": [
        {
            "what": {"reference": "Patient/123456"},
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "1",
                "display": "Person",
            },
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"},
        }
    ],
}
FAILED_EXPORT = {
    "resourceType": "AuditEvent",
    "recorded": "2026-11-29T08:20:00Z",
    "action": "E",
    "outcome": "8",
    "outcomeDesc": "Bulk export refused",
    "agent": [{"who": {"reference": "Practitioner/42"}, "requestor": True}],
    "entity": [{"what": {"reference": "Patient/1"}}, {"what": {"reference": "Patient/2"}}],
}
LINE = orjson.dumps(READ)


def test_ndjson_read_mapping() -> None:
    events, rejects = parse(PARSER, LINE + b"\n" + orjson.dumps(FAILED_EXPORT) + b"\n")
    assert rejects == []
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, 123000, tzinfo=UTC)
    assert (r["user.name"], r["source.ip"], r["host.name"]) == ("alice", "10.2.4.17", "DPI-SRV-01")
    assert (r["event.action"], r["event.outcome"], r["event.code"]) == ("read", "success", "rest")
    assert (r["event.dataset"], r["event.module"]) == ("ehr.audit", "fhir")
    orig = original(events)
    assert orig["entity.what.reference"] == "Patient/123456"
    assert orig["entity.role.display"] == "Patient"
    assert orig["agent.who.display"] == '["Dr Alice Martin","DPI"]'  # two agents: a JSON array
    assert orig["agent.requestor"] == '["true","false"]'


def test_failure_without_subtype_uses_action_code() -> None:
    events, _ = parse(PARSER, orjson.dumps(FAILED_EXPORT))
    r = row(events)
    assert (r["event.action"], r["event.outcome"], r["message"]) == ("execute", "failure", "Bulk export refused")
    assert (r["user.name"], r["user.id"]) == ("Practitioner/42", "Practitioner/42")
    assert original(events)["entity.what.reference"] == '["Patient/1","Patient/2"]'


def test_pretty_printed_bundle_document() -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": READ}, {"resource": FAILED_EXPORT}]}
    events, rejects = parse(PARSER, orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    assert rejects == []
    assert events["log.offset"].to_list() == [1, 2]  # entry numbers
    assert events["user.name"].to_list() == ["alice", "Practitioner/42"]
    assert events["event.id"].n_unique() == 2


def test_bundle_on_one_ndjson_line_rejects_other_resources() -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": READ}, {"resource": {"resourceType": "Patient"}}, {}]}
    events, rejects = parse(PARSER, orjson.dumps(bundle))
    assert events.height == 1
    assert [(r.position, r.reason) for r in rejects] == [
        (1, "FHIR resource is Patient, not AuditEvent"),
        (1, "Bundle entry without a resource"),
    ]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"resourceType": "AuditEvent"}, "AuditEvent without 'recorded'"),
        (
            {"resourceType": "AuditEvent", "recorded": "yesterday"},
            "AuditEvent 'recorded' is not a FHIR instant: 'yesterday'",
        ),
        ({"resourceType": "Observation"}, "FHIR resource is Observation, not AuditEvent"),
        ("just a string", "a JSON str where a FHIR resource was expected"),
    ],
)
def test_bad_resources_are_rejected(doc: object, reason: str) -> None:
    events, rejects = parse(PARSER, orjson.dumps(doc) + b"\n" + LINE)
    assert [(r.position, r.reason) for r in rejects] == [(1, reason)]
    assert events.height == 1


def test_odd_shapes_do_not_crash() -> None:
    weird = {
        "resourceType": "AuditEvent",
        "recorded": "2026-11-29T08:15:02Z",
        "agent": "x",
        "type": [],
        "outcome": {"code": {"code": "4"}},
    }
    events, rejects = parse(PARSER, orjson.dumps(weird))
    assert rejects == []
    assert row(events)["event.outcome"] == "failure"  # R5-style outcome object


def test_invalid_json_line() -> None:
    _, rejects = parse(PARSER, b'{"resourceType": "AuditEvent", oops}\n' + LINE)
    assert rejects[0].reason.startswith("invalid JSON: ")


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input(case: str) -> None:
    getattr(BadInput(PARSER, LINE, strict_utf8=True), case)()


def test_sniff() -> None:
    assert PARSER.sniff(LINE, "audit.ndjson")
    assert pick(LINE, "audit.ndjson") == "fhir"
    assert (
        pick(b'{\n  "resourceType": "Bundle",\n  "entry": [{"resource": {"resourceType": "AuditEvent"', "b.json")
        == "fhir"
    )
    assert not PARSER.sniff(b'{"resourceType": "Patient"}', "p.json")
    assert not PARSER.sniff(b'{"@timestamp": "2026-11-29T08:15:02Z", "message": "x"}', "app.jsonl")


@pytest.mark.parametrize("fmt", ["syslog", "cef", "leef", "kv", "atna", "csv"])
def test_sniff_leaves_other_formats(fmt: str) -> None:
    name, data = SAMPLE_FILES[fmt]
    assert not PARSER.sniff(data, name)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parse(PARSER, data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "who",
                    "what",
                    "code",
                    "agent",
                    "requestor",
                    "network",
                    "address",
                    "entry",
                    "resource",
                    "recorded",
                    "outcome",
                    "subtype",
                    "type",
                    "observer",
                    "source",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["agent", "entity", "source", "type", "subtype", "outcome", "action", "entry"]),
        json_values,
        max_size=5,
    ),
    st.sampled_from(["AuditEvent", "Bundle"]),
)
def test_never_raises_on_odd_resources(fields: dict[str, object], kind: str) -> None:
    doc = {"resourceType": kind, "recorded": "2026-11-29T08:15:02Z", **fields}
    _, rejects = parse(PARSER, orjson.dumps(doc))
    assert all(r.reason for r in rejects)


def deep_resource(levels: int) -> dict[str, object]:
    value: object = "x"
    for _ in range(levels):
        value = {"extension": value}
    return {**READ, "entity": [{"what": value}]}


def test_a_resource_nested_too_deep_is_rejected_alone() -> None:
    deep = orjson.dumps(deep_resource(200))  # orjson reads it, Python's recursion and orjson's writer would not
    events, rejects = parse(PARSER, LINE + b"\n" + deep + b"\n" + orjson.dumps(FAILED_EXPORT) + b"\n")
    assert events["user.name"].to_list() == ["alice", "Practitioner/42"]
    assert [(r.position, r.reason, r.raw) for r in rejects] == [(2, TOO_DEEP, deep)]


def test_a_line_too_deep_for_orjson_is_rejected_alone() -> None:
    deep = b'{"resourceType":"AuditEvent","x":' + b"[" * 1100 + b"]" * 1100 + b"}"
    events, rejects = parse(PARSER, LINE + b"\n" + deep + b"\n" + LINE + b"\n")
    assert events.height == 2
    assert [(r.position, r.reason, r.raw) for r in rejects] == [(2, TOO_DEEP, deep)]


def deep_json(levels: int) -> bytes:
    """Objects nested ``levels`` deep, written by hand: orjson cannot write past 254 levels."""
    inner = b'"x"'
    for _ in range(levels):
        inner = b'{"extension":' + inner + b"}"
    return inner


def test_a_deep_entry_of_a_bundle_is_rejected_alone() -> None:
    deep = LINE[:-1] + b',"contained":' + deep_json(600) + b"}"  # READ with one more, deep, field
    data = b'{"resourceType":"Bundle","entry":[{"resource":' + LINE + b'},{"resource":' + deep + b"}]}"
    events, rejects = parse(PARSER, data)
    assert events["user.name"].to_list() == ["alice"]
    assert [(r.position, r.reason) for r in rejects] == [(1, f"JSON nested deeper than {MAX_DEPTH} levels")]
    assert rejects[0].raw  # something to identify it by


@pytest.mark.parametrize("cut", [b"{", b'{"resourceType":"AuditEvent",', b'{"agent":[', b"["])
def test_ndjson_whose_first_line_is_cut_loses_only_that_line(cut: bytes) -> None:
    # A writer killed mid-record leaves a first line that opens like a pretty-printed document.
    events, rejects = parse(PARSER, cut + b"\n" + LINE + b"\n" + orjson.dumps(FAILED_EXPORT) + b"\n")
    assert events["log.offset"].to_list() == [2, 3]
    assert [r.position for r in rejects] == [1]
    assert rejects[0].raw == cut


def test_ndjson_whose_first_line_is_cut_and_a_later_line_has_a_nul() -> None:
    data = b"{\n" + LINE + b"\nbad \x00 line\n" + LINE + b"\n"
    events, rejects = parse(PARSER, data)
    assert events["log.offset"].to_list() == [2, 4]
    assert [(r.position, r.reason) for r in rejects][1] == (3, "NUL byte")


def test_a_broken_pretty_printed_document_is_one_reject() -> None:
    text = orjson.dumps({"resourceType": "Bundle", "entry": [{"resource": READ}]}, option=orjson.OPT_INDENT_2)
    events, rejects = parse(PARSER, text[:-30])
    assert events.height == 0
    assert len(rejects) == 1
    assert rejects[0].reason.startswith("invalid JSON")
