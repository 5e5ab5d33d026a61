"""EVTX: real records come through; a truncated or corrupt file gives what it can, and says why."""

from __future__ import annotations

import io
import random
from pathlib import Path

import orjson
import polars as pl
import pytest
from evtx import PyEvtxParser

from garde.core.batch import Reject
from garde.core.schema import EVENT_SCHEMA
from garde.parse.evtx import MAGIC, EvtxParser

HEADER = 4096
CHUNK = 65536
SAMPLE = "evtx/DeepBlueCLI/many-events-application.evtx"  # 2216 records in 33 chunks
SMALL = "evtx/DeepBlueCLI/new-user-security.evtx"  # 4 records, one chunk


def independent_count(path: Path) -> tuple[int, int]:
    """Records the evtx package reads by itself, and the errors it raises on the way."""
    ok = failed = 0
    records = PyEvtxParser(str(path)).records()
    while True:
        try:
            next(records)
        except StopIteration:
            return ok, failed
        except (OSError, RuntimeError, ValueError):
            failed += 1
        else:
            ok += 1


def parse_file(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    frames: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    with path.open("rb") as stream:
        for chunk in EvtxParser().parse(stream, str(path)):
            assert chunk.events.schema == EVENT_SCHEMA
            frames.append(chunk.events)
            rejects.extend(chunk.rejects)
    return (pl.concat(frames) if frames else pl.DataFrame(schema=EVENT_SCHEMA)), rejects


@pytest.fixture(scope="module")
def sample(corpus_dir: Path) -> Path:
    path = corpus_dir / SAMPLE
    if not path.is_file():
        pytest.skip(f"{SAMPLE} not in the corpus")
    return path


@pytest.fixture(scope="module")
def whole(sample: Path) -> pl.DataFrame:
    frame, rejects = parse_file(sample)
    assert rejects == []
    return frame


def test_a_real_file_comes_through_whole(sample: Path, whole: pl.DataFrame) -> None:
    assert whole.height == independent_count(sample)[0] == 2216
    assert whole.get_column("event.id").n_unique() == whole.height
    assert set(whole.get_column("log.format")) == {"evtx"}
    assert set(whole.get_column("log.file.path")) == {str(sample)}
    assert whole.get_column("@timestamp").null_count() == 0
    assert whole.get_column("event.code").null_count() == 0
    assert whole.get_column("event.dataset").unique().to_list() == ["windows.application"]
    # log.offset is the record id: same as the record id kept in original
    first = whole.row(0, named=True)
    assert orjson.loads(first["original"])["winlog.record_id"] == str(first["log.offset"])


def test_independent_count_of_the_sample(sample: Path) -> None:
    assert independent_count(sample) == (2216, 0)


def test_parsing_twice_gives_the_same_ids(sample: Path, whole: pl.DataFrame) -> None:
    again, _ = parse_file(sample)
    assert again.get_column("event.id").to_list() == whole.get_column("event.id").to_list()


def test_a_stream_without_a_path_is_read_through_a_temporary_file(sample: Path, whole: pl.DataFrame) -> None:
    frames = [c.events for c in EvtxParser().parse(io.BytesIO(sample.read_bytes()), "/from/a/stream.evtx")]
    frame = pl.concat(frames)
    assert frame.get_column("event.id").to_list() == whole.get_column("event.id").to_list()
    assert set(frame.get_column("log.file.path")) == {"/from/a/stream.evtx"}


def test_a_truncated_copy_gives_every_complete_chunk(sample: Path, whole: pl.DataFrame, tmp_path: Path) -> None:
    cut = tmp_path / "truncated.evtx"
    cut.write_bytes(sample.read_bytes()[: HEADER + CHUNK * 10 + 30_000])  # in the middle of chunk 10
    expected, failed = independent_count(cut)
    assert failed == 0
    frame, _ = parse_file(cut)
    assert frame.height == expected
    assert 1000 < frame.height < whole.height
    # what comes through is exactly what the whole file holds at the same place
    assert set(frame.get_column("event.id")) <= set(whole.get_column("event.id"))


def test_a_truncated_copy_says_it_was_truncated(sample: Path, tmp_path: Path) -> None:
    cut = tmp_path / "truncated.evtx"
    cut.write_bytes(sample.read_bytes()[: HEADER + CHUNK * 10 + 30_000])
    _, rejects = parse_file(cut)
    assert len(rejects) >= 1


def test_a_corrupt_chunk_is_a_reject_and_the_rest_goes_on(sample: Path, whole: pl.DataFrame, tmp_path: Path) -> None:
    data = bytearray(sample.read_bytes())
    middle = HEADER + CHUNK * 2 + 20_000  # the middle of the third chunk
    data[middle : middle + 512] = bytes(b ^ 0xFF for b in data[middle : middle + 512])
    bad = tmp_path / "corrupt.evtx"
    bad.write_bytes(bytes(data))
    expected, failed = independent_count(bad)
    assert failed == 1
    frame, rejects = parse_file(bad)
    assert frame.height == expected
    assert whole.height - 200 < frame.height < whole.height
    assert len(rejects) == 1
    reject = rejects[0]
    assert reject.reason.startswith("corrupt EVTX record: ")
    assert "chunk" in reject.reason
    assert (reject.source, reject.log_format) == (str(bad), "evtx")
    # records after the corrupt chunk are there, with the same ids as in the intact file
    offsets = frame.get_column("log.offset")
    assert offsets.max() == whole.get_column("log.offset").max()
    assert set(frame.get_column("event.id")) <= set(whole.get_column("event.id"))


def test_a_broken_chunk_header_is_a_reject(sample: Path, tmp_path: Path) -> None:
    data = bytearray(sample.read_bytes())
    data[HEADER + CHUNK * 5 : HEADER + CHUNK * 5 + 8] = b"XXXXXXXX"  # chunk 5 loses its ElfChnk magic
    bad = tmp_path / "bad-chunk-header.evtx"
    bad.write_bytes(bytes(data))
    frame, rejects = parse_file(bad)
    assert frame.height == independent_count(bad)[0]
    assert [r.reason.startswith("corrupt EVTX record: ") for r in rejects] == [True]
    assert "chunk number 5" in rejects[0].reason


def test_a_corrupt_single_chunk_file_is_a_reject(corpus_dir: Path, tmp_path: Path) -> None:
    small = corpus_dir / SMALL
    if not small.is_file():
        pytest.skip(f"{SMALL} not in the corpus")
    data = bytearray(small.read_bytes())
    data[HEADER + 1000 : HEADER + 3000] = b"\xff" * 2000
    bad = tmp_path / "one-chunk.evtx"
    bad.write_bytes(bytes(data))
    frame, rejects = parse_file(bad)
    assert frame.height == 0
    assert len(rejects) == 1
    assert rejects[0].reason.startswith("corrupt EVTX record: ")


def test_garbage_after_the_magic_is_rejected(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.evtx"
    garbage.write_bytes(MAGIC + random.Random(7).randbytes(HEADER + CHUNK * 2))
    frame, rejects = parse_file(garbage)
    assert frame.height == 0
    assert len(rejects) >= 1
    assert all(r.reason.startswith(("corrupt EVTX record: ", "not a readable EVTX file: ")) for r in rejects)


def test_a_small_garbage_file_is_not_silently_ignored(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.evtx"
    garbage.write_bytes(MAGIC + random.Random(1).randbytes(70_000))
    frame, rejects = parse_file(garbage)
    assert frame.height == 0
    assert len(rejects) >= 1


@pytest.mark.parametrize("data", [MAGIC, MAGIC + b"\x00" * 100])
def test_a_file_too_short_for_a_header_is_one_reject(tmp_path: Path, data: bytes) -> None:
    short = tmp_path / "short.evtx"
    short.write_bytes(data)
    frame, rejects = parse_file(short)
    assert frame.height == 0
    assert len(rejects) == 1
    assert rejects[0].reason.startswith("not a readable EVTX file: ")
    assert rejects[0].position == 0


def test_a_header_without_chunks_is_an_empty_log(sample: Path, tmp_path: Path) -> None:
    header = bytearray(sample.read_bytes()[:HEADER])
    header[42:44] = (0).to_bytes(2, "little")  # a log that announces no chunk: truly empty
    empty = tmp_path / "empty-log.evtx"
    empty.write_bytes(bytes(header))
    frame, rejects = parse_file(empty)
    assert (frame.height, rejects) == (0, [])


def test_a_header_whose_chunks_are_missing_is_truncated(sample: Path, tmp_path: Path) -> None:
    cut = tmp_path / "header-only.evtx"
    cut.write_bytes(sample.read_bytes()[:HEADER])  # the header still announces the sample's chunks
    frame, rejects = parse_file(cut)
    assert frame.height == 0
    assert [r.reason.split(":")[0] for r in rejects] == ["file truncated"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [(MAGIC + b"\x00" * 20, True), (b"ElfFile", False), (b'{"a":1}', False), (b"", False), (b"ElfChnk\x00", False)],
)
def test_sniff(head: bytes, expected: bool) -> None:
    assert EvtxParser().sniff(head, "whatever.log") is expected
