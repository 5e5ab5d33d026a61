"""Hostile inputs benchmark: what damaged or oversized files cost and what ingest says of them.

    python bench/hostile_inputs.py [--zeros-mib 1024] [--corpus ../shared/corpus/evtx]

Each case is built in a temporary folder and ingested by `garde ingest`'s code path (one worker,
default settings) in a fresh process, so that its peak RSS (ru_maxrss) is its own. Reported per
case: events stored, rejects by reason, peak RSS, bytes written to the temporary folder while
it ran (peak size of a private TMPDIR: an .evtx.gz used to be copied to disk whole), and seconds. The cases:

1. a .jsonl.gz: one JSON line, then ``--zeros-mib`` MiB of zeros without a newline;
2. a plain .jsonl with no newline at all (``--zeros-mib`` / 4 MiB of "x");
3. an .evtx.gz: the corpus sample, then ``--zeros-mib`` MiB of zero-filled chunks;
4. a truncated .jsonl.gz (half of its bytes);
5. the corpus sample with one record id set to 2**63 + 7;
6. the corpus sample with chunks 5 to 9 zero-filled.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus" / "evtx"
SAMPLE = "DeepBlueCLI/many-events-application.evtx"
HEADER, CHUNK = 4096, 65536
LINE = b'{"@timestamp":"2026-11-28T02:00:00Z","user":{"name":"u1"},"message":"hello"}\n'


def gz_stream(path: Path, pieces: list[tuple[bytes, int]]) -> None:
    """Write a .gz of each (block, times) in turn, without holding the whole content."""
    with gzip.GzipFile(path, "wb", compresslevel=6, mtime=0) as out:
        for block, times in pieces:
            for _ in range(times):
                out.write(block)


def build(case: str, folder: Path, zeros_mib: int, sample: Path | None) -> Path:
    mib = bytes(1024 * 1024)
    if case == "jsonl.gz bomb":
        path = folder / "bomb.jsonl.gz"
        gz_stream(path, [(LINE, 1), (mib, zeros_mib)])
    elif case == "no newline":
        path = folder / "one-line.jsonl"
        with path.open("wb") as out:
            out.write(b"{")
            for _ in range(max(1, zeros_mib // 4)):
                out.write(b"x" * (1024 * 1024))
    elif case == "evtx.gz bomb":
        assert sample is not None
        path = folder / "bomb.evtx.gz"
        gz_stream(path, [(sample.read_bytes(), 1), (mib, zeros_mib)])
    elif case == "truncated gz":
        path = folder / "cut.jsonl.gz"
        packed = gzip.compress(b"".join(LINE.replace(b"u1", b"u%d" % i) for i in range(5000)), mtime=0)
        path.write_bytes(packed[: len(packed) // 2])
        readable = zlib.decompressobj(wbits=31).decompress(path.read_bytes())
        lines = readable.count(b"\n")
        print(f"  ({lines:,} complete lines readable)")
    elif case == "record id >= 2**63":
        assert sample is not None
        data = bytearray(sample.read_bytes())
        data[HEADER + 512 + 8 : HEADER + 512 + 16] = (2**63 + 7).to_bytes(8, "little")
        path = folder / "big-id.evtx"
        path.write_bytes(bytes(data))
    else:  # zero-filled chunks
        assert sample is not None
        data = bytearray(sample.read_bytes())
        data[HEADER + 5 * CHUNK : HEADER + 10 * CHUNK] = bytes(5 * CHUNK)
        path = folder / "zeroed.evtx"
        path.write_bytes(bytes(data))
    return path


def ingest_in_a_child(path: Path, data_dir: Path) -> None:
    """Run in the child: ingest one file, print the figures as JSON."""
    from garde.bootstrap import build_app
    from garde.settings import Settings

    tmp = Path(tempfile.gettempdir())  # a private folder (TMPDIR set by the parent)
    peak_tmp = [0]
    done = threading.Event()

    def watch() -> None:  # the old code copied an .evtx.gz to a temporary file, then removed it
        while not done.wait(0.05):
            size = sum(f.stat().st_size for f in tmp.iterdir() if f.is_file())
            peak_tmp[0] = max(peak_tmp[0], size)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    app = build_app(Settings(data_dir=data_dir, ingest_workers=1))
    try:
        try:
            report = app.ingest.run([str(path)])
            outcome = {
                "events": report.events_added,
                "rejects": dict(report.rejects_by_reason),
            }
        except Exception as exc:  # the figures of a crash are figures too
            outcome = {"crashed": f"{type(exc).__name__}: {exc}"[:200]}
    finally:
        app.close()
        done.set()
        watcher.join()
    outcome["seconds"] = round(time.perf_counter() - started, 2)
    outcome["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    outcome["peak_tmp_bytes"] = peak_tmp[0]
    print(json.dumps(outcome))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zeros-mib", type=int, default=1024)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        ingest_in_a_child(Path(args.child[0]), Path(args.child[1]))
        return
    sample = args.corpus / SAMPLE
    cases = ["jsonl.gz bomb", "no newline", "truncated gz"]
    if sample.is_file():
        cases += ["evtx.gz bomb", "record id >= 2**63", "zero-filled chunks"]
    else:
        print(f"(no EVTX sample at {sample}: EVTX cases skipped)")
    for case in cases:
        with tempfile.TemporaryDirectory() as folder:
            print(f"{case}:")
            path = build(case, Path(folder), args.zeros_mib, sample if sample.is_file() else None)
            print(f"  input {path.stat().st_size:,} bytes")
            private_tmp = Path(folder) / "tmp"
            private_tmp.mkdir()
            env = dict(os.environ, TMPDIR=str(private_tmp))
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(path), str(Path(folder) / "data")],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            print("  " + (child.stdout.strip().splitlines() or [child.stderr.strip()[-300:]])[-1])


if __name__ == "__main__":
    main()
