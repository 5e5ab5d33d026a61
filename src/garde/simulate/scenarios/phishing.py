"""A credential-phishing campaign: lookalike mail, clicks, password entry, attacker logon tries."""

from __future__ import annotations

import random

from garde.simulate.context import Ctx, country_name, public_ip
from garde.simulate.emitters import cef, fortigate, mail
from garde.simulate.org import DOMAIN
from garde.simulate.scenarios.base import Label, Rec, Scenario

PHISH_DOMAIN = "chu-demo-securite.com"
PHISH_IP = "45.133.1.77"
SENDER = "support-informatique@chu-demo-securite.com"


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "phishing",
        "Password-expiry lure from a lookalike domain; some staff enter credentials",
        ("T1566.002", "T1598.003", "T1078"),
    )
    rec = Rec(label)
    org = ctx.org
    off = ctx.day.utc_offset_s
    label.entity("domains", PHISH_DOMAIN)
    label.ips.add(PHISH_IP)
    label.entity("senders", SENDER)
    recipients = rng.sample(org.people, min(len(org.people), 25 + len(org.people) // 20))
    url = f"https://{PHISH_DOMAIN}/owa/auth/logon.aspx?ref=mdp"
    attacker = public_ip(rng, "NG")
    t = at
    for i, p in enumerate(recipients):
        verdict = "quarantined" if i % 7 == 3 else "delivered"
        rec(
            "mail",
            t,
            mail.message(
                ctx.eml,
                t,
                f"<{t:x}.{i}@{PHISH_DOMAIN}>",
                SENDER,
                f"{p.user}@{DOMAIN}",
                "Votre mot de passe expire aujourd'hui",
                "inbound",
                verdict,
                "45.133.1.70",
                14_211,
                url=url,
                spam_score=35,
            ),
        )
        label.users.add(p.user)
        t += rng.randrange(300, 3000)
        if verdict != "delivered" or rng.random() > 0.3:
            continue
        ip = org.hosts[p.host].ip if p.host in org.hosts else f"10.21.0.{10 + i % 20}"
        click = t + rng.randrange(2 * 60_000, 90 * 60_000)
        rec(
            "proxy",
            click,
            cef.proxy(
                ctx.pxy,
                click,
                p.user,
                ip,
                "GET",
                url,
                PHISH_DOMAIN,
                200,
                PHISH_IP,
                600,
                24_000,
                "Newly Registered Domains",
            ),
        )
        label.entity("clicked", p.user)
        if rng.random() < 0.5:
            post = click + rng.randrange(20 * 1000, 120 * 1000)
            rec(
                "proxy",
                post,
                cef.proxy(
                    ctx.pxy,
                    post,
                    p.user,
                    ip,
                    "POST",
                    f"https://{PHISH_DOMAIN}/owa/auth/owaauth.dll",
                    PHISH_DOMAIN,
                    302,
                    PHISH_IP,
                    1_400,
                    900,
                    "Newly Registered Domains",
                ),
            )
            label.entity("credentials_entered", p.user)
            tries = post + rng.randrange(30 * 60_000, 120 * 60_000)
            rec(
                "vpn",
                tries,
                fortigate.vpn(
                    ctx.vpn,
                    tries,
                    off,
                    "ssl-login-fail",
                    p.user,
                    attacker,
                    country_name("NG"),
                    "",
                    reason="sslvpn_login_permission_denied",
                ),
            )
            label.ips.add(attacker)
    return label


SCENARIO = Scenario("phishing", "lookalike password-expiry mail, clicks and credential POSTs", (8.0, 11.0), inject)
