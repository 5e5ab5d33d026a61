"""EHR snooping: a staff member opens a celebrity's, a colleague's and a relative's records."""

from __future__ import annotations

import random

from garde.simulate.context import Ctx
from garde.simulate.emitters import fhir
from garde.simulate.org import RELATIVE_PATIENT_BASE, STAFF_PATIENT_BASE
from garde.simulate.scenarios.base import Label, Rec, Scenario

MINUTE = 60_000


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "ehr_snooping",
        "A nurse opens records with no care relationship: a celebrity, a colleague, a relative",
        ("T1213",),
    )
    rec = Rec(label)
    org = ctx.org
    vip_id, _vip_name, vip_dept = org.patients[org.vip_patients[0]]
    # Someone outside the celebrity's ward: no care relationship (the ward's own staff are legitimate).
    snooper = rng.choice([p for p in org.by_role["nurse"] if p.dept != vip_dept] or org.by_role["nurse"])
    colleague = rng.choice([p for p in org.people if p.dept == snooper.dept and p is not snooper] or org.people)
    # The colleague and the relative are patients too; their ids come from the EHR's own ranges.
    colleague_id = f"{STAFF_PATIENT_BASE + colleague.idx}"
    relative_id = f"{RELATIVE_PATIENT_BASE + snooper.idx}"
    label.users.add(snooper.user)
    label.entity("patients", vip_id)
    label.entity("patients", colleague_id)
    label.entity("patients", relative_id)
    label.entity("patient_kinds", f"celebrity:{vip_id}")
    label.entity("patient_kinds", f"colleague:{colleague_id}:{colleague.user}")
    label.entity("patient_kinds", f"relative:{relative_id}:{snooper.last.upper()}")
    kiosk = rng.choice(org.kiosks[snooper.dept])
    label.hosts.add(kiosk.fqdn)
    label.ips.add(kiosk.ip)
    name = f"{snooper.first} {snooper.last}"
    t = at
    for pid in (vip_id, colleague_id, relative_id):
        for resource in ("Patient", "Encounter", "Observation", "DocumentReference", "DiagnosticReport"):
            rec(
                "ehr_fhir",
                t,
                fhir.access(
                    ctx.fhr,
                    t,
                    snooper.user,
                    name,
                    "nurse",
                    snooper.dept,
                    kiosk.ip,
                    pid,
                    resource,
                    "read",
                    purpose="BTG" if pid == vip_id and resource == "Patient" else "TREAT",
                    confidentiality=org.confidentiality(pid),
                ),
            )
            t += rng.randrange(8 * 1000, 60 * 1000)
        t += rng.randrange(10 * MINUTE, 90 * MINUTE)
    return label


SCENARIO = Scenario(
    "ehr_snooping", "a nurse opens a celebrity's, a colleague's and a relative's records", (10.0, 16.0), inject
)
