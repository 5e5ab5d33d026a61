"""Backup job session reports (Veeam-style), one RFC 5424 line per finished job."""

from __future__ import annotations

from garde.simulate.emitters.syslog5424 import line
from garde.simulate.sources import Sink

_HOST = "srv-bkp01.chu-demo.local"


def job_report(
    sink: Sink,
    ms: int,
    job: str,
    result: str,
    objects: int,
    processed_gb: float,
    transferred_gb: float,
    duration_s: int,
    target: str,
    message: str = "",
) -> str:
    """``result``: Success, Warning, Failed."""
    sim_id = sink.new_id()
    text = (
        f'Backup job "{job}" finished with {result}. JobType="Backup" Result="{result}" ObjectsProcessed={objects} '
        f"ProcessedSizeGB={processed_gb:.1f} TransferredSizeGB={transferred_gb:.1f} DurationSec={duration_s} "
        f'Repository="{target}"' + (f' Details="{message}"' if message else "")
    )
    pri = 110 if result == "Success" else 108 if result == "Warning" else 107
    sink.add(ms, line(ms, pri, _HOST, "Veeam_MP", "JobSession", sim_id, text, procid="4520"))
    return sim_id


def job_event(sink: Sink, ms: int, user: str, action: str, job: str) -> str:
    """Configuration changes on the backup server (job deleted, repository removed...)."""
    sim_id = sink.new_id()
    text = f'User "{user}" performed {action} on backup job "{job}". Action="{action}" Job="{job}" User="{user}"'
    sink.add(ms, line(ms, 108, _HOST, "Veeam_MP", "Audit", sim_id, text, procid="4520"))
    return sim_id
