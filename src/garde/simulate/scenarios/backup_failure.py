"""A backup that silently fails: the job keeps reporting Success but backs up nothing."""

from __future__ import annotations

import random

from garde.simulate.context import Ctx
from garde.simulate.emitters import backup
from garde.simulate.scenarios.base import Label, Rec, Scenario

JOB = "DPI-SQL-Nightly"


def inject(ctx: Ctx, at: int, rng: random.Random) -> Label:
    label = Label(
        "backup_failure",
        f'Backup job "{JOB}" reports Success with 0 objects and 0 bytes, night after night',
        ("T1490",),
    )
    label.hosts.add("srv-bkp01.chu-demo.local")
    label.hosts.add("srv-sql01.chu-demo.local")
    label.entity("backup_jobs", JOB)
    _night(ctx, label, at)
    return label


def follow_up(ctx: Ctx, label: Label) -> None:
    _night(ctx, label, ctx.day.at(22.0) + 120_000)


def _night(ctx: Ctx, label: Label, at: int) -> None:
    rec = Rec(label)
    rec("backup", at, backup.job_report(ctx.bkp, at + 3000, JOB, "Success", 0, 0.0, 0.0, 3, "REPO-NAS-01"))


SCENARIO = Scenario(
    "backup_failure",
    "nightly DPI database backup 'succeeds' with 0 objects",
    (22.0, 22.1),
    inject,
    follow_up=follow_up,
    skip_backup_jobs=(JOB,),
)
