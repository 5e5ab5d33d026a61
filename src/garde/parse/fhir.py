"""HL7 FHIR R4 ``AuditEvent`` resources: the EHR's trail of who opened which patient's record.

Accepted: NDJSON (one resource per line, as FHIR bulk export writes it), where a line may also be
a ``Bundle``; or one JSON document (a pretty-printed Bundle, resource or array) of at most 64 MiB,
read whole since JSON cannot be split by lines (larger: export it as NDJSON). The resource goes to
``original`` flattened with dotted names (``entity.what.reference``); a name that occurs several
times (several agents, entities) holds a JSON array of its values. Invalid UTF-8 is a reject, not
replaced: a damaged patient or user identifier must not be stored as if it were right.

Positions: the line number in NDJSON; the entry number (1-based) in a multi-line document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from garde.core.ports import ParsedChunk
from garde.parse._json import TOO_DEEP, decode_error, too_deep
from garde.parse._lines import REJECT_RAW_KEEP, Batches, Record, first_line, read_lines
from garde.parse._time import parse_iso

MAX_DOCUMENT = 64 * 1024 * 1024
_ACTIONS = {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "execute"}
_OUTCOMES = {"0": "success", "4": "failure", "8": "failure", "12": "failure"}


def flatten(value: Any, prefix: str, out: dict[str, list[str]]) -> None:
    """Nested objects -> dotted names; list items share their parent's name."""
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for item in value:
            flatten(item, prefix, out)
    elif value is not None:
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        out.setdefault(prefix, []).append(text)


def _flat(resource: dict[str, Any]) -> dict[str, Any]:
    collected: dict[str, list[str]] = {}
    flatten(resource, "", collected)
    return {key: values[0] if len(values) == 1 else values for key, values in collected.items()}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return _dict(value[0]) if value else {}
    return _dict(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _reference_name(ref: dict[str, Any]) -> str | None:
    """The most human name a FHIR Reference offers."""
    ident = _dict(ref.get("identifier"))
    return _text(ident.get("value")) or _text(ref.get("display")) or _text(ref.get("reference"))


def audit_event(resource: dict[str, Any]) -> Record | str:
    """One AuditEvent as (timestamp, schema fields, flattened resource), or a reject reason."""
    kind = resource.get("resourceType")
    if kind != "AuditEvent":
        return f"FHIR resource is {str(kind)[:40]}, not AuditEvent"
    recorded = _text(resource.get("recorded"))
    if recorded is None:
        return "AuditEvent without 'recorded'"
    timestamp = parse_iso(recorded)
    if timestamp is None:
        return f"AuditEvent 'recorded' is not a FHIR instant: {recorded[:40]!r}"
    agents = (
        [a for a in resource.get("agent", []) if isinstance(a, dict)] if isinstance(resource.get("agent"), list) else []
    )
    requestor = next((a for a in agents if a.get("requestor") is True), agents[0] if agents else {})
    who = _dict(requestor.get("who"))
    event_type = _first(resource.get("type"))
    subtype = _first(resource.get("subtype"))
    action = _text(resource.get("action"))
    outcome = resource.get("outcome")
    if isinstance(outcome, dict):  # R5: a CodeableConcept-like object
        outcome = _dict(outcome.get("code")).get("code")
    source = _dict(resource.get("source"))
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "fhir",
        "event.dataset": "ehr.audit",
        "event.code": _text(event_type.get("code")),
        "event.action": _text(subtype.get("code")) or _text(subtype.get("display")) or _ACTIONS.get(action or ""),
        "event.outcome": _OUTCOMES.get(str(outcome), "unknown") if outcome is not None else None,
        "user.name": _text(requestor.get("altId")) or _reference_name(who) or _text(requestor.get("name")),
        "user.id": _text(who.get("reference")),
        "source.ip": _text(_dict(requestor.get("network")).get("address")),
        "host.name": _reference_name(_dict(source.get("observer"))),
        "message": _text(resource.get("outcomeDesc")) or _text(event_type.get("display")),
    }
    return timestamp, fields, _flat(resource)


class FhirAuditEventParser:
    """FHIR AuditEvent resources from an EHR (DPI), as NDJSON or a Bundle."""

    name = "fhir"
    description = "HL7 FHIR R4 AuditEvent resources, NDJSON or a Bundle document"
    followable = True  # NDJSON grows line by line; not splittable: a Bundle document is one piece

    def sniff(self, head: bytes, filename: str) -> bool:
        if not first_line(head).lstrip().startswith(("{", "[")):
            return False
        text = head.decode(errors="replace")
        return '"resourceType"' in text and '"AuditEvent"' in text

    def parse(self, stream: BinaryIO, source: str, start_line: int = 1) -> Iterator[ParsedChunk]:
        """``start_line`` > 1 continues an NDJSON file (followed as it grows): no document there."""
        batches = Batches(self.name, source)
        lines = read_lines(stream, start_line)
        first = start_line == 1
        for position, raw, problem in lines:
            if first and problem is None and _opens_document(raw):
                parts, problem = _gather((position, raw, None), lines)
                document = b"\n".join(part for _, part, _ in parts)
                if not _cut_ndjson(parts, document, problem):
                    raw = document if problem is None else document[:REJECT_RAW_KEEP]
                    yield from _records(batches, position, raw, problem, document=True)
                    break
                for part in parts:  # NDJSON whose first line was cut: each line is a record
                    yield from _records(batches, *part, document=False)
                first = False
                continue
            first = False
            yield from _records(batches, position, raw, problem, document=False)
        if (chunk := batches.chunk()) is not None:
            yield chunk


def _opens_document(line: bytes) -> bool:
    """True for the first line of a pretty-printed JSON document, not of NDJSON."""
    stripped = line.strip()
    if len(stripped) > 4096 or stripped[:1] not in (b"{", b"["):  # pretty-printing gives short lines
        return False
    return stripped.endswith((b"{", b"[", b",")) and not _is_json(stripped)


def _is_json(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return True


Line = tuple[int, bytes, str | None]  # (position, raw, problem), as read_lines gives them


def _gather(first: Line, lines: Iterator[Line]) -> tuple[list[Line], str | None]:
    """The lines of a multi-line JSON document, up to MAX_DOCUMENT bytes, and its first problem
    (a bad line, or too big). A bad line does not end it: what follows is the same document."""
    parts, size, problem = [first], len(first[1]), None
    for line in lines:
        parts.append(line)
        size += len(line[1]) + 1
        problem = problem or line[2]
        if size > MAX_DOCUMENT:
            return parts, "FHIR JSON document larger than 64 MiB: export it as NDJSON"
    return parts, problem


def _cut_ndjson(parts: list[Line], document: bytes, problem: str | None) -> bool:
    """True if what looked like a pretty-printed document is NDJSON whose first line was cut.

    A writer killed mid-record leaves a first line such as ``{"resourceType":"AuditEvent",``.
    A document whose later lines hold whole resources, and which is not JSON itself, is NDJSON.
    """
    resources = any(
        stripped[:1] == b"{" and stripped[-1:] == b"}" and b'"resourceType"' in stripped and _is_json(stripped)
        for _, raw, line_problem in parts[1:]
        if line_problem is None and (stripped := raw.strip())
    )
    return resources and (problem is not None or not _is_json(document))


def _records(
    batches: Batches, position: int, raw: bytes, problem: str | None, *, document: bool
) -> Iterator[ParsedChunk]:
    """Add the AuditEvents of one line or document (a resource, Bundle or array)."""
    for where, item_raw, item in _resources(position, raw, problem, document=document):
        result = audit_event(item) if isinstance(item, dict) else item
        if isinstance(result, str):
            batches.reject(where, result, item_raw)
        else:
            batches.add(where, item_raw, result)
        if batches.due and (chunk := batches.chunk()) is not None:
            yield chunk


def _resources(
    position: int, raw: bytes, problem: str | None, *, document: bool
) -> Iterator[tuple[int, bytes, dict[str, Any] | str]]:
    """(position, raw, resource or reject reason) for each resource of a line or document.

    A Bundle's entries each get their own raw (their JSON), so that their event ids differ.
    """
    if problem is not None:
        yield position, raw, problem
        return
    try:
        raw.decode()
    except UnicodeDecodeError:
        yield position, raw, "invalid UTF-8"
        return
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        yield position, raw, decode_error(exc)
        return
    if isinstance(doc, dict) and doc.get("resourceType") != "Bundle":
        yield position, raw, TOO_DEEP if too_deep(raw, doc) else doc
        return
    if isinstance(doc, dict):
        entries = doc.get("entry")
        items = (
            [e.get("resource") if isinstance(e, dict) else e for e in entries or []]
            if isinstance(entries, list)
            else []
        )
    elif isinstance(doc, list):
        items = doc
    else:
        yield position, raw, f"a JSON {type(doc).__name__} where a FHIR resource was expected"
        return
    for number, item in enumerate(items, 1):
        where = number if document else position
        if too_deep(raw, item):
            yield where, _raw_of(item, raw), TOO_DEEP
            continue
        yield where, orjson.dumps(item), item if isinstance(item, dict) else "Bundle entry without a resource"


def _raw_of(item: Any, container: bytes) -> bytes:
    """An entry's JSON, or the start of its container when orjson cannot write it (254 levels)."""
    try:
        return orjson.dumps(item)
    except orjson.JSONEncodeError:
        return container[:REJECT_RAW_KEEP]


PARSER = FhirAuditEventParser()
