"""A staff member's working day: logons (own PC, shared kiosks, VPN), programs, then activity."""

from __future__ import annotations

import random

from garde.simulate.benign import activity
from garde.simulate.calendar import HOUR, Shift
from garde.simulate.context import Ctx, country_name, public_ip, site_ip
from garde.simulate.emitters import fortigate, netsvc, sysmon, windows
from garde.simulate.org import Host, Person
from garde.simulate.vocab import ADMIN_COMMANDS, OFFICE_PROGRAMS, SYSTEM_PROGRAMS

MINUTE = 60_000
_CLINICAL_PROGRAMS = tuple(p for p in OFFICE_PROGRAMS if "DpiClient" in p[0] or "chrome" in p[0] or "msedge" in p[0])


def person_day(ctx: Ctx, p: Person, shifts: list[Shift]) -> None:
    rng = ctx.rng(f"person:{p.idx}")
    for shift in shifts:
        if shift.onsite:
            onsite(ctx, rng, p, shift)
        else:
            remote(ctx, rng, p, shift)


def onsite(ctx: Ctx, rng: random.Random, p: Person, shift: Shift) -> None:
    hours = (shift.end - shift.start) / HOUR
    if p.role.kiosk:
        kiosks = ctx.org.kiosks[p.dept]
        t = shift.start
        while t < shift.end - 5 * MINUTE:
            length = int(rng.uniform(4, 25) * MINUTE)
            if ctx.day.local_hour(t) % 24 < 6 and rng.random() < 0.5:  # quieter small hours
                t += length
                continue
            session(ctx, rng, p, rng.choice(kiosks), t, min(t + length, shift.end), first=t == shift.start)
            t += length + int(rng.uniform(5, 40) * MINUTE)
    else:
        host = ctx.org.hosts[p.host]
        activity.ehr(ctx, rng, p, host.ip, shift.start, shift.end, hours)
        session(ctx, rng, p, host, shift.start, shift.end, first=True, boot=True)
        activity.web(ctx, rng, p, host.ip, shift.start, shift.end, activity.poisson_count(rng, p.role.web * hours))
    activity.mails(ctx, rng, p, shift.start, shift.end, hours)
    if rng.random() < 0.55:
        activity.phone_on_wifi(ctx, rng, p, shift.start, shift.end)
    if p.role.name in ("nurse", "physician", "intern") and rng.random() < 0.5:
        activity.clinical_tablet(ctx, rng, p, shift.start, shift.end)


def session(
    ctx: Ctx, rng: random.Random, p: Person, host: Host, start: int, end: int, first: bool, boot: bool = False
) -> None:
    """One interactive logon on ``host`` from ``start`` to ``end``, with what happens inside it."""
    sec, fq, dc = ctx.sec, host.fqdn, ctx.dc
    if boot:
        netsvc.dhcp_renew(ctx.dhc, start - 4 * MINUTE, host.ip, host.mac, host.name, "10.20.0.1")
        for image, cmd, parent in SYSTEM_PROGRAMS[:3]:
            sysmon.process(
                ctx.smn,
                start - 3 * MINUTE + rng.randrange(60_000),
                fq,
                "NT AUTHORITY\\SYSTEM",
                image,
                cmd,
                parent,
                ctx.pid(),
                integrity="System",
            )
    if rng.random() < 0.035:  # a mistyped password first
        windows.logon_failed(
            sec, start - 20_000, fq, p.user, 2, "127.0.0.1", workstation=host.name, package="Negotiate"
        )
        windows.ntlm_validate(sec, start - 19_900, dc, p.user, host.name, "0xC000006A")
    lid = ctx.logon_id()
    if first:
        windows.tgt(sec, start - 500, dc, p.user, p.sid, host.ip)
    windows.logon(sec, start, fq, p.user, p.sid, 2, "127.0.0.1", lid, host.name)
    if p.role.admin:
        windows.special_privileges(sec, start + 1, fq, p.user, p.sid, lid)
    for svc in ("cifs/SRV-FS01", f"HTTP/{ctx.org.servers['ehr'].name}") if first else ("HTTP/SRV-EHR01",):
        windows.service_ticket(sec, start + rng.randrange(1000, 30_000), dc, p.user, svc, host.ip)
    if boot:
        fs = ctx.org.servers["fs"].fqdn
        flid = ctx.logon_id()
        windows.logon(sec, start + 4000, fs, p.user, p.sid, 3, host.ip, flid, host.name)
        windows.logoff(sec, end + 2000, fs, p.user, p.sid, 3, flid)
    hours = (end - start) / HOUR
    programs(ctx, rng, p, host, start, end, hours)
    if p.role.kiosk:
        activity.ehr(ctx, rng, p, host.ip, start, end, hours)
        activity.web(ctx, rng, p, host.ip, start, end, activity.poisson_count(rng, p.role.web * hours))
    if boot and hours > 6:  # lunch: the screen locks
        lunch = start + int((hours / 2) * HOUR)
        windows.lock(sec, lunch, fq, p.user, p.sid, lid, unlock=False)
        windows.lock(sec, lunch + int(rng.uniform(20, 50) * MINUTE), fq, p.user, p.sid, lid, unlock=True)
    windows.logoff(sec, end, fq, p.user, p.sid, 2, lid, initiated=True)
    windows.logoff(sec, end + 300, fq, p.user, p.sid, 2, lid)


def programs(ctx: Ctx, rng: random.Random, p: Person, host: Host, start: int, end: int, hours: float) -> None:
    smn, fq = ctx.smn, host.fqdn
    pool = _CLINICAL_PROGRAMS if p.role.kiosk else OFFICE_PROGRAMS
    for ms in activity.times(rng, start, end, activity.poisson_count(rng, 1.5 * hours + 1)):
        image, template, parent = rng.choice(pool)
        pid = ctx.pid()
        sysmon.process(
            smn, ms, fq, p.user, image, template.format(img=image, u=p.user), parent, pid, cwd=f"C:\\Users\\{p.user}\\"
        )
        if "chrome" in image or "msedge" in image:
            sysmon.dns_query(smn, ms + 300, fq, p.user, image, "srv-proxy01.chu-demo.local", activity.PROXY_IP, pid)
            sysmon.netconn(
                smn, ms + 700, fq, p.user, image, host.ip, activity.PROXY_IP, 8080, "srv-proxy01.chu-demo.local", pid
            )
        elif "OUTLOOK" in image and rng.random() < 0.5:
            sysmon.dns_query(
                smn, ms + 200, fq, p.user, image, "outlook.office365.com", site_ip("outlook.office365.com"), pid
            )
        elif "WINWORD" in image or "EXCEL" in image:
            ext = "docx" if "WINWORD" in image else "xlsx"
            sysmon.file_created(
                smn,
                ms + rng.randrange(60_000, 1_800_000),
                fq,
                p.user,
                image,
                f"C:\\Users\\{p.user}\\Documents\\document-{ms % 1000}.{ext}",
                pid,
            )
    if p.role.admin:
        admin_commands(ctx, rng, p, host, start, end, hours)


def admin_commands(ctx: Ctx, rng: random.Random, p: Person, host: Host, start: int, end: int, hours: float) -> None:
    """IT staff run PowerShell, net, nltest, mstsc: the benign twins of an intruder's discovery."""
    servers = list(ctx.org.servers.values())
    for ms in activity.times(rng, start, end, activity.poisson_count(rng, 1.2 * hours)):
        image, template, parent = rng.choice(ADMIN_COMMANDS)
        target = rng.choice(ctx.org.people).user
        server = rng.choice(servers)
        sysmon.process(
            ctx.smn,
            ms,
            host.fqdn,
            p.user,
            image,
            template.format(target=target, server=server.fqdn),
            parent,
            ctx.pid(),
            integrity="High",
            cwd=f"C:\\Users\\{p.user}\\",
        )
        if "mstsc" in image:
            lid = ctx.logon_id()
            windows.logon(ctx.sec, ms + 3000, server.fqdn, p.user, p.sid, 10, host.ip, lid, host.name)
            windows.special_privileges(ctx.sec, ms + 3001, server.fqdn, p.user, p.sid, lid)
            windows.logoff(ctx.sec, ms + rng.randrange(5, 40) * MINUTE, server.fqdn, p.user, p.sid, 10, lid)


def home_ip(p: Person) -> str:
    """A stable home address for a remote worker."""
    return public_ip(random.Random(f"home:{p.idx}:{p.user}"), p.home_country)


def remote(ctx: Ctx, rng: random.Random, p: Person, shift: Shift) -> None:
    """A VPN session from home (on-call physicians, IT on call, vendors)."""
    off = ctx.day.utc_offset_s
    remip = home_ip(p)
    tunnel = f"10.99.{p.idx // 250}.{p.idx % 250 + 2}"
    country = country_name(p.home_country)
    if rng.random() < 0.05:
        fortigate.vpn(
            ctx.vpn,
            shift.start - 30_000,
            off,
            "ssl-login-fail",
            p.user,
            remip,
            country,
            "",
            reason="sslvpn_login_permission_denied",
        )
    fortigate.vpn(ctx.vpn, shift.start, off, "tunnel-up", p.user, remip, country, tunnel)
    windows.tgt(ctx.sec, shift.start + 2000, ctx.dc, p.user, p.sid, tunnel)
    hours = (shift.end - shift.start) / HOUR
    if p.role.name == "physician":
        activity.ehr(ctx, rng, p, tunnel, shift.start + 60_000, shift.end, hours)
    else:
        target = ctx.org.servers["pacs" if p.role.name == "vendor" else rng.choice(("fs", "ehr", "backup", "sql"))]
        lid = ctx.logon_id()
        windows.logon(ctx.sec, shift.start + 40_000, target.fqdn, p.user, p.sid, 10, tunnel, lid, "-")
        if p.role.admin:
            windows.special_privileges(ctx.sec, shift.start + 40_001, target.fqdn, p.user, p.sid, lid)
        windows.logoff(ctx.sec, shift.end - 20_000, target.fqdn, p.user, p.sid, 10, lid)
    duration = (shift.end - shift.start) // 1000
    fortigate.vpn(
        ctx.vpn,
        shift.end,
        off,
        "tunnel-down",
        p.user,
        remip,
        country,
        tunnel,
        sent=rng.randrange(10**6, 5 * 10**7),
        rcvd=rng.randrange(10**6, 2 * 10**8),
        duration=duration,
    )
