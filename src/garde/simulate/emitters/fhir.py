"""EHR access trail as HL7 FHIR R4 AuditEvent resources (one JSON object per line)."""

from __future__ import annotations

import orjson

from garde.simulate.org import SITE
from garde.simulate.sources import Sink
from garde.simulate.timefmt import iso_ms

_TYPE_REST = {
    "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
    "code": "rest",
    "display": "RESTful Operation",
}
_TYPE_LOGIN = {
    "system": "http://dicom.nema.org/resources/ontology/DCM",
    "code": "110114",
    "display": "User Authentication",
}
_INTERACTION = "http://hl7.org/fhir/restful-interaction"
_ACTION = {"read": "R", "search-type": "E", "update": "U", "create": "C", "vread": "R"}
_DEMO_TAG = {
    "system": "https://garde.example/fhir/CodeSystem/dataset",
    "code": "demo",
    "display": "Simulated demo data",
}
_SOURCE = {
    "site": SITE,
    "observer": {"display": "srv-ehr01.chu-demo.local"},
    "type": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
            "code": "4",
            "display": "Application Server",
        }
    ],
}
_CONFIDENTIALITY = {
    code: {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": code, "display": display}
    for code, display in (("R", "restricted"), ("V", "very restricted"))
}
_PURPOSE = {"TREAT": "treatment", "BTG": "break the glass", "HOPERAT": "healthcare operations"}


def access(
    sink: Sink,
    ms: int,
    user: str,
    display: str,
    role: str,
    dept: str,
    ip: str,
    patient_id: str,
    resource: str,
    interaction: str = "read",
    outcome: str = "0",
    purpose: str = "TREAT",
    confidentiality: str = "",
) -> str:
    sim_id = sink.new_id()
    entities: list[dict[str, object]] = [
        {
            "what": {"reference": f"Patient/{patient_id}"},
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "1",
                "display": "Person",
            },
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"},
        }
    ]
    if confidentiality:
        entities[0]["securityLabel"] = [_CONFIDENTIALITY[confidentiality]]
    if resource != "Patient":
        entities.append(
            {
                "what": {"reference": f"{resource}/{patient_id}-{ms % 997}"},
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "2",
                    "display": "System Object",
                },
                "role": {
                    "system": "http://terminology.hl7.org/CodeSystem/object-role",
                    "code": "4",
                    "display": "Domain Resource",
                },
            }
        )
    record = {
        "resourceType": "AuditEvent",
        "id": sim_id,
        "meta": {"tag": [_DEMO_TAG]},
        "type": _TYPE_REST,
        "subtype": [{"system": _INTERACTION, "code": interaction, "display": interaction}],
        "action": _ACTION.get(interaction, "R"),
        "recorded": iso_ms(ms),
        "outcome": outcome,
        "purposeOfEvent": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                        "code": purpose,
                        "display": _PURPOSE[purpose],
                    }
                ]
            }
        ],
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                            "code": "humanuser",
                            "display": "human user",
                        }
                    ]
                },
                "role": [{"text": role}, {"text": f"department:{dept}"}],
                "who": {"identifier": {"system": "urn:oid:1.2.250.1.999.1.1", "value": user}, "display": display},
                "requestor": True,
                "network": {"address": ip, "type": "2"},
            }
        ],
        "source": _SOURCE,
        "entity": entities,
    }
    sink.add(ms, orjson.dumps(record).decode())
    return sim_id


def login(sink: Sink, ms: int, user: str, display: str, ip: str, outcome: str = "0") -> str:
    sim_id = sink.new_id()
    record = {
        "resourceType": "AuditEvent",
        "id": sim_id,
        "meta": {"tag": [_DEMO_TAG]},
        "type": _TYPE_LOGIN,
        "subtype": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110122", "display": "Login"}],
        "action": "E",
        "recorded": iso_ms(ms),
        "outcome": outcome,
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                            "code": "humanuser",
                        }
                    ]
                },
                "who": {"identifier": {"system": "urn:oid:1.2.250.1.999.1.1", "value": user}, "display": display},
                "requestor": True,
                "network": {"address": ip, "type": "2"},
            }
        ],
        "source": _SOURCE,
    }
    sink.add(ms, orjson.dumps(record).decode())
    return sim_id
