"""The hospital's plan: staff with roles and departments, hosts, networks and patients."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from garde.simulate.vocab import CLINICAL_DEPTS, DEPT_CODES, FIRST_NAMES, LAST_NAMES, WEB_SITES

DOMAIN = "chu-demo.local"
NETBIOS = "CHU-DEMO"
SITE = "CHU Demo (simulated)"
PORTAL_IP = "203.0.113.10"  # documentation range: the patient portal's public address
FW_PUBLIC_IP = "203.0.113.1"
STAFF_PATIENT_BASE = 900_000  # patient ids of staff members treated in their own hospital
RELATIVE_PATIENT_BASE = 950_000  # patient ids reserved for staff members' relatives
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"


@dataclass(frozen=True)
class Role:
    """How a role works: its share of staff, where, when, and how much it uses each system."""

    name: str
    share: float
    depts: tuple[str, ...]
    shifts: str  # "ward" (12 h day/night rotations), "office", "lab" (24/7 8 h), "oncall", "vendor"
    kiosk: bool  # works on shared clinical kiosks (fast user switching) rather than an own PC
    ehr: int  # EHR record accesses per hour of work
    web: int  # proxy requests per hour of work
    mail: int  # mails per day
    admin: bool = False


ROLES: tuple[Role, ...] = (
    Role("nurse", 0.38, CLINICAL_DEPTS, "ward", True, 9, 4, 4),
    Role("physician", 0.13, CLINICAL_DEPTS, "oncall", False, 10, 14, 14),
    Role("intern", 0.06, CLINICAL_DEPTS, "ward", True, 12, 10, 6),
    Role("admissions", 0.07, ("admissions",), "lab", False, 8, 8, 6),
    Role("lab", 0.05, ("laboratory",), "lab", False, 6, 5, 4),
    Role("pharmacy", 0.03, ("pharmacy",), "office", False, 6, 8, 8),
    Role("radiology", 0.05, ("radiology",), "lab", False, 5, 6, 5),
    Role("it", 0.02, ("it",), "office", False, 0, 30, 20, admin=True),
    Role("administration", 0.16, ("administration",), "office", False, 0, 25, 25),
    Role("biomedical", 0.02, ("biomedical",), "office", False, 0, 15, 10),
    Role("vendor", 0.03, ("vendor",), "vendor", False, 0, 0, 0),
)
ROLE_BY_NAME = {r.name: r for r in ROLES}


@dataclass
class Person:
    idx: int
    user: str  # sAMAccountName
    first: str
    last: str
    role: Role
    dept: str
    sid: str
    host: str  # own workstation, or the department's kiosk pool prefix for kiosk users
    ip: str
    phase: int  # rotation phase for shift patterns
    night: bool  # works nights (ward roles)
    remote: bool  # has VPN access
    phone_mac: str
    home_country: str = "FR"
    favourite_sites: tuple[int, ...] = ()  # indices into vocab.WEB_SITES: this person's habits


@dataclass(frozen=True)
class Host:
    name: str  # short NetBIOS-style name
    ip: str
    kind: str  # workstation, kiosk, server, biomed, printer
    dept: str
    mac: str

    @property
    def fqdn(self) -> str:
        return f"{self.name.lower()}.{DOMAIN}"


@dataclass
class Org:
    seed: int
    people: list[Person]
    hosts: dict[str, Host]
    kiosks: dict[str, list[Host]]  # department -> its shared kiosks
    servers: dict[str, Host]  # role -> server (dc1, dc2, ehr, pacs, lis, fs, backup, mail, proxy...)
    biomed: list[Host]
    printers: list[Host]
    patients: list[tuple[str, str, str]]  # (patient id, FAMILY^Given, department)
    vip_patients: list[int] = field(default_factory=list)  # indices into patients: celebrities
    by_role: dict[str, list[Person]] = field(default_factory=dict)
    vip_ids: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        self.vip_ids = frozenset(self.patients[i][0] for i in self.vip_patients)

    def confidentiality(self, patient_id: str) -> str:
        """The EHR's confidentiality flag on a record: V (very restricted) for celebrities, R
        (restricted) for staff members treated here, none for everyone else."""
        if patient_id in self.vip_ids:
            return "V"
        if STAFF_PATIENT_BASE <= int(patient_id) < RELATIVE_PATIENT_BASE:
            return "R"
        return ""


def _mac(rng: random.Random, oui: str) -> str:
    return oui + ":" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


SERVERS = (
    ("dc1", "SRV-DC01", "10.10.0.10"),
    ("dc2", "SRV-DC02", "10.10.0.11"),
    ("ehr", "SRV-EHR01", "10.10.0.20"),
    ("pacs", "SRV-PACS01", "10.10.0.30"),
    ("lis", "SRV-LIS01", "10.10.0.40"),
    ("fs", "SRV-FS01", "10.10.0.50"),
    ("backup", "SRV-BKP01", "10.10.0.60"),
    ("mail", "SRV-MAIL01", "10.10.0.70"),
    ("proxy", "SRV-PROXY01", "10.10.0.80"),
    ("portal", "SRV-PORTAL01", "10.10.1.10"),
    ("print", "SRV-PRINT01", "10.10.0.90"),
    ("sql", "SRV-SQL01", "10.10.0.21"),
)


def build_org(seed: int, staff: int, devices: int | None = None) -> Org:
    """The same seed, staff and device counts always give the same hospital. ``devices`` is the
    number of biomedical devices and printers (default: about one per ten staff)."""
    rng = random.Random(f"org:{seed}:{staff}")
    n_biomed, n_printers = device_counts(staff, devices)
    hosts: dict[str, Host] = {}
    servers: dict[str, Host] = {}
    for key, name, ip in SERVERS:
        servers[key] = hosts[name] = Host(name, ip, "server", "it", _mac(rng, "00:50:56"))
    kiosks: dict[str, list[Host]] = {}
    for d_i, dept in enumerate(CLINICAL_DEPTS):
        count = max(2, staff // 150)
        kiosks[dept] = [
            Host(f"KSK-{DEPT_CODES[dept]}-{k + 1:02d}", f"10.21.{d_i}.{k + 10}", "kiosk", dept, _mac(rng, "d4:be:d9"))
            for k in range(count)
        ]
        for h in kiosks[dept]:
            hosts[h.name] = h
    people: list[Person] = []
    used: set[str] = set()
    counts = _role_counts(staff)
    ws_n = 0
    for role in ROLES:
        for i in range(counts[role.name]):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            base = (first[0] + last).lower() if role.name != "vendor" else f"ext-{last.lower()}"
            user, n = base, 1
            while user in used:
                n += 1
                user = f"{base}{n}"
            used.add(user)
            dept = role.depts[i % len(role.depts)]
            idx = len(people)
            if role.kiosk or role.name == "vendor":
                host, ip = (f"KSK-{DEPT_CODES[dept]}", "") if role.kiosk else ("", "")
            else:
                ws_n += 1
                host = f"WS-{DEPT_CODES[dept]}-{ws_n:04d}"
                ip = f"10.20.{ws_n // 250}.{ws_n % 250 + 2}"
                hosts[host] = Host(host, ip, "workstation", dept, _mac(rng, "3c:52:82"))
            people.append(
                Person(
                    idx=idx,
                    user=user,
                    first=first,
                    last=last,
                    role=role,
                    dept=dept,
                    sid=f"{DOMAIN_SID}-{1100 + idx}",
                    host=host,
                    ip=ip,
                    phase=rng.randrange(14),
                    night=role.shifts == "ward" and rng.random() < 0.3,
                    remote=(role.name in ("physician", "it", "administration", "vendor") and rng.random() < 0.6)
                    or role.name == "vendor",
                    phone_mac=_mac(rng, rng.choice(("f0:18:98", "a4:83:e7", "ac:37:43", "3c:2e:ff"))),
                    home_country=rng.choice(("DE", "NL")) if role.name == "vendor" and rng.random() < 0.5 else "FR",
                    favourite_sites=tuple(rng.sample(range(len(WEB_SITES)), 5)),
                )
            )
    biomed = [
        Host(
            f"BIO-{kind}-{i:03d}",
            f"10.30.{i // 200}.{i % 200 + 10}",
            "biomed",
            rng.choice(CLINICAL_DEPTS),
            _mac(rng, "00:09:fb"),
        )
        for i, kind in enumerate(("PUMP", "MON", "ECG", "VENT")[k % 4] for k in range(n_biomed))
    ]
    printers = [
        Host(f"PRN-{i:03d}", f"10.40.{i // 200}.{i % 200 + 10}", "printer", "", _mac(rng, "00:17:c8"))
        for i in range(n_printers)
    ]
    for h in (*biomed, *printers):
        hosts[h.name] = h
    patients = []
    for p in range(max(200, staff * 2)):
        patients.append(
            (
                f"{400000 + p * 7}",
                f"{rng.choice(LAST_NAMES).upper()}^{rng.choice(FIRST_NAMES)}",
                rng.choice(CLINICAL_DEPTS),
            )
        )
    org = Org(
        seed,
        people,
        hosts,
        kiosks,
        servers,
        biomed,
        printers,
        patients,
        vip_patients=rng.sample(range(len(patients)), 3),
    )
    for person in people:
        org.by_role.setdefault(person.role.name, []).append(person)
    return org


def device_counts(staff: int, devices: int | None) -> tuple[int, int]:
    """(biomedical devices, printers): four in five networked devices are biomedical."""
    if devices is None:
        return 4 * max(2, staff // 60), max(4, staff // 40)
    biomed = devices * 4 // 5
    return biomed, devices - biomed


def _role_counts(staff: int) -> dict[str, int]:
    """Head count per role: at least one of each (a tiny hospital may run a person over), nurses
    making up the rest."""
    counts = {r.name: max(1, int(staff * r.share)) for r in ROLES}
    counts["nurse"] = max(1, counts["nurse"] + staff - sum(counts.values()))
    return counts
