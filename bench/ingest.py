"""Ingest benchmark: throughput and peak memory, end to end into the DuckDB store.

    python bench/ingest.py [--events 2000000] [--workers 0] [--corpus ../shared/corpus/evtx]

1. The EVTX corpus (../shared/corpus/evtx, skipped when absent).
2. A generated JSON-lines file of Winlogbeat-style documents (made once, kept in bench/out/).

Peak RSS is the largest resident set of the main process and of any one worker process
(ru_maxrss); each is reported. Figures go to docs/benchmarks.md by hand, with machine and date.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

from garde.bootstrap import build_app
from garde.settings import Settings

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
CORPUS = HERE.parent.parent / "shared" / "corpus" / "evtx"

_USERS = [f"user{i:04d}" for i in range(1500)]
_HOSTS = [f"WS-{i:04d}.chu-bench.local" for i in range(600)]
_IMAGES = [
    r"C:\Windows\System32\cmd.exe",
    r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Windows\explorer.exe",
]


def generate_jsonl(path: Path, events: int, seed: int = 7) -> None:
    """Winlogbeat-style Security and Sysmon documents with realistic field counts."""
    rng = random.Random(seed)
    start = 1_764_400_000.0
    with path.open("wb", buffering=1 << 20) as out:
        for i in range(events):
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + i * 0.3)) + f".{i % 1000:03d}Z"
            host = rng.choice(_HOSTS)
            user = rng.choice(_USERS)
            if i % 3:
                code = rng.choice((4624, 4624, 4634, 4625, 4672))
                doc = {
                    "@timestamp": ts,
                    "event": {"code": str(code), "kind": "event", "provider": "Microsoft-Windows-Security-Auditing"},
                    "host": {"name": host},
                    "agent": {"type": "winlogbeat", "version": "8.15.0"},
                    "winlog": {
                        "channel": "Security",
                        "event_id": code,
                        "record_id": i,
                        "computer_name": host,
                        "provider_name": "Microsoft-Windows-Security-Auditing",
                        "keywords": ["Audit Success"],
                        "event_data": {
                            "SubjectUserSid": "S-1-5-18",
                            "SubjectUserName": host.split(".")[0] + "$",
                            "SubjectDomainName": "CHU",
                            "SubjectLogonId": "0x3e7",
                            "TargetUserSid": f"S-1-5-21-1-{i % 5000}",
                            "TargetUserName": user,
                            "TargetDomainName": "CHU",
                            "TargetLogonId": hex(i),
                            "LogonType": str(rng.choice((2, 3, 10))),
                            "LogonProcessName": "Kerberos",
                            "AuthenticationPackageName": "Kerberos",
                            "WorkstationName": "-",
                            "IpAddress": f"10.{i % 250}.{i % 200}.{i % 199 + 1}",
                            "IpPort": "0",
                        },
                    },
                }
            else:
                image = rng.choice(_IMAGES)
                doc = {
                    "@timestamp": ts,
                    "event": {"code": "1", "kind": "event"},
                    "host": {"name": host},
                    "winlog": {
                        "channel": "Microsoft-Windows-Sysmon/Operational",
                        "event_id": 1,
                        "record_id": i,
                        "computer_name": host,
                        "provider_name": "Microsoft-Windows-Sysmon",
                        "event_data": {
                            "UtcTime": ts,
                            "ProcessGuid": f"{{{i:08x}-0000-0000-0000-000000000000}}",
                            "ProcessId": str(1000 + i % 60000),
                            "Image": image,
                            "CommandLine": f'"{image}" /c task-{i % 977}',
                            "CurrentDirectory": "C:\\Windows\\system32\\",
                            "User": f"CHU\\{user}",
                            "IntegrityLevel": "Medium",
                            "Hashes": f"SHA256={i:064x}",
                            "ParentImage": r"C:\Windows\explorer.exe",
                            "ParentCommandLine": r"C:\Windows\Explorer.EXE",
                        },
                    },
                }
            out.write(orjson.dumps(doc) + b"\n")


def peak_rss_mib() -> tuple[float, float]:
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kib / 1024, children_kib / 1024


def run(label: str, paths: list[str], workers: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="garde-bench-"))
    try:
        app = build_app(Settings(data_dir=data, ingest_workers=workers))
        started = time.perf_counter()
        report = app.ingest.run(paths)
        app.close()
        wall = time.perf_counter() - started
        size = sum(f.stat().st_size for f in data.iterdir())
    finally:
        shutil.rmtree(data, ignore_errors=True)
    main_rss, worker_rss = peak_rss_mib()
    print(
        f"{label}: {report.events_read:,} events read, {report.events_added:,} added, {report.rejects:,} rejects, "
        f"{report.bytes / 1_048_576:,.0f} MiB in {wall:.2f} s = {report.events_read / wall:,.0f} events/s; "
        f"store {size / 1_048_576:,.0f} MiB; peak RSS main {main_rss:,.0f} MiB, largest worker {worker_rss:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--only", choices=("evtx", "jsonl"))
    parser.add_argument(
        "--evtx-copies",
        type=int,
        default=8,
        help="also ingest the corpus linked N times (throughput at scale; copies after the first are deduplicated)",
    )
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.only != "jsonl":
        if args.corpus.is_dir():
            run("evtx corpus", [str(args.corpus)], args.workers)
            if args.evtx_copies > 1:
                with tempfile.TemporaryDirectory(prefix="garde-bench-evtx-") as tmp:
                    files = sorted(args.corpus.rglob("*.evtx"))
                    for copy in range(args.evtx_copies):
                        for i, f in enumerate(files):
                            # real copies: ingest knows links by their target and reads each file once
                            shutil.copyfile(f, Path(tmp) / f"{copy:02d}-{i:04d}.evtx")
                    run(f"evtx corpus x{args.evtx_copies} (copies deduplicated)", [tmp], args.workers)
        else:
            print(f"evtx corpus: skipped, not found at {args.corpus}")
    if args.only != "evtx":
        OUT.mkdir(exist_ok=True)
        jsonl = OUT / f"winlogbeat-{args.events}.ndjson"
        if not jsonl.exists():
            t = time.perf_counter()
            generate_jsonl(jsonl, args.events)
            print(
                f"generated {jsonl.name} ({jsonl.stat().st_size / 1_048_576:,.0f} MiB) "
                f"in {time.perf_counter() - t:.1f} s"
            )
        run("jsonl", [str(jsonl)], args.workers)


if __name__ == "__main__":
    main()
