"""VPN account takeover: a physician logs in from France, then 'again' from abroad an hour later."""

from __future__ import annotations

import random

from garde.simulate.benign.workday import home_ip
from garde.simulate.context import Ctx, country_name, public_ip
from garde.simulate.emitters import fhir, fortigate, windows
from garde.simulate.scenarios.base import Label, Rec, Scenario

MINUTE = 60_000


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "vpn_takeover",
        "Stolen VPN credentials used from abroad: impossible travel, then data access",
        ("T1078", "T1133", "T1213"),
    )
    rec = Rec(label)
    org = ctx.org
    off = ctx.day.utc_offset_s
    victim = rng.choice([p for p in org.by_role["physician"] if p.remote] or org.by_role["physician"])
    label.users.add(victim.user)
    home, country = home_ip(victim), rng.choice(("RU", "CN", "BR"))
    attacker = public_ip(rng, country)
    label.ips |= {home, attacker}
    label.entity("countries", country_name(country))
    tunnel = f"10.99.{victim.idx // 250}.{victim.idx % 250 + 2}"
    rec("vpn", at, fortigate.vpn(ctx.vpn, at, off, "tunnel-up", victim.user, home, "France", tunnel))
    down = at + 25 * MINUTE
    rec(
        "vpn",
        down,
        fortigate.vpn(
            ctx.vpn,
            down,
            off,
            "tunnel-down",
            victim.user,
            home,
            "France",
            tunnel,
            sent=2_100_000,
            rcvd=9_800_000,
            duration=1500,
        ),
    )
    t = at + rng.randrange(45 * MINUTE, 80 * MINUTE)
    for k in range(3):
        rec(
            "vpn",
            t,
            fortigate.vpn(
                ctx.vpn,
                t,
                off,
                "ssl-login-fail",
                victim.user,
                attacker,
                country_name(country),
                "",
                reason="sslvpn_login_unknown_user" if k == 0 else "sslvpn_login_permission_denied",
            ),
        )
        t += rng.randrange(10 * 1000, 60 * 1000)
    tunnel2 = f"10.99.250.{victim.idx % 250 + 2}"
    label.ips.add(tunnel2)
    rec("vpn", t, fortigate.vpn(ctx.vpn, t, off, "tunnel-up", victim.user, attacker, country_name(country), tunnel2))
    rec("winsec", t + 3000, windows.tgt(ctx.sec, t + 3000, ctx.dc, victim.user, victim.sid, tunnel2))
    for key in ("fs", "ehr"):
        server = org.servers[key]
        lid = ctx.logon_id()
        label.hosts.add(server.fqdn)
        rec(
            "winsec",
            t + 9000,
            windows.logon(
                ctx.sec, t + 9000, server.fqdn, victim.user, victim.sid, 3, tunnel2, lid, "DESKTOP-7QK2M1P", auth="NTLM"
            ),
        )
    name = f"{victim.first} {victim.last}"
    a = t + 2 * MINUTE
    for pid, _pname, _dept in rng.sample(org.patients, min(len(org.patients), 120)):
        rec(
            "ehr_fhir",
            a,
            fhir.access(
                ctx.fhr,
                a,
                victim.user,
                name,
                "physician",
                victim.dept,
                tunnel2,
                pid,
                "Patient",
                "read",
                confidentiality=org.confidentiality(pid),
            ),
        )
        a += rng.randrange(2000, 9000)
    end = a + 5 * MINUTE
    rec(
        "vpn",
        end,
        fortigate.vpn(
            ctx.vpn,
            end,
            off,
            "tunnel-down",
            victim.user,
            attacker,
            country_name(country),
            tunnel2,
            sent=3_000_000,
            rcvd=480_000_000,
            duration=(end - t) // 1000,
        ),
    )
    return label


SCENARIO = Scenario("vpn_takeover", "same VPN account from France then abroad within the hour", (20.0, 23.0), inject)
