"""Ingest end to end into a real DuckDB store: bad input, .gz, formats, parallel and split paths."""

from __future__ import annotations

import functools
import gc
import gzip
import random
import tempfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import polars as pl
import pytest

from garde.core.clock import fixed_clock
from garde.core.errors import InputError
from garde.parse import _lines
from garde.service import ingest as ingest_module
from garde.service.ingest import IngestReport, IngestService
from garde.service.sources import ReadLimits, plan_ranges
from garde.store.duckdb_events import DuckDBEventStore

EVTX_SAMPLE = "evtx/DeepBlueCLI/many-events-application.evtx"
HEADER, CHUNK = 4096, 65536


def doc(i: int, **extra: object) -> bytes:
    base = {"@timestamp": f"2026-11-28T02:{i // 60 % 60:02d}:{i % 60:02d}Z", "user": {"name": f"u{i}"}, "n": i}
    base.update(extra)
    return orjson.dumps(base)


def jsonl(n: int, start: int = 0) -> bytes:
    return b"".join(doc(i) + b"\n" for i in range(start, start + n))


@pytest.fixture
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEventStore]:
    """A store outside tmp_path, so that ingesting tmp_path never reads the store itself."""
    s = DuckDBEventStore(tmp_path_factory.mktemp("store") / "events.duckdb")
    yield s
    s.close()


def run(store: DuckDBEventStore, *paths: Path | str, workers: int = 1, **kwargs: object) -> IngestReport:
    return IngestService(store, workers=workers).run([str(p) for p in paths], **kwargs)  # type: ignore[arg-type]


def ids(store: DuckDBEventStore) -> list[str]:
    return store.query('SELECT "event.id" FROM events ORDER BY 1').get_column("event.id").to_list()


def rejects(store: DuckDBEventStore) -> list[tuple[str, int, str]]:
    frame = store.query("SELECT source, position, reason FROM rejects ORDER BY source, position")
    return [(Path(s).name, p, r) for s, p, r in frame.rows()]


def n_events(store: DuckDBEventStore) -> int:
    return int(store.query("SELECT count(*) FROM events").item())


@pytest.fixture
def evtx_sample(corpus_dir: Path) -> Path:
    path = corpus_dir / EVTX_SAMPLE
    if not path.is_file():
        pytest.skip(f"{EVTX_SAMPLE} not in the corpus")
    return path


# -- the bad-input matrix -----------------------------------------------------------------------


BAD_LINES = [
    (doc(0), None),
    (b'{"@timestamp":"2026-11-28T02:00:01Z","user":', "invalid JSON"),
    (doc(2), None),
    (b'{"@timestamp":"2026-11-28T02:00:03Z","message":"\xff\xfe\xfd"}', "invalid UTF-8"),
    (b'{"@timestamp":"2026-11-28T02:00:04Z","message":"nul \x00 here"}', "invalid JSON"),
    (doc(5, message="y" * (1 << 20)), None),  # a 1 MiB valid line
    (b'{"@timestamp":"2026-11-28T02:00:06Z","message":"' + b"z" * (1 << 20), "invalid JSON"),  # 1 MiB invalid
    (b"[1, 2, 3]", "a JSON list where an object was expected"),
    (b'{"message":"no time"}', "no readable timestamp (@timestamp, timestamp, time...)"),
    (b"", None),  # blank line
    (doc(10) + b"\r", None),  # CRLF
    (bytes(range(1, 256)).replace(b"\n", b""), "invalid UTF-8"),  # binary garbage in a line
    (doc(12), None),  # the last line, without a trailing newline
]


def bad_lines_file(folder: Path) -> Path:
    path = folder / "mixed.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in BAD_LINES))
    return path


def test_bad_lines_are_counted_and_stored_with_their_reason(store: DuckDBEventStore, tmp_path: Path) -> None:
    path = bad_lines_file(tmp_path)
    report = run(store, path)
    good = [i + 1 for i, (line, reason) in enumerate(BAD_LINES) if reason is None and line]
    bad = [(i + 1, reason) for i, (_, reason) in enumerate(BAD_LINES) if reason is not None]
    assert (report.files, report.events_read, report.events_added, report.rejects) == (
        1,
        len(good),
        len(good),
        len(bad),
    )
    assert report.events_by_format == {"jsonl": len(good)}
    assert report.rejects_by_reason == {
        "invalid JSON": 3,
        "invalid UTF-8": 2,
        "a JSON list where an object was expected": 1,
        "no readable timestamp (@timestamp, timestamp, time...)": 1,
    }
    offsets = store.query('SELECT "log.offset" FROM events ORDER BY 1').get_column("log.offset").to_list()
    assert offsets == good
    stored = rejects(store)
    assert [(p, r.split(":")[0]) for _, p, r in stored] == bad
    assert {name for name, _, _ in stored} == {"mixed.jsonl"}
    big = store.query('SELECT length(message) FROM events WHERE "log.offset" = 6').item()
    assert big == 1 << 20
    raw_size = store.query("SELECT raw_size FROM rejects WHERE position = 7").item()
    assert raw_size > 1 << 20


def test_a_second_run_adds_nothing_and_stores_no_reject_twice(store: DuckDBEventStore, tmp_path: Path) -> None:
    path = bad_lines_file(tmp_path)
    first = run(store, path)
    second = run(store, path)
    assert second.events_read == first.events_read
    assert second.events_added == 0
    assert second.duplicates == first.events_read
    assert second.rejects == first.rejects  # counted again in the report...
    assert len(rejects(store)) == first.rejects  # ...but stored once


def test_empty_files_are_counted_apart(store: DuckDBEventStore, tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "empty.evtx").write_bytes(b"")
    (tmp_path / "good.jsonl").write_bytes(jsonl(3))
    report = run(store, tmp_path / "empty.jsonl", tmp_path / "empty.evtx", tmp_path / "good.jsonl")
    assert (report.files, report.files_empty, report.events_added, report.rejects) == (3, 2, 3, 0)


def test_blank_only_file_gives_nothing(store: DuckDBEventStore, tmp_path: Path) -> None:
    (tmp_path / "blank.jsonl").write_bytes(b"\n\n\n")
    report = run(store, tmp_path / "blank.jsonl")
    # only newlines: not recognised as JSON lines (nothing to sniff), recorded as such
    assert report.events_read == 0
    assert [r for _, _, r in rejects(store)] == ["format not recognised"]


def test_an_unknown_format_is_a_reject_and_other_files_go_on(store: DuckDBEventStore, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(random.Random(3).randbytes(10_000).replace(b"{", b"x").replace(b"ElfFile", b"x"))
    (tmp_path / "b.jsonl").write_bytes(jsonl(4))
    report = run(store, tmp_path)
    assert (report.files, report.events_added, report.rejects) == (2, 4, 1)
    assert report.rejects_by_reason == {"format not recognised": 1}
    assert rejects(store) == [("garbage.bin", 0, "format not recognised")]
    assert store.query("SELECT raw_size FROM rejects").item() == 4096  # the head is kept


def test_a_format_can_be_forced(store: DuckDBEventStore, tmp_path: Path) -> None:
    path = tmp_path / "export.log"
    path.write_bytes(b"# exported by a script\n" + jsonl(3))
    detected = run(store, path)
    assert (detected.events_read, rejects(store)) == (0, [("export.log", 0, "format not recognised")])
    forced = run(store, path, force_format="jsonl")
    assert forced.events_added == 3
    assert forced.rejects_by_reason == {"invalid JSON": 1}
    assert ("export.log", 1, "invalid JSON") in [(n, p, r.split(":")[0]) for n, p, r in rejects(store)]


def test_forcing_evtx_on_json_lines_is_a_reject(store: DuckDBEventStore, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(2))
    report = run(store, path, force_format="evtx")
    assert report.events_read == 0
    assert report.rejects_by_reason == {"not a readable EVTX file": 1}


def test_an_unknown_forced_format_is_an_input_error(store: DuckDBEventStore, tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(jsonl(1))
    known = r"evtx, fhir, jsonl, atna, cef, leef, kv, csv, syslog"
    with pytest.raises(InputError, match=rf"^unknown format 'syslog-ng' \(known: {known}\)$"):
        run(store, tmp_path, force_format="syslog-ng")


def test_a_missing_path_is_an_input_error_before_anything_is_read(store: DuckDBEventStore, tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(jsonl(1))
    with pytest.raises(InputError, match="no such file or folder"):
        run(store, tmp_path / "a.jsonl", tmp_path / "missing.jsonl")
    assert n_events(store) == 0


def test_one_bad_port_value_does_not_lose_the_file(store: DuckDBEventStore, tmp_path: Path) -> None:
    path = tmp_path / "fw.jsonl"
    path.write_bytes(jsonl(2) + doc(2, source={"port": "abc"}) + b"\n" + jsonl(2, start=3))
    report = run(store, path)
    assert report.events_read + report.rejects == 5
    assert report.events_read >= 4


def test_a_parser_crash_is_a_reject_and_other_files_go_on(
    store: DuckDBEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ingest_module.get_parser

    class Exploding:
        name = "jsonl"

        def parse(self, stream: object, source: str, start_line: int = 1) -> Iterator[object]:
            if source.endswith("boom.jsonl"):
                raise RuntimeError("kaboom")
            yield from real("jsonl").parse(stream, source, start_line=start_line)  # type: ignore[attr-defined]

    monkeypatch.setattr(ingest_module, "get_parser", lambda name, **options: Exploding())
    (tmp_path / "boom.jsonl").write_bytes(jsonl(2))
    (tmp_path / "fine.jsonl").write_bytes(jsonl(3))
    report = run(store, tmp_path)
    assert report.events_added == 3
    assert rejects(store) == [("boom.jsonl", 1, "parser failed: RuntimeError: kaboom")]


# -- EVTX bad input end to end --------------------------------------------------------------------


def test_bad_evtx_files_end_to_end(store: DuckDBEventStore, tmp_path: Path, evtx_sample: Path) -> None:
    data = evtx_sample.read_bytes()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "whole.evtx").write_bytes(data)
    (folder / "truncated.evtx").write_bytes(data[: HEADER + CHUNK * 10 + 30_000])
    corrupt = bytearray(data)
    middle = HEADER + CHUNK * 2 + 20_000
    corrupt[middle : middle + 512] = bytes(b ^ 0xFF for b in corrupt[middle : middle + 512])
    (folder / "corrupt.evtx").write_bytes(bytes(corrupt))
    (folder / "garbage.evtx").write_bytes(b"ElfFile\x00" + random.Random(7).randbytes(HEADER + CHUNK * 2))
    (folder / "stub.evtx").write_bytes(b"ElfFile\x00")
    report = run(store, folder)
    assert report.files == 5
    # every readable record of the damaged copies is a record of the whole file: nothing new
    assert n_events(store) == 2216
    assert report.events_read == 2216 + 1095 + 2093
    assert report.rejects_by_reason == {
        "corrupt EVTX record": 1,
        "EVTX chunk damaged": 1,  # what the corrupt chunk lost, counted
        "not a readable EVTX file": 2,
        "file truncated": 1,
    }
    by_file = {name: reason for name, _, reason in rejects(store) if not reason.startswith("EVTX chunk damaged")}
    assert by_file["corrupt.evtx"].startswith("corrupt EVTX record: ")
    assert by_file["truncated.evtx"].startswith("file truncated: ")
    assert by_file["garbage.evtx"] == "not a readable EVTX file: the file header is corrupt"
    assert by_file["stub.evtx"].startswith("not a readable EVTX file: ")
    again = run(store, folder)
    assert again.events_added == 0
    assert len(rejects(store)) == report.rejects


# -- .gz ---------------------------------------------------------------------------------------


def test_gz_files_are_read_and_give_the_same_events(store: DuckDBEventStore, tmp_path: Path) -> None:
    plain = tmp_path / "plain" / "a.jsonl"
    packed = tmp_path / "packed" / "a.jsonl.gz"
    plain.parent.mkdir()
    packed.parent.mkdir()
    plain.write_bytes(jsonl(20))
    packed.write_bytes(gzip.compress(jsonl(20)))
    first = run(store, packed)
    assert (first.events_added, first.rejects) == (20, 0)
    assert set(store.query('SELECT "log.file.path" FROM events').get_column("log.file.path")) == {str(packed)}
    # the event id does not depend on the file: the plain copy is already stored
    assert run(store, plain).events_added == 0
    gc.collect()


def test_gz_evtx(store: DuckDBEventStore, tmp_path: Path, evtx_sample: Path) -> None:
    packed = tmp_path / "app.evtx.gz"
    packed.write_bytes(gzip.compress(evtx_sample.read_bytes(), compresslevel=1))
    report = run(store, packed)
    assert (report.events_added, report.rejects) == (2216, 0)
    assert run(store, evtx_sample).events_added == 0
    gc.collect()


def test_a_corrupt_gz_is_a_reject_and_other_files_go_on(store: DuckDBEventStore, tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    (tmp_path / "good.jsonl").write_bytes(jsonl(2))
    outcome = "nothing"
    try:
        report = run(store, tmp_path)
        outcome = f"{report.events_added} added, {report.rejects} rejects"
    except Exception as exc:  # the name only: the traceback must not keep the leaked file alive
        outcome = type(exc).__name__
    gc.collect()
    assert outcome == "2 added, 1 rejects"


def test_a_truncated_gz_keeps_its_readable_start(store: DuckDBEventStore, tmp_path: Path) -> None:
    packed = gzip.compress(jsonl(5000), mtime=0)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    readable = zlib.decompressobj(wbits=31).decompress(cut.read_bytes())  # what zlib alone gets
    whole_lines = readable.count(b"\n")
    assert 1000 < whole_lines < 5000
    report = run(store, cut)
    assert report.events_added == whole_lines  # every complete line; the cut one is a reject
    stored = rejects(store)
    assert [(name, reason.split(":")[0]) for name, _, reason in stored] == [
        ("cut.jsonl.gz", "truncated gzip stream"),
        ("cut.jsonl.gz", "invalid JSON"),  # the last line, cut in the middle
    ]
    assert f"it ends after {len(readable):,} bytes" in stored[0][2]
    assert report.rejects == 2
    gc.collect()


def test_a_gz_bomb_is_bounded_and_said(
    store: DuckDBEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON line, then zeros without a newline: one event, and two rejects saying why."""
    monkeypatch.setattr(_lines, "MAX_LINE", 64 * 1024)
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(doc(1) + b"\n" + bytes(16 * 1024 * 1024), compresslevel=9, mtime=0))
    limits = ReadLimits(max_ratio=100, ratio_after_bytes=1024 * 1024)
    report = IngestService(store, workers=1, limits=limits).run([str(bomb)])
    assert report.events_added == 1
    reasons = sorted(reason for _, _, reason in rejects(store))
    assert len(reasons) == 2
    assert reasons[0].startswith("decompression ratio over 100:1 after ")
    assert reasons[1] == "line longer than 64 KiB"
    gc.collect()


def test_a_gz_over_the_size_cap_keeps_what_came_before(store: DuckDBEventStore, tmp_path: Path) -> None:
    data = jsonl(1000)
    packed = tmp_path / "big.jsonl.gz"
    packed.write_bytes(gzip.compress(data, mtime=0))
    cap = len(data) // 2
    report = IngestService(store, workers=1, limits=ReadLimits(max_decompressed_bytes=cap)).run([str(packed)])
    assert report.events_added == data[:cap].count(b"\n")
    assert sorted(r for _, _, r in rejects(store))[0].startswith(f"decompressed size over {cap:,} bytes")
    gc.collect()


def test_an_evtx_gz_bomb_writes_nothing_to_disk_and_is_said(
    store: DuckDBEventStore, tmp_path: Path, evtx_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample's records, then a flood of zero-filled chunks: no temporary file, a reject."""

    def no_temporary_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("an .evtx.gz must not be copied to a temporary file")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_temporary_file)
    monkeypatch.setattr(tempfile, "mkstemp", no_temporary_file)
    data = evtx_sample.read_bytes()
    bomb = tmp_path / "bomb.evtx.gz"
    bomb.write_bytes(gzip.compress(data + bytes(256 * CHUNK), compresslevel=9, mtime=0))
    limits = ReadLimits(max_decompressed_bytes=len(data) + 8 * CHUNK)
    report = IngestService(store, workers=1, limits=limits).run([str(bomb)])
    assert report.events_added == 2216
    assert [r for _, _, r in rejects(store)] == [
        f"decompressed size over {len(data) + 8 * CHUNK:,} bytes (GARDE_MAX_DECOMPRESSED_BYTES): "
        "the rest of the file is not read"
    ]
    gc.collect()


def test_limits_reach_the_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "PARALLEL_MIN_BYTES", 0)
    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl.gz").write_bytes(gzip.compress(jsonl(100), mtime=0))
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    try:
        report = IngestService(store, workers=2, limits=ReadLimits(max_decompressed_bytes=1000)).run(
            [str(tmp_path / "a.jsonl.gz"), str(tmp_path / "b.jsonl.gz")]
        )
        assert report.rejects_by_reason["decompressed size over 1,000 bytes (GARDE_MAX_DECOMPRESSED_BYTES)"] == 2
    finally:
        store.close()


def test_an_evtx_record_id_above_2_63_does_not_hide_the_file(
    store: DuckDBEventStore, tmp_path: Path, evtx_sample: Path
) -> None:
    data = bytearray(evtx_sample.read_bytes())
    record = HEADER + 512
    data[record + 8 : record + 16] = (2**63 + 7).to_bytes(8, "little")
    path = tmp_path / "big-id.evtx"
    path.write_bytes(bytes(data))
    report = run(store, path)
    assert report.events_added == 2216  # none hidden (it was 0 of 2,216)
    assert store.query('SELECT count(*) FROM events WHERE "log.offset" < 0').item() == 1
    # the edit breaks the chunk's checksum: said, not silent
    assert [r.split(":")[0] for _, _, r in rejects(store)] == ["EVTX chunk damaged"]


# -- retention, progress -------------------------------------------------------------------------


def test_retention_counts_from_the_ingest_clock(store: DuckDBEventStore, tmp_path: Path) -> None:
    now = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # a pinned "now", far from today's date
    lines = [orjson.dumps({"@timestamp": (now - timedelta(days=d)).isoformat(), "n": d}) for d in (40, 31, 10, 1, 0)]
    (tmp_path / "a.jsonl").write_bytes(b"\n".join(lines))
    service = IngestService(store, workers=1, retention_days=30, clock=fixed_clock(now))
    report = service.run([str(tmp_path / "a.jsonl")])
    assert report.events_added == 5
    assert report.retention_dropped == 2
    assert sorted(store.query("SELECT n FROM (SELECT original::JSON->>'n' AS n FROM events)").get_column("n")) == [
        "0",
        "1",
        "10",
    ]


@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker processes"])
def test_year_less_syslog_takes_its_year_from_the_ingest_clock(
    store: DuckDBEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    for host in ("ws1", "ws2"):  # two files, so that the parallel path has two tasks
        lines = f"<34>Dec 31 23:59:00 {host} su: new year's eve\n<34>Jan  1 00:01:00 {host} su: hi\n"
        (tmp_path / f"{host}.log").write_text(lines)
    if parallel:
        monkeypatch.setattr(ingest_module, "PARALLEL_MIN_BYTES", 0)
    service = IngestService(store, workers=2 if parallel else 1, clock=fixed_clock(datetime(2025, 1, 1, 0, 30)))
    assert service.run([str(tmp_path)]).events_added == 4
    stamps = store.query('SELECT DISTINCT "@timestamp" AS t FROM events ORDER BY 1').get_column("t").to_list()
    # Read on 1 January 2025, "Dec 31" is last year's; "Jan  1" is today.
    assert [t.isoformat() for t in stamps] == ["2024-12-31T23:59:00+00:00", "2025-01-01T00:01:00+00:00"]


def test_progress_adds_up_to_the_planned_bytes(store: DuckDBEventStore, tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"{i}.jsonl").write_bytes(jsonl(10 * (i + 1)))
    planned: list[int] = []
    done: list[int] = []
    report = IngestService(store, workers=1).run([str(tmp_path)], on_planned=planned.append, progress=done.append)
    total = sum(p.stat().st_size for p in tmp_path.glob("*.jsonl"))
    assert planned == [total]
    assert sum(done) == total == report.bytes
    assert len(done) == 3
    assert report.seconds > 0
    assert report.events_per_second == report.events_read / report.seconds


# -- the parallel and split paths give exactly the inline result --------------------------------


def inputs(folder: Path, evtx: Path | None) -> Path:
    folder.mkdir()
    rnd = random.Random(11)
    for f in range(3):
        lines = [doc(i, file=f) for i in range(400 * (f + 1))]
        for k in range(5):
            lines.insert(rnd.randrange(len(lines)), b"not json " + str(k).encode())
        (folder / f"f{f}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (folder / "last-line-open.jsonl").write_bytes(jsonl(50).rstrip(b"\n"))
    if evtx is not None:
        (folder / "sample.evtx").write_bytes(evtx.read_bytes())
    return folder


def snapshot(store: DuckDBEventStore) -> tuple[list[str], list[tuple[str, int, str]], pl.DataFrame]:
    rows = store.query('SELECT "event.id", "log.offset", "user.name", "log.file.path" FROM events ORDER BY "event.id"')
    return ids(store), rejects(store), rows


def test_parallel_gives_exactly_the_inline_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path
) -> None:
    sample = corpus_dir / EVTX_SAMPLE
    folder = inputs(tmp_path / "in", sample if sample.is_file() else None)
    inline_store = DuckDBEventStore(tmp_path / "inline.duckdb")
    parallel_store = DuckDBEventStore(tmp_path / "parallel.duckdb")
    try:
        inline = IngestService(inline_store, workers=1).run([str(folder)])
        monkeypatch.setattr(ingest_module, "PARALLEL_MIN_BYTES", 0)
        used: list[int] = []
        real_parallel = IngestService._parallel

        def spy(self: IngestService, tasks: list[object], now: datetime) -> Iterator[object]:
            used.append(len(tasks))
            yield from real_parallel(self, tasks, now)  # type: ignore[arg-type]

        monkeypatch.setattr(IngestService, "_parallel", spy)
        parallel = IngestService(parallel_store, workers=2).run([str(folder)])
        assert used, "the parallel path was not taken"
        assert (parallel.events_read, parallel.events_added, parallel.rejects) == (
            inline.events_read,
            inline.events_added,
            inline.rejects,
        )
        assert parallel.rejects_by_reason == inline.rejects_by_reason
        a, b = snapshot(inline_store), snapshot(parallel_store)
        assert a[0] == b[0]
        assert a[1] == b[1]
        assert a[2].equals(b[2])
        assert inline.events_read == 400 + 800 + 1200 + 50 + (2216 if sample.is_file() else 0)
    finally:
        inline_store.close()
        parallel_store.close()


def test_byte_range_split_gives_the_same_events_as_unsplit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = inputs(tmp_path / "in", None)
    whole_store = DuckDBEventStore(tmp_path / "whole.duckdb")
    split_store = DuckDBEventStore(tmp_path / "split.duckdb")
    try:
        whole = IngestService(whole_store, workers=1).run([str(folder)])
        # RANGE_BYTES is bound as plan_ranges' default at import time: patch the planner itself
        monkeypatch.setattr(ingest_module, "plan_ranges", functools.partial(plan_ranges, range_bytes=997))
        tasks, _, _ = IngestService(split_store, workers=1).plan([str(folder)])
        assert len(tasks) > 100
        assert len({t.start_line for t in tasks if t.path.endswith("f2.jsonl")}) > 20
        split = IngestService(split_store, workers=1).run([str(folder)])
        assert (split.events_read, split.events_added, split.rejects) == (whole.events_read, whole.events_added, 15)
        a, b = snapshot(whole_store), snapshot(split_store)
        assert a[0] == b[0]
        assert a[1] == b[1]
        assert a[2].equals(b[2])
    finally:
        whole_store.close()
        split_store.close()


def test_split_and_parallel_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = inputs(tmp_path / "in", None)
    whole_store = DuckDBEventStore(tmp_path / "whole.duckdb")
    both_store = DuckDBEventStore(tmp_path / "both.duckdb")
    try:
        IngestService(whole_store, workers=1).run([str(folder)])
        monkeypatch.setattr(ingest_module, "plan_ranges", functools.partial(plan_ranges, range_bytes=4096))
        monkeypatch.setattr(ingest_module, "PARALLEL_MIN_BYTES", 0)
        IngestService(both_store, workers=2).run([str(folder)])
        assert snapshot(whole_store)[:2] == snapshot(both_store)[:2]
    finally:
        whole_store.close()
        both_store.close()


def test_the_data_folder_inside_the_input_is_not_ingested(tmp_path: Path) -> None:
    (tmp_path / "app.ndjson").write_bytes(doc(1) + b"\n")
    data = tmp_path / "garde-data"
    data.mkdir()
    (data / "events.duckdb").write_bytes(b"not a log")
    store = DuckDBEventStore(data / "other.duckdb")
    try:
        report = IngestService(store, workers=1, skip_dir=data).run([str(tmp_path)])
    finally:
        store.close()
    assert (report.files, report.events_read, report.rejects) == (1, 1, 0)


def test_a_path_named_inside_the_data_folder_is_ingested(tmp_path: Path) -> None:
    data = tmp_path / "garde-data"
    (data / "demo").mkdir(parents=True)
    (data / "demo" / "app.ndjson").write_bytes(doc(1) + b"\n")
    store = DuckDBEventStore(tmp_path / "other.duckdb")
    try:
        report = IngestService(store, workers=1, skip_dir=data).run([str(data / "demo")])
    finally:
        store.close()
    assert report.events_read == 1


def test_a_record_nested_1000_deep_loses_no_neighbour(store: DuckDBEventStore, tmp_path: Path) -> None:
    deep = b'{"@timestamp":"2026-11-28T02:00:00Z","a":' + b'{"a":' * 999 + b"1" + b"}" * 1000
    path = tmp_path / "deep.jsonl"
    path.write_bytes(jsonl(300) + deep + b"\n" + jsonl(300, start=300))
    report = run(store, path)
    assert (report.events_added, report.rejects) == (600, 1)
    raw, reason, position = store.query("SELECT raw, reason, position FROM rejects").row(0)
    assert (bytes(raw), position) == (deep, 301)
    assert reason.startswith("JSON nested deeper than")


@pytest.mark.parametrize(
    ("name", "record"),
    [
        ("app.log", b"<34>1 - h app 1 ID - x\n"),  # RFC 5424 with a nil timestamp
        ("fw.log", b"CEF:0|Acme|Firewall|1.0|100|Blocked|5|src=10.1.2.3 dst=10.0.0.10\n"),  # bare CEF, no rt
        ("export.csv", b"user,workstation\nalice,WS-ICU-04\n"),  # CSV without a time column
    ],
)
def test_records_without_a_time_of_their_own_are_stored_once(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, name: str, record: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(record)
    db = tmp_path_factory.mktemp("store") / "events.duckdb"
    added = []
    for _ in range(3):  # three runs, the store closed and opened again in between
        store = DuckDBEventStore(db)
        try:
            added.append(run(store, path).events_added)
            assert n_events(store) == 1
        finally:
            store.close()
    assert added == [1, 0, 0]


def test_time_fields_reach_the_parser_inline_and_in_workers(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for f in range(2):
        lines = [orjson.dumps({"meta": {"when": f"2026-11-28T02:00:{i:02d}Z"}, "file": f}) for i in range(20)]
        (tmp_path / f"app{f}.log").write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(ingest_module, "PARALLEL_MIN_BYTES", 0)
    for workers in (1, 2):
        store = DuckDBEventStore(tmp_path_factory.mktemp("store") / "events.duckdb")
        try:
            report = IngestService(store, workers=workers, time_fields=("meta.when",)).run([str(tmp_path)])
            assert (report.events_added, report.rejects) == (40, 0)
            first = store.query('SELECT min("@timestamp") FROM events').item()
            assert first == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
        finally:
            store.close()
