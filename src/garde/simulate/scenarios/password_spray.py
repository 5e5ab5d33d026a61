"""Password spraying from one internal host: one password tried against many accounts."""

from __future__ import annotations

import random

from garde.simulate.context import Ctx
from garde.simulate.emitters import windows
from garde.simulate.scenarios.base import Label, Rec, Scenario


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label("password_spray", "One host tries one password against many domain accounts (NTLM)", ("T1110.003",))
    rec = Rec(label)
    org = ctx.org
    source = org.hosts[rng.choice([p for p in org.by_role["administration"] if p.host]).host]
    label.hosts.add(source.fqdn)
    label.ips.add(source.ip)
    targets = rng.sample(org.people, min(len(org.people), 60 + len(org.people) // 8))
    dc = org.servers["dc1"].fqdn
    t = at
    winner = targets[len(targets) * 2 // 3]
    for i, person in enumerate(targets):
        user = person.user if i % 17 else f"{person.user}.old"  # a few stale names: unknown user
        sub = "0xC000006A" if i % 17 else "0xC0000064"
        if person is winner:
            lid = ctx.logon_id()
            rec(
                "winsec",
                t,
                windows.logon(ctx.sec, t, dc, person.user, person.sid, 3, source.ip, lid, source.name, auth="NTLM"),
            )
            rec("winsec", t, windows.ntlm_validate(ctx.sec, t, dc, person.user, source.name))
            label.users.add(person.user)
            label.entity("compromised_users", person.user)
        else:
            rec("winsec", t, windows.logon_failed(ctx.sec, t, dc, user, 3, source.ip, sub, source.name))
            rec("winsec", t + 2, windows.ntlm_validate(ctx.sec, t + 2, dc, user, source.name, sub))
            label.users.add(user)
        t += rng.randrange(1500, 6000)
    return label


SCENARIO = Scenario("password_spray", "4625 SubStatus 0xC000006A from one IP across many users", (1.0, 23.0), inject)
