"""IHE ATNA / DICOM audit messages (DICOM PS3.15 A.5 ``AuditMessage``, formerly RFC 3881).

One message per line, usually inside RFC 5424 syslog (``<85>1 ... IHE+RFC-3881 - <?xml...``), or
bare. Both attribute spellings are read: DICOM's ``csd-code``/``originalText`` and RFC 3881's
``code``/``displayName``. The XML goes to ``original`` flattened by element path, attributes
after a dot (``ParticipantObjectIdentification.ParticipantObjectID``); a name that occurs several
times holds a JSON array of its values. XML is parsed with ``defusedxml``: a DTD or entity is a
reject, so a crafted message cannot expand entities. Invalid UTF-8 is a reject, not replaced.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET  # only for types and ParseError; parsing goes through defusedxml
from collections.abc import Callable
from datetime import datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from garde.parse._envelope import EnvelopeReader, envelope_fields
from garde.parse._enveloped import EnvelopedLineParser
from garde.parse._lines import LineParser, Record, first_line
from garde.parse._time import parse_iso

_XML_START = re.compile(r"<\?xml|<AuditMessage\b")
_ACTIONS = {"C": "create", "R": "read", "U": "update", "D": "delete", "E": "execute"}
_OUTCOMES = {"0": "success", "4": "failure", "8": "failure", "12": "failure"}
MAX_XML_DEPTH = 100  # deeper XML is rejected before the recursive walk (an audit message nests ~4)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def flatten(root: ET.Element) -> dict[str, Any]:
    """Element paths (below the root) and their attributes as dotted names."""
    collected: dict[str, list[str]] = {}

    def walk(element: ET.Element, path: str) -> None:
        for name, value in element.attrib.items():
            collected.setdefault(f"{path}.{_local(name)}", []).append(value)
        text = (element.text or "").strip()
        if text:
            collected.setdefault(path, []).append(text)
        for child in element:
            walk(child, f"{path}.{_local(child.tag)}")

    for child in root:
        walk(child, _local(child.tag))
    return {key: values[0] if len(values) == 1 else values for key, values in collected.items()}


def too_deep(root: ET.Element, limit: int = MAX_XML_DEPTH) -> bool:
    """True if elements nest more than ``limit`` deep (the root counted as one)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        for child in element:
            if depth >= limit:
                return True
            stack.append((child, depth + 1))
    return False


def _code(element: ET.Element | None) -> tuple[str | None, str | None]:
    """(code, display name) of a coded element in either DICOM or RFC 3881 spelling."""
    if element is None:
        return None, None
    get = element.attrib.get
    return get("csd-code") or get("code"), get("originalText") or get("displayName")


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def audit_message(root: ET.Element) -> tuple[datetime | None, dict[str, Any], dict[str, Any]] | str:
    """The schema fields and flattened content of one AuditMessage, or a reject reason."""
    if _local(root.tag) != "AuditMessage":
        return f"not an ATNA AuditMessage: root element is {_local(root.tag)[:40]}"
    ident = _child(root, "EventIdentification")
    if ident is None:
        return "AuditMessage without EventIdentification"
    code, display = _code(_child(ident, "EventID"))
    action = ident.get("EventActionCode")
    participants = [c for c in root if _local(c.tag) == "ActiveParticipant"]
    requestor = next(
        (p for p in participants if (p.get("UserIsRequestor") or "").lower() == "true"),
        participants[0] if participants else None,
    )
    fields: dict[str, Any] = {
        "event.kind": "event",
        "event.module": "atna",
        "event.dataset": "ehr.audit",
        "event.code": code,
        "event.action": _ACTIONS.get(action or "", action),
        "event.outcome": _OUTCOMES.get(ident.get("EventOutcomeIndicator") or "", "unknown"),
        "message": display,
    }
    if requestor is not None:
        fields["user.name"] = requestor.get("UserID")
        access_point = requestor.get("NetworkAccessPointID")
        if access_point and (requestor.get("NetworkAccessPointTypeCode") == "2" or _is_ip(access_point)):
            fields["source.ip"] = access_point
    audit_source = _child(root, "AuditSourceIdentification")
    if audit_source is not None:
        fields["host.name"] = audit_source.get("AuditSourceID")
    stamp = ident.get("EventDateTime")
    return parse_iso(stamp) if stamp else None, fields, flatten(root)


class AtnaParser(EnvelopedLineParser):
    """IHE ATNA audit messages from EHR, PACS and other health applications."""

    name = "atna"
    description = "IHE ATNA / DICOM PS3.15 AuditMessage XML, bare or in syslog, one per line"

    def sniff(self, head: bytes, filename: str) -> bool:
        return "<AuditMessage" in first_line(head)

    strict_utf8 = True  # an XML audit record with broken bytes is rejected, not guessed

    def line_parser(self, reader: EnvelopeReader) -> LineParser:
        return _line_parser(reader)


def _line_parser(reader: EnvelopeReader) -> Callable[[str], Record | str]:
    def parse_line(text: str) -> Record | str:
        m = _XML_START.search(text)
        if m is None:
            return "not ATNA: no '<?xml' or '<AuditMessage' in the line"
        original: dict[str, Any] = {}
        timestamp: datetime | None = None
        host: str | None = None
        prefix = text[: m.start()].rstrip("\ufeff ")
        if prefix.strip():
            env = reader.split(prefix + " ")
            if isinstance(env, str):
                return "ATNA behind an unreadable syslog header: " + env
            original.update(envelope_fields(env))
            timestamp, host = env.timestamp, env.hostname
        try:
            root = fromstring(text[m.start() :])
        except DefusedXmlException:
            return "XML with a DTD or entity declarations refused"
        except ET.ParseError as exc:
            return f"invalid XML: {exc}"
        if text.count("<", m.start()) > MAX_XML_DEPTH and too_deep(root):  # the count: a cheap bound first
            return f"XML nested deeper than {MAX_XML_DEPTH} levels"
        result = audit_message(root)
        if isinstance(result, str):
            return result
        stamp, fields, content = result
        if fields.get("host.name") is None:
            fields["host.name"] = host
        original.update(content)
        when = stamp or timestamp
        if when is None:
            return "AuditMessage without a readable EventDateTime or syslog timestamp"
        return when, fields, original

    return parse_line


PARSER = AtnaParser()
