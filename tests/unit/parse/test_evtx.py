"""EVTX: real records come through; a truncated or corrupt file gives what it can, and says why."""

from __future__ import annotations

import io
import random
import tempfile
import zlib
from pathlib import Path

import orjson
import polars as pl
import pytest
from evtx import PyEvtxParser

from garde.core.batch import BatchBuilder, Reject
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


def test_a_stream_without_a_path_is_read_without_a_temporary_file(
    sample: Path, whole: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_temporary_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("no temporary file: an .evtx.gz bomb must not fill the disk")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_temporary_file)
    monkeypatch.setattr(tempfile, "mkstemp", no_temporary_file)
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
    # the crate's error, and the chunk's damage: what it lost, in numbers
    assert len(rejects) == 2
    reject, damage = rejects
    assert reject.reason.startswith("corrupt EVTX record: ")
    assert "chunk" in reject.reason
    assert (reject.source, reject.log_format) == (str(bad), "evtx")
    assert damage.reason.startswith("EVTX chunk damaged: chunk 2 (bytes 135,168 to 200,703): ")
    assert "its header lists records 223 to 345, 0 were read and 1 failed: 122 are lost" in damage.reason
    assert damage.position == HEADER + 2 * CHUNK
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
    assert [r.reason.split(":")[0] for r in rejects] == ["corrupt EVTX record", "EVTX chunk damaged"]
    assert rejects[1].reason.endswith("its header lists records 1 to 4, 0 were read and 1 failed: 3 are lost")


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
    header[124:128] = zlib.crc32(header[:120]).to_bytes(4, "little")
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


# -- damage the evtx crate passes over without a word ----------------------------------------


def chunk_at(index: int) -> slice:
    return slice(HEADER + index * CHUNK, HEADER + (index + 1) * CHUNK)


def records_of_chunk(data: bytes, index: int) -> range:
    chunk = data[chunk_at(index)]
    return range(int.from_bytes(chunk[24:32], "little"), int.from_bytes(chunk[32:40], "little") + 1)


def fix_chunk_checksums(data: bytearray, index: int) -> None:
    """Recompute a chunk's CRC32s, as Windows would have written them."""
    start = HEADER + index * CHUNK
    free = int.from_bytes(data[start + 48 : start + 52], "little")
    data[start + 52 : start + 56] = zlib.crc32(data[start + 512 : start + free]).to_bytes(4, "little")
    header_crc = zlib.crc32(data[start + 128 : start + 512], zlib.crc32(data[start : start + 120]))
    data[start + 124 : start + 128] = header_crc.to_bytes(4, "little")


def test_a_record_id_above_the_signed_64_bit_range_hides_nothing(
    sample: Path, whole: pl.DataFrame, tmp_path: Path
) -> None:
    """Record ids are unsigned 64-bit: one of 2**63 or more used to fail the whole file."""
    data = bytearray(sample.read_bytes())
    record = HEADER + 512  # the first record of chunk 0
    assert data[record : record + 4] == b"**\x00\x00"
    big = 2**64 - 2
    data[record + 8 : record + 16] = big.to_bytes(8, "little")
    fix_chunk_checksums(data, 0)
    path = tmp_path / "big-record-id.evtx"
    path.write_bytes(bytes(data))
    frame, rejects = parse_file(path)
    assert rejects == []
    assert frame.height == whole.height == 2216
    row = frame.filter(pl.col("log.offset") < 0).row(0, named=True)
    assert row["log.offset"] % 2**64 == big  # lossless: the Int64 column holds its 64 bits
    # every other record keeps its id
    assert set(whole.get_column("event.id")) - set(frame.get_column("event.id")) == {whole.item(0, "event.id")}


def test_zero_filled_chunks_the_header_announces_are_rejects(sample: Path, whole: pl.DataFrame, tmp_path: Path) -> None:
    data = bytearray(sample.read_bytes())
    lost = sum(len(records_of_chunk(bytes(data), i)) for i in range(5, 10))
    data[HEADER + 5 * CHUNK : HEADER + 10 * CHUNK] = bytes(5 * CHUNK)
    path = tmp_path / "zeroed.evtx"
    path.write_bytes(bytes(data))
    frame, rejects = parse_file(path)
    assert frame.height == whole.height - lost
    assert [(r.position, r.reason) for r in rejects] == [
        (
            HEADER + i * CHUNK,
            f"EVTX chunk damaged: chunk {i} (bytes {HEADER + i * CHUNK:,} to {HEADER + (i + 1) * CHUNK - 1:,}) "
            "is zero-filled, though the file header announces 21 chunks: its records are lost",
        )
        for i in range(5, 10)
    ]


def test_zero_filled_chunks_after_the_announced_ones_are_free_space(sample: Path) -> None:
    data = sample.read_bytes()
    assert int.from_bytes(data[42:44], "little") == 21
    assert (len(data) - HEADER) // CHUNK == 33  # 12 chunks of space kept for later records
    assert data[HEADER + 21 * CHUNK :] == bytes(12 * CHUNK)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("records zeroed", "its header lists records 582 to 693, 0 were read and 0 failed: 112 are lost"),
        ("header zeroed after its signature", "its header's record range (0 to 0) is impossible"),
        ("free space cut", "its header lists records 582 to 693, 1 were read and 0 failed: 111 are lost"),
        ("last record id lowered", "its header fails its checksum"),  # the crate reads on: no record lost
    ],
)
def test_a_chunk_cut_short_in_silence_is_a_reject(sample: Path, tmp_path: Path, damage: str, expected: str) -> None:
    data = bytearray(sample.read_bytes())
    start = HEADER + 5 * CHUNK
    if damage == "records zeroed":
        data[start + 512 : start + CHUNK] = bytes(CHUNK - 512)
    elif damage == "header zeroed after its signature":
        data[start + 8 : start + 128] = bytes(120)
    elif damage == "free space cut":
        size = int.from_bytes(data[start + 512 + 4 : start + 512 + 8], "little")
        data[start + 48 : start + 52] = (512 + size).to_bytes(4, "little")  # one record's worth
    else:
        data[start + 32 : start + 40] = (600).to_bytes(8, "little")
    path = tmp_path / "cut.evtx"
    path.write_bytes(bytes(data))
    frame, rejects = parse_file(path)
    assert frame.height == independent_count(path)[0]
    assert len(rejects) == 1
    assert rejects[0].reason.startswith("EVTX chunk damaged: chunk 5 (bytes 331,776 to 397,311): ")
    assert expected in rejects[0].reason
    assert rejects[0].position == start
    assert rejects[0].raw == bytes(data[start : start + 512])  # the chunk header, for the record


def test_an_altered_record_is_stored_and_its_chunk_reported(sample: Path, whole: pl.DataFrame, tmp_path: Path) -> None:
    data = bytearray(sample.read_bytes())
    text = "Microsoft-Windows-EventSystem".encode("utf-16-le")
    at = data.index(text, HEADER + 3 * CHUNK)
    assert at < HEADER + 4 * CHUNK
    data[at : at + 2] = "X".encode("utf-16-le")  # an edited log: the record still parses
    path = tmp_path / "altered.evtx"
    path.write_bytes(bytes(data))
    frame, rejects = parse_file(path)
    assert frame.height == whole.height
    assert [r.reason for r in rejects] == [
        "EVTX chunk damaged: chunk 3 (bytes 200,704 to 266,239): its records fail their checksum: "
        "what was read from it may be damaged or altered"
    ]


def test_a_damaged_file_header_is_a_reject_and_every_chunk_is_read(
    sample: Path, whole: pl.DataFrame, tmp_path: Path
) -> None:
    data = bytearray(sample.read_bytes())
    data[42:44] = (3).to_bytes(2, "little")  # the chunk count, without its checksum
    path = tmp_path / "header.evtx"
    path.write_bytes(bytes(data))
    frame, rejects = parse_file(path)
    assert frame.height == whole.height
    assert [(r.position, r.reason) for r in rejects] == [
        (0, "EVTX file header damaged: its checksum does not match, so its chunk count (3) is not trusted")
    ]


def test_without_a_trusted_count_a_zero_filled_chunk_before_others_is_lost(
    sample: Path, whole: pl.DataFrame, tmp_path: Path
) -> None:
    data = bytearray(sample.read_bytes())
    data[0:8] = b"ElfFil\x00\x00"  # the signature is gone; the chunks are still there
    data[chunk_at(4)] = bytes(CHUNK)
    path = tmp_path / "no-signature.evtx"
    path.write_bytes(bytes(data))
    frame, rejects = parse_file(path)
    assert frame.height == whole.height - len(records_of_chunk(sample.read_bytes(), 4))
    assert [r.reason.split(":")[0] for r in rejects] == ["EVTX file header damaged", "EVTX chunk damaged"]
    assert "chunk 4 (bytes 266,240 to 331,775) is zero-filled, though chunks follow" in rejects[1].reason


def test_a_damaged_header_and_first_chunk_still_give_the_other_chunks(
    sample: Path, whole: pl.DataFrame, tmp_path: Path
) -> None:
    data = bytearray(sample.read_bytes())
    data[0:8] = b"XXXXXXXX"
    data[HEADER : HEADER + 8] = b"XXXXXXXX"  # chunk 0 loses its signature too
    path = tmp_path / "two-signatures.evtx"
    path.write_bytes(bytes(data))
    frame, rejects = parse_file(path)
    assert frame.height == whole.height - len(records_of_chunk(sample.read_bytes(), 0))
    assert [(r.position, r.reason) for r in rejects] == [
        (0, "EVTX file header damaged: its signature or sizes are wrong; its chunks are read"),
        (HEADER, "EVTX chunk damaged: chunk 0 (bytes 4,096 to 69,631) has no chunk signature: its records are lost"),
    ]


def test_a_record_nested_too_deep_is_rejected_alone() -> None:
    # A crafted template can render to deeply nested JSON; the flattening walk recurses, so the
    # record is refused before it, with its position, and its neighbours are kept.
    system = {"EventID": 4624, "TimeCreated": {"#attributes": {"SystemTime": "2026-03-01T10:00:00Z"}}}
    fine = orjson.dumps({"Event": {"System": system, "EventData": {"TargetUserName": "jdupont"}}}).decode()
    deep = '{"N":' * 1000 + '"x"' + "}" * 1000  # within orjson's 1,024 levels, beyond Python's recursion
    hostile = '{"Event": {"System": ' + orjson.dumps(system).decode() + ', "UserData": ' + deep + "}}"
    builder = BatchBuilder("evtx", "hostile.evtx")
    EvtxParser.add_record(builder, {"data": fine, "event_record_id": 1}, 1)
    EvtxParser.add_record(builder, {"data": hostile, "event_record_id": 2}, 2)
    EvtxParser.add_record(builder, {"data": fine, "event_record_id": 3}, 3)
    events, rejects = builder.build()
    assert events.height == 2
    assert [(r.position, r.reason) for r in rejects] == [(2, "EVTX record JSON nested deeper than 100 levels")]
