"""The hospital's own machinery: servers, nightly backups, the patient portal, the internet's noise."""

from __future__ import annotations

from garde.simulate.benign.activity import poisson_count, times
from garde.simulate.calendar import HOUR
from garde.simulate.context import Ctx, country_name, public_ip
from garde.simulate.emitters import backup, fortigate, netsvc, sysmon, windows
from garde.simulate.org import PORTAL_IP
from garde.simulate.vocab import SYSTEM_PROGRAMS

BACKUP_JOBS = (  # (job, objects, size GB, local start hour)
    ("DPI-SQL-Nightly", 3, 420.0, 22.0),
    ("PACS-Archive", 2, 1900.0, 23.0),
    ("FileServer-FS01", 1, 640.0, 0.5),
    ("AD-SystemState", 2, 60.0, 1.5),
    ("Mail-Exchange", 1, 310.0, 2.0),
    ("LIS-Database", 1, 95.0, 2.5),
)
# Diurnal weight of patient-portal traffic per local hour.
_PORTAL_CURVE = (1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9, 10, 11, 11, 10, 9, 9, 8, 7, 5, 3, 2)
_SERVICE_INSTALLS = (
    ("edgeupdate", r'"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /svc'),
    ("GoogleUpdaterService", r'"C:\Program Files (x86)\Google\GoogleUpdater\updater.exe" --system --windows-service'),
    ("DpiClientUpdate", r'"C:\Program Files\DPI\Updater\DpiUpdateSvc.exe"'),
    ("VeeamEndpointBackupSvc", r'"C:\Program Files\Veeam\Endpoint Backup\Veeam.EndPoint.Service.exe"'),
    ("Sysmon64", r"C:\Windows\Sysmon64.exe"),
)
_SCAN_PORTS = (22, 23, 445, 3389, 1433, 5900, 8080, 161, 3306, 25)


def infrastructure_day(ctx: Ctx, staff: int, skip_backup_jobs: frozenset[str] = frozenset()) -> None:
    servers(ctx)
    backups(ctx, skip_backup_jobs)
    portal(ctx, staff)
    internet_noise(ctx, staff)
    devices(ctx)
    guests(ctx, staff)
    it_admin(ctx)
    stale_service_account(ctx)
    machine_accounts(ctx)


_SERVICES = (
    "Windows Update",
    "Background Intelligent Transfer Service",
    "Windows Modules Installer",
    "Volume Shadow Copy",
    "Microsoft Software Shadow Copy Provider",
    "WinHTTP Web Proxy Auto-Discovery Service",
)


def servers(ctx: Ctx) -> None:
    rng = ctx.rng("servers")
    for server in ctx.org.servers.values():
        for ms in times(rng, ctx.day.midnight_ms, ctx.day.midnight_ms + 24 * HOUR, 6):  # services come and go
            service = rng.choice(_SERVICES)
            windows.service_state(ctx.sys, ms, server.fqdn, service, "running")
            windows.service_state(ctx.sys, ms + rng.randrange(60_000, 900_000), server.fqdn, service, "stopped")
        for ms in times(rng, ctx.day.midnight_ms, ctx.day.midnight_ms + 24 * HOUR, 24):
            image, cmd, parent = rng.choice(SYSTEM_PROGRAMS)
            sysmon.process(
                ctx.smn, ms, server.fqdn, "NT AUTHORITY\\SYSTEM", image, cmd, parent, ctx.pid(), integrity="System"
            )
        for ms in times(rng, ctx.day.midnight_ms, ctx.day.midnight_ms + 24 * HOUR, 12):  # service accounts
            lid = ctx.logon_id()
            windows.logon(
                ctx.sec,
                ms,
                server.fqdn,
                "svc-monitoring",
                "S-1-5-21-3623811015-3361044348-30300820-1050",
                3,
                "10.10.0.95",
                lid,
                "SRV-MON01",
            )
            windows.logoff(
                ctx.sec,
                ms + 1500,
                server.fqdn,
                "svc-monitoring",
                "S-1-5-21-3623811015-3361044348-30300820-1050",
                3,
                lid,
            )
            windows.service_ticket(ctx.sec, ms - 200, ctx.dc, "svc-monitoring", f"HOST/{server.name}", "10.10.0.95")


def backups(ctx: Ctx, skip: frozenset[str]) -> None:
    rng = ctx.rng("backups")
    bkp = ctx.org.servers["backup"].fqdn
    for job, objects, size, hour in BACKUP_JOBS:
        if job in skip:
            continue
        start = ctx.day.at(hour + rng.random() * 0.2)
        changed = size * rng.uniform(0.02, 0.08)
        duration = int(changed * rng.uniform(25, 40))
        sysmon.process(
            ctx.smn,
            start,
            bkp,
            "CHU-DEMO\\svc-veeam",
            r"C:\Windows\System32\vssadmin.exe",
            "vssadmin list shadows",
            r"C:\Program Files\Veeam\Backup and Replication\Backup\Veeam.Backup.Manager.exe",
            ctx.pid(),
            integrity="High",
        )
        result = "Success" if rng.random() > 0.04 else "Warning"
        backup.job_report(
            ctx.bkp,
            start + duration * 1000,
            job,
            result,
            objects,
            size * rng.uniform(0.98, 1.02),
            changed,
            duration,
            "REPO-NAS-01",
            "" if result == "Success" else "Changed block tracking reset, full read performed",
        )


def portal(ctx: Ctx, staff: int) -> None:
    """Patients using the portal: inbound HTTPS from French home connections, day-heavy."""
    rng = ctx.rng("portal")
    off = ctx.day.utc_offset_s
    total = staff // 2 * (1 if not ctx.day.off_day else 0.6)
    scale = total / sum(_PORTAL_CURVE)
    for hour, weight in enumerate(_PORTAL_CURVE):
        start = ctx.day.at(hour)
        for ms in times(rng, start, start + HOUR, poisson_count(rng, weight * scale)):
            src = public_ip(rng, "FR")
            fortigate.traffic(
                ctx.fw,
                ms,
                off,
                src,
                30000 + ms % 30000,
                PORTAL_IP,
                443,
                "close",
                "HTTPS",
                rng.randrange(800, 9000),
                rng.randrange(5000, 400_000),
                3,
                src_country="France",
                dst_country="Reserved",
                srcintf="wan1",
                dstintf="dmz",
                duration=rng.randrange(1, 90),
            )


def internet_noise(ctx: Ctx, staff: int) -> None:
    """Scanners knocking on the perimeter all day long: denied, logged, ignored."""
    rng = ctx.rng("noise")
    off = ctx.day.utc_offset_s
    for ms in times(rng, ctx.day.midnight_ms, ctx.day.midnight_ms + 24 * HOUR, staff // 4):
        country = rng.choice(("US", "CN", "RU", "NL", "BR", "DE"))
        fortigate.traffic(
            ctx.fw,
            ms,
            off,
            public_ip(rng, country),
            rng.randrange(1024, 65535),
            "203.0.113.1",
            rng.choice(_SCAN_PORTS),
            "deny",
            "tcp",
            60,
            0,
            0,
            src_country=country_name(country),
            srcintf="wan1",
            dstintf="root",
        )


def devices(ctx: Ctx) -> None:
    """Biomedical devices and printers renew their leases twice a day."""
    rng = ctx.rng("devices")
    for host in (*ctx.org.biomed, *ctx.org.printers):
        for half in (0, 12):
            relay = "10.30.0.1" if host.kind == "biomed" else "10.40.0.1"
            netsvc.dhcp_renew(ctx.dhc, ctx.day.at(half + rng.random() * 11), host.ip, host.mac, host.name, relay)


def guests(ctx: Ctx, staff: int) -> None:
    """Visitors and patients on the guest Wi-Fi: daytime, captive portal, short stays."""
    rng = ctx.rng("guests")
    for i, ms in enumerate(times(rng, ctx.day.at(8), ctx.day.at(21), staff // 10)):
        # Phones randomise their Wi-Fi MAC: locally administered addresses.
        mac = rng.choice(("da", "6e", "2a", "f2")) + "".join(f":{rng.randrange(256):02x}" for _ in range(5))
        ip = f"172.16.{i // 250}.{i % 250 + 2}"
        ap = f"AP-HALL-{rng.randrange(1, 9):02d}"
        netsvc.wifi(ctx.wif, ms, "501095", f"Assoc request @ {ms % 100000:05d}: {mac} (SN 0): AP {ap} SSID CHU-INVITES")
        netsvc.wifi(
            ctx.wif,
            ms + 30_000,
            "522026",
            f"User Authentication Successful: username={mac.replace(':', '')} MAC={mac} IP={ip} role=guest-logon "
            f"VLAN=70 AP={ap} SSID=CHU-INVITES auth method=Captive Portal",
        )
        netsvc.dhcp_ack(ctx.dhc, ms + 2000, ip, mac, "-", "172.16.0.1")
        netsvc.wifi_disassoc(ctx.wif, ms + int(rng.uniform(0.2, 3) * HOUR), mac, ap)


def it_admin(ctx: Ctx) -> None:
    """Account management, and the occasional legitimate PsExec on a server."""
    if ctx.day.off_day:
        return
    rng = ctx.rng("itadmin")
    admins = ctx.org.by_role.get("it", [])
    if not admins:
        return
    dc = ctx.dc
    workstations = [h for h in ctx.org.hosts.values() if h.kind in ("workstation", "kiosk")]
    for ms in times(rng, ctx.day.at(9), ctx.day.at(17), rng.randrange(1, 4) + len(workstations) // 200):
        name, image = rng.choice(_SERVICE_INSTALLS)  # software deployment: new services are normal too
        windows.service_installed(ctx.sys, ms, rng.choice(workstations).fqdn, name, image)
    for ms in times(rng, ctx.day.at(9), ctx.day.at(17), rng.randrange(1, 5)):
        admin, target = rng.choice(admins), rng.choice(ctx.org.people)
        windows.account_event(
            ctx.sec, ms, dc, rng.choice((4724, 4724, 4720)), admin.user, admin.sid, target.user, target.sid
        )
    if rng.random() < 0.4:
        admin, server = rng.choice(admins), ctx.org.servers[rng.choice(("print", "sql", "lis"))]
        ms = ctx.day.at(10 + rng.random() * 6)
        ws = ctx.org.hosts[admin.host]
        sysmon.process(
            ctx.smn,
            ms,
            ws.fqdn,
            admin.user,
            r"C:\Tools\SysinternalsSuite\PsExec64.exe",
            rf"PsExec64.exe \\{server.fqdn} -s cmd /c " "ipconfig /flushdns" "",
            r"C:\Windows\System32\cmd.exe",
            ctx.pid(),
            integrity="High",
        )
        lid = ctx.logon_id()
        windows.logon(ctx.sec, ms + 900, server.fqdn, admin.user, admin.sid, 3, ws.ip, lid, ws.name)
        windows.service_installed(ctx.sys, ms + 1200, server.fqdn, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe")
        sysmon.process(
            ctx.smn,
            ms + 1500,
            server.fqdn,
            "NT AUTHORITY\\SYSTEM",
            r"C:\Windows\PSEXESVC.exe",
            r"C:\Windows\PSEXESVC.exe",
            r"C:\Windows\System32\services.exe",
            ctx.pid(),
            integrity="System",
        )


def stale_service_account(ctx: Ctx) -> None:
    """A scan-to-mail service whose password was changed but not on the copier: it fails all day,
    one account from one host, the classic noise in front of a password-spraying detector."""
    rng = ctx.rng("stale-account")
    copier = ctx.org.printers[0]
    for ms in range(ctx.day.at(rng.random()), ctx.day.at(24), 1_800_000 + rng.randrange(60_000)):
        windows.logon_failed(ctx.sec, ms, ctx.dc, "svc-scan2mail", 3, copier.ip, "0xC000006A", copier.name)
        windows.ntlm_validate(ctx.sec, ms + 2, ctx.dc, "svc-scan2mail", copier.name, "0xC000006A")


def machine_accounts(ctx: Ctx) -> None:
    """Computers authenticate too, day and night: each renews its tickets and reads policy from
    a domain controller about every hour (the steady hum of a domain controller's log)."""
    rng = ctx.rng("machines")
    dc = ctx.dc
    start, end = ctx.day.midnight_ms, ctx.day.midnight_ms + 24 * HOUR
    for host in ctx.org.hosts.values():
        if host.kind not in ("workstation", "kiosk", "server"):
            continue
        account = f"{host.name}$"
        sid = f"S-1-5-21-3623811015-3361044348-30300820-{20000 + (hash_name(host.name) % 9000)}"
        t = start + rng.randrange(HOUR)
        while t < end:
            windows.service_ticket(ctx.sec, t, dc, account, f"ldap/{dc.split('.')[0].upper()}.chu-demo.local", host.ip)
            lid = ctx.logon_id()
            windows.logon(ctx.sec, t + 40, dc, account, sid, 3, host.ip, lid, host.name)
            windows.logoff(ctx.sec, t + 900, dc, account, sid, 3, lid)
            t += rng.randrange(50, 130) * 60_000


def hash_name(name: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(name))
