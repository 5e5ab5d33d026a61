"""What staff do while logged on: web, EHR and imaging, mail, phones on the Wi-Fi."""

from __future__ import annotations

import random
from itertools import accumulate

from garde.simulate.context import Ctx, site_ip
from garde.simulate.emitters import atna, cef, fhir, fortigate, mail, netsvc
from garde.simulate.org import DOMAIN, Person
from garde.simulate.vocab import (
    FHIR_RESOURCES,
    MAIL_PARTNERS,
    MAIL_SUBJECTS,
    SPAM_SUBJECTS,
    WEB_SITES,
)

_SITE_CUM = list(accumulate(w for _, _, w in WEB_SITES))
_RES_NAMES = [r for r, _ in FHIR_RESOURCES]
_RES_CUM = list(accumulate(w for _, w in FHIR_RESOURCES))
_PATHS = (
    "/",
    "/search",
    "/index.html",
    "/api/v1/session",
    "/static/app.js",
    "/images/logo.png",
    "/fr/actualites",
    "/login",
)
PROXY_IP = "10.10.0.80"


def times(rng: random.Random, start: int, end: int, count: int) -> list[int]:
    span = max(1, end - start)
    return [start + int(rng.random() * span) for _ in range(count)]


def poisson_count(rng: random.Random, mean: float) -> int:
    """A count with mean ``mean`` (normal approximation; good enough for activity volumes)."""
    if mean <= 0:
        return 0
    return max(0, round(rng.gauss(mean, mean**0.5)))


def web(ctx: Ctx, rng: random.Random, p: Person, ip: str, start: int, end: int, count: int) -> None:
    """Browsing: mostly the person's own favourite sites (habits UEBA can learn), some of the rest."""
    off = ctx.day.utc_offset_s
    user, favourites = p.user, p.favourite_sites
    for ms in times(rng, start, end, count):
        if favourites and rng.random() < 0.75:
            domain, category, _ = WEB_SITES[rng.choice(favourites)]
        else:
            domain, category, _ = rng.choices(WEB_SITES, cum_weights=_SITE_CUM)[0]
        path = rng.choice(_PATHS)
        dst = site_ip(domain)
        status = 200 if rng.random() < 0.9 else rng.choice((304, 302, 404, 204))
        size = int(rng.paretovariate(1.3) * 2000)
        cef.proxy(
            ctx.pxy,
            ms,
            user,
            ip,
            "GET" if rng.random() < 0.85 else "POST",
            f"https://{domain}{path}",
            domain,
            status,
            dst,
            400 + size // 50,
            size,
            category,
        )
        if rng.random() < 0.25:
            fortigate.traffic(
                ctx.fw,
                ms + 5,
                off,
                PROXY_IP,
                30000 + ms % 30000,
                dst,
                443,
                "close",
                "HTTPS",
                600 + size // 40,
                size,
                12,
                dst_country="France" if domain.endswith(".fr") else "United States",
                app="HTTPS.BROWSER",
            )


def cohort(ctx: Ctx, dept: str) -> list[tuple[str, str, str]]:
    """The department's current inpatients (the patients its staff are expected to open)."""
    key = f"cohort:{dept}"
    cached = ctx.cache.get(key)
    if cached is None:
        pool = [p for p in ctx.org.patients if p[2] == dept] or ctx.org.patients
        cached = ctx.rng(key).sample(pool, min(len(pool), 18))
        # A celebrity in this ward is in its care team's daily list: their access is legitimate.
        cached += [p for p in pool if p[0] in ctx.org.vip_ids and p not in cached]
        ctx.cache[key] = cached
    return cached


def er_arrivals(ctx: Ctx) -> list[tuple[str, str, str]]:
    """Patients who may turn up in the ER: not the celebrities already in a ward. (With three in a
    few hundred patients the demo hospital has far more celebrities than a real one; a celebrity
    arriving in the ER is the rare case the restricted break-the-glass rule is there to show.)"""
    cached = ctx.cache.get("er_arrivals")
    if cached is None:
        cached = ctx.cache["er_arrivals"] = [p for p in ctx.org.patients if p[0] not in ctx.org.vip_ids]
    return cached


def ehr(ctx: Ctx, rng: random.Random, p: Person, ip: str, start: int, end: int, hours: float) -> None:
    role = p.role.name
    if p.role.ehr == 0:
        return
    name = f"{p.first} {p.last}"
    count = poisson_count(rng, p.role.ehr * hours)
    patients = cohort(ctx, p.dept) if p.dept in ctx.org.kiosks else ctx.org.patients
    pacs, lis = ctx.org.servers["pacs"].fqdn, ctx.org.servers["lis"].fqdn
    fhir.login(ctx.fhr, start + 20_000, p.user, name, ip)
    for ms in times(rng, start, end, count):
        if p.dept == "emergency" and role == "physician" and rng.random() < 0.03:
            # Break-the-glass is routine in the ER: an unknown patient arrives, the chart is forced open.
            pid = rng.choice(er_arrivals(ctx))[0]
            flag = ctx.org.confidentiality(pid)
            fhir.access(
                ctx.fhr, ms, p.user, name, role, p.dept, ip, pid, "Patient", purpose="BTG", confidentiality=flag
            )
            continue
        pid, pname, _ = (
            rng.choice(patients)
            if role not in ("admissions", "pharmacy") or rng.random() < 0.3
            else rng.choice(ctx.org.patients)
        )
        flag = ctx.org.confidentiality(pid)
        if role == "radiology" or (role == "physician" and rng.random() < 0.15):
            study = f"1.2.250.1.999.2.{pid}.{ms % 9973}"
            atna.audit(ctx.atn, ms, pacs, "PACS", "query", p.user, name, ip, pid, pname)
            atna.audit(ctx.atn, ms + 1500, pacs, "PACS", "instances-accessed", p.user, name, ip, pid, pname, study)
            continue
        if role == "lab" and rng.random() < 0.6:
            atna.audit(ctx.atn, ms, lis, "LIS", "patient-record", p.user, name, ip, pid, pname)
            continue
        if role == "admissions":
            interaction = rng.choice(("search-type", "read", "update", "create"))
            fhir.access(
                ctx.fhr,
                ms,
                p.user,
                name,
                role,
                p.dept,
                ip,
                pid,
                "Patient" if interaction != "create" else "Encounter",
                interaction,
                purpose="HOPERAT",
                confidentiality=flag,
            )
            continue
        resource = rng.choices(_RES_NAMES, cum_weights=_RES_CUM)[0] if role != "pharmacy" else "MedicationRequest"
        fhir.access(ctx.fhr, ms, p.user, name, role, p.dept, ip, pid, "Patient", confidentiality=flag)
        if resource != "Patient":
            interaction = "update" if role in ("nurse", "physician") and rng.random() < 0.2 else "read"
            at = ms + 800 + rng.randrange(20_000)
            fhir.access(ctx.fhr, at, p.user, name, role, p.dept, ip, pid, resource, interaction, confidentiality=flag)


def mails(ctx: Ctx, rng: random.Random, p: Person, start: int, end: int, hours: float) -> None:
    count = poisson_count(rng, p.role.mail * min(hours, 9) / 8)
    me = f"{p.user}@{DOMAIN}"
    for ms in times(rng, start, end, count):
        partner = rng.choice(MAIL_PARTNERS)
        r = rng.random()
        mid = f"<{ms:x}.{p.idx}@{DOMAIN if r < 0.4 else partner}>"
        if r < 0.3:
            mail.message(
                ctx.eml,
                ms,
                mid,
                me,
                f"contact@{partner}",
                rng.choice(MAIL_SUBJECTS),
                "outbound",
                "delivered",
                "10.10.0.70",
                rng.randrange(3000, 900_000),
            )
        elif r < 0.45:
            other = rng.choice(ctx.org.people)
            mail.message(
                ctx.eml,
                ms,
                mid,
                me,
                f"{other.user}@{DOMAIN}",
                rng.choice(MAIL_SUBJECTS),
                "internal",
                "delivered",
                "10.10.0.70",
                rng.randrange(3000, 400_000),
            )
        elif r < 0.93:
            # Partners do send macro workbooks: a .xlsm is not proof of an attack.
            att = rng.choice(
                ("", "", "", "planning.xlsx", "compte-rendu.pdf", "note.docx", "", "commande-pharmacie.xlsm")
            )
            mail.message(
                ctx.eml,
                ms,
                mid,
                f"secretariat@{partner}",
                me,
                rng.choice(MAIL_SUBJECTS),
                "inbound",
                "delivered",
                f"{80 + ms % 100}.{ms % 251}.{p.idx % 251}.{ms % 199 + 1}",
                rng.randrange(3000, 2_000_000),
                att,
                spam_score=rng.randrange(0, 20),
            )
        else:
            mail.message(
                ctx.eml,
                ms,
                mid,
                f"promo@offres-{ms % 97}.example",
                me,
                rng.choice(SPAM_SUBJECTS),
                "inbound",
                "quarantined",
                f"{180 + ms % 40}.{ms % 251}.{ms % 199}.{ms % 97 + 1}",
                rng.randrange(3000, 60_000),
                url=f"http://offres-{ms % 97}.example/promo",
                spam_score=rng.randrange(60, 99),
            )


def phone_on_wifi(ctx: Ctx, rng: random.Random, p: Person, start: int, end: int) -> None:
    """A staff member's personal phone joins the BYOD network for the shift."""
    ip = f"10.60.{p.idx // 250}.{p.idx % 250 + 2}"
    ap = f"AP-{p.dept[:4].upper()}-{p.idx % 6 + 1:02d}"
    ms = start + rng.randrange(60_000, 900_000)
    netsvc.wifi_auth(ctx.wif, ms, p.user, p.phone_mac, ip, "CHU-PERSO", ap, "byod", 60)
    netsvc.dhcp_ack(ctx.dhc, ms + 900, ip, p.phone_mac, f"iPhone-de-{p.first}", "10.60.0.1")
    netsvc.wifi_disassoc(ctx.wif, end + rng.randrange(60_000, 600_000), p.phone_mac, ap)


def clinical_tablet(ctx: Ctx, rng: random.Random, p: Person, start: int, end: int) -> None:
    """A hospital tablet (or workstation on wheels) on the staff SSID, talking to the EHR."""
    n = p.idx % 250
    ip, mac = f"10.50.{p.idx // 250}.{n + 2}", f"00:a0:f8:{p.idx >> 8 & 255:02x}:{n:02x}:{ctx.day.index % 256:02x}"
    ap = f"AP-{p.dept[:4].upper()}-{p.idx % 6 + 1:02d}"
    ms = start + rng.randrange(30_000, 600_000)
    netsvc.wifi_auth(ctx.wif, ms, p.user, mac, ip, "CHU-SOINS", ap, "staff", 50)
    netsvc.dhcp_ack(ctx.dhc, ms + 700, ip, mac, f"TAB-{p.dept[:4].upper()}-{n:03d}", "10.50.0.1")
    ehr_ip = ctx.org.servers["ehr"].ip
    for t in times(rng, ms + 60_000, end, poisson_count(rng, 4)):
        fortigate.traffic(
            ctx.fw,
            t,
            ctx.day.utc_offset_s,
            ip,
            40000 + t % 20000,
            ehr_ip,
            443,
            "close",
            "HTTPS",
            rng.randrange(2000, 40_000),
            rng.randrange(20_000, 900_000),
            8,
            srcintf="wifi-staff",
            dstintf="internal",
            duration=rng.randrange(5, 600),
        )
    netsvc.wifi_disassoc(ctx.wif, end + rng.randrange(30_000, 300_000), mac, ap)
