"""IHE ATNA / DICOM PS3.15 audit messages (XML) in RFC 5424 syslog, as PACS and LIS send them."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from garde.simulate.emitters.syslog5424 import line
from garde.simulate.sources import Sink
from garde.simulate.timefmt import iso_ms

# event -> (EventID code, display, action code)
EVENTS = {
    "instances-accessed": ("110103", "DICOM Instances Accessed", "R"),
    "query": ("110112", "Query", "E"),
    "patient-record": ("110110", "Patient Record", "R"),
    "login": ("110114", "User Authentication", "E"),
}


def audit(
    sink: Sink,
    ms: int,
    host_fqdn: str,
    app: str,
    event: str,
    user: str,
    display: str,
    ip: str,
    patient_id: str,
    patient_name: str,
    study_uid: str = "",
    outcome: str = "0",
) -> str:
    sim_id = sink.new_id()
    code, text, action = EVENTS[event]
    parts = [
        f'<AuditMessage><EventIdentification EventActionCode="{action}" EventDateTime="{iso_ms(ms)}" '
        f'EventOutcomeIndicator="{outcome}">',
        f'<EventID csd-code="{code}" codeSystemName="DCM" originalText="{text}"/></EventIdentification>',
        f'<ActiveParticipant UserID={quoteattr(user)} UserName={quoteattr(display)} UserIsRequestor="true" '
        f'NetworkAccessPointID="{ip}" NetworkAccessPointTypeCode="2">',
        '<RoleIDCode csd-code="110153" codeSystemName="DCM" originalText="Source Role ID"/></ActiveParticipant>',
        f'<ActiveParticipant UserID="{app}" UserIsRequestor="false" NetworkAccessPointID="{host_fqdn}" '
        'NetworkAccessPointTypeCode="1">',
        '<RoleIDCode csd-code="110152" codeSystemName="DCM" originalText="Destination Role ID"/></ActiveParticipant>',
        f'<AuditSourceIdentification AuditSourceID="{host_fqdn}" AuditEnterpriseSiteID="CHU-DEMO">'
        '<AuditSourceTypeCode csd-code="4"/></AuditSourceIdentification>',
    ]
    if event != "login":
        parts.append(
            f'<ParticipantObjectIdentification ParticipantObjectID="{patient_id}^^^&amp;1.2.250.1.999.1.2&amp;ISO" '
            'ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">'
            '<ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" originalText="Patient Number"/>'
            f"<ParticipantObjectName>{patient_name}</ParticipantObjectName></ParticipantObjectIdentification>"
        )
    if study_uid:
        parts.append(
            f'<ParticipantObjectIdentification ParticipantObjectID="{study_uid}" ParticipantObjectTypeCode="2" '
            'ParticipantObjectTypeCodeRole="3"><ParticipantObjectIDTypeCode csd-code="110180" codeSystemName="DCM" '
            'originalText="Study Instance UID"/></ParticipantObjectIdentification>'
        )
    parts.append("</AuditMessage>")
    xml = '<?xml version="1.0" encoding="UTF-8"?>' + "".join(parts)
    pri = 85 if outcome == "0" else 84  # authpriv.notice / authpriv.warning
    sink.add(ms, line(ms, pri, host_fqdn, app, "IHE+RFC-3881", sim_id, xml))
    return sim_id
