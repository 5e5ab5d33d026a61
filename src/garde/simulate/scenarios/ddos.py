"""A DDoS against the patient portal: thousands of sources, a SYN and HTTP flood, anomaly alerts."""

from __future__ import annotations

import random

from garde.simulate.context import Ctx, country_name, public_ip
from garde.simulate.emitters import fortigate
from garde.simulate.org import PORTAL_IP
from garde.simulate.scenarios.base import Label, Rec, Scenario

MINUTE = 60_000


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "ddos_portal", "Volumetric flood against the patient portal from a botnet", ("T1498.001", "T1499.002")
    )
    rec = Rec(label)
    off = ctx.day.utc_offset_s
    label.ips.add(PORTAL_IP)
    label.hosts.add("srv-portal01.chu-demo.local")
    countries = ("US", "BR", "CN", "RU", "NG", "NL", "DE")
    bots = [(public_ip(rng, c), c) for c in (rng.choice(countries) for _ in range(600 + len(ctx.org.people) // 2))]
    duration = rng.randrange(12 * MINUTE, 25 * MINUTE)
    flows = 3000 + len(ctx.org.people) * 4
    step = duration / flows
    for k in range(flows):
        ms = at + int(k * step)
        src, c = bots[k % len(bots)]
        action = "deny" if k % 3 else "timeout"
        rec(
            "firewall",
            ms,
            fortigate.traffic(
                ctx.fw,
                ms,
                off,
                src,
                1024 + (k * 7919) % 64000,
                PORTAL_IP,
                443,
                action,
                "HTTPS",
                60 if action == "deny" else 2400,
                0,
                3,
                src_country=country_name(c),
                srcintf="wan1",
                dstintf="dmz",
            ),
        )
    for k in range(0, duration, MINUTE):
        src, c = bots[(k // MINUTE) % len(bots)]
        attack = "tcp_syn_flood" if (k // MINUTE) % 2 == 0 else "tcp_src_session"
        rec(
            "firewall",
            at + k + 500,
            fortigate.anomaly(
                ctx.fw, at + k + 500, off, src, PORTAL_IP, 443, attack, rng.randrange(8000, 60000), country_name(c)
            ),
        )
    label.entity("botnet_sources", str(len({b for b, _ in bots})))
    return label


SCENARIO = Scenario("ddos_portal", "SYN/HTTP flood on the patient portal from thousands of IPs", (9.0, 19.0), inject)
