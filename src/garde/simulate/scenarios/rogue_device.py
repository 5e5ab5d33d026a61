"""A rogue device on the staff Wi-Fi: a small computer joins with borrowed credentials and scans."""

from __future__ import annotations

import random

from garde.simulate.context import Ctx
from garde.simulate.emitters import fortigate, netsvc
from garde.simulate.scenarios.base import Label, Rec, Scenario

ROGUE_MAC = "b8:27:eb:4c:11:9a"  # a Raspberry Pi's OUI
PORTS = (22, 80, 135, 139, 443, 445, 1433, 3389, 5985, 104, 2575, 11112)


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "rogue_device",
        "Unknown device on the staff SSID using a nurse's 802.1X credentials, scanning the LAN",
        ("T1200", "T1046", "T1078"),
    )
    rec = Rec(label)
    org = ctx.org
    off = ctx.day.utc_offset_s
    borrowed = rng.choice(org.by_role["nurse"])
    ip = "10.50.3.201"
    ap = "AP-URG-03"
    label.users.add(borrowed.user)
    label.ips.add(ip)
    label.hosts.add("raspberrypi")
    label.entity("macs", ROGUE_MAC)
    rec("wifi", at, netsvc.wifi_auth(ctx.wif, at, borrowed.user, ROGUE_MAC, ip, "CHU-SOINS", ap, "staff", 50))
    rec("dhcp", at + 900, netsvc.dhcp_ack(ctx.dhc, at + 900, ip, ROGUE_MAC, "raspberrypi", "10.50.0.1"))
    t = at + 120_000
    targets = [h for h in org.hosts.values() if h.kind in ("server", "biomed")][:60]
    for host in targets:
        for port in PORTS:
            action = "deny" if port not in (443, 80) else "close"
            rec(
                "firewall",
                t,
                fortigate.traffic(
                    ctx.fw,
                    t,
                    off,
                    ip,
                    40000 + t % 20000,
                    host.ip,
                    port,
                    action,
                    f"tcp/{port}",
                    60,
                    0 if action == "deny" else 400,
                    8,
                    srcintf="wifi-staff",
                    dstintf="internal",
                ),
            )
            t += rng.randrange(30, 400)
    end = t + rng.randrange(20 * 60_000, 60 * 60_000)
    rec("wifi", end, netsvc.wifi_disassoc(ctx.wif, end, ROGUE_MAC, ap))
    return label


SCENARIO = Scenario(
    "rogue_device", "Raspberry Pi on the staff SSID with a nurse's login, scanning", (6.0, 22.0), inject
)
