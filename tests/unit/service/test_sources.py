"""Finding input files and cutting big line-oriented files into byte ranges."""

from __future__ import annotations

import gc
import gzip
import io
import itertools
import os
import tempfile
import warnings
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garde.core.errors import InputError
from garde.service.sources import (
    RangeReader,
    ReadLimits,
    expand_paths,
    open_source,
    plan_ranges,
    read_head,
    source_problem,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b").mkdir()
    for rel in ("one.jsonl", "two.evtx", "a/three.jsonl", "a/b/four.jsonl.gz", "a/.hidden.jsonl", ".dot"):
        (tmp_path / rel).write_bytes(b"x")
    return tmp_path


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.resolve().relative_to(root.resolve()).as_posix() for p in paths]


def test_a_folder_is_walked_recursively_without_hidden_files(tree: Path) -> None:
    assert names(expand_paths([str(tree)]), tree) == [
        "a/b/four.jsonl.gz",
        "a/three.jsonl",
        "one.jsonl",
        "two.evtx",
    ]


def test_files_are_kept_as_given(tree: Path) -> None:
    found = expand_paths([str(tree / "two.evtx"), str(tree / "one.jsonl")])
    assert names(found, tree) == ["one.jsonl", "two.evtx"]  # sorted
    assert all(isinstance(p, Path) for p in found)


def test_a_named_hidden_file_is_taken(tree: Path) -> None:
    assert names(expand_paths([str(tree / "a" / ".hidden.jsonl")]), tree) == ["a/.hidden.jsonl"]


def test_globs(tree: Path) -> None:
    assert names(expand_paths([str(tree / "*.jsonl")]), tree) == ["one.jsonl"]
    assert names(expand_paths([str(tree / "**" / "*.jsonl*")]), tree) == [
        "a/b/four.jsonl.gz",
        "a/three.jsonl",
        "one.jsonl",
    ]
    assert names(expand_paths([str(tree / "?wo.evtx")]), tree) == ["two.evtx"]
    assert names(expand_paths([str(tree / "[ot]*")]), tree) == ["one.jsonl", "two.evtx"]


def test_a_glob_matching_a_folder_walks_it(tree: Path) -> None:
    assert names(expand_paths([str(tree / "a*")]), tree) == ["a/b/four.jsonl.gz", "a/three.jsonl"]


def test_each_file_comes_once(tree: Path) -> None:
    found = expand_paths(
        [str(tree), str(tree / "one.jsonl"), str(tree / "*.jsonl"), str(tree / "a" / ".." / "one.jsonl")]
    )
    assert names(found, tree) == ["a/b/four.jsonl.gz", "a/three.jsonl", "one.jsonl", "two.evtx"]


def test_relative_paths(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    assert [str(p) for p in expand_paths(["a"])] == [
        os.path.join("a", "b", "four.jsonl.gz"),
        os.path.join("a", "three.jsonl"),
    ]


def test_a_missing_path_is_an_input_error(tree: Path) -> None:
    missing = str(tree / "nope.evtx")
    with pytest.raises(InputError) as info:
        expand_paths([str(tree / "one.jsonl"), missing])
    assert str(info.value) == f"no such file or folder: {missing}"


def test_a_glob_without_match_is_an_input_error(tree: Path) -> None:
    pattern = str(tree / "*.csv")
    with pytest.raises(InputError) as info:
        expand_paths([pattern])
    assert str(info.value) == f"no file matches {pattern!r}"


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as info:
        expand_paths([str(fifo)])
    assert str(info.value) == f"not a regular file: {fifo}"


def test_an_empty_folder_gives_no_file(tmp_path: Path) -> None:
    assert expand_paths([str(tmp_path)]) == []


def test_open_source_decompresses_gz(tmp_path: Path) -> None:
    plain, packed = tmp_path / "x.jsonl", tmp_path / "x.jsonl.gz"
    plain.write_bytes(b'{"a":1}\n')
    packed.write_bytes(gzip.compress(b'{"a":1}\n'))
    with open_source(str(plain)) as one, open_source(str(packed)) as two:
        assert one.read() == two.read() == b'{"a":1}\n'
    assert read_head(str(packed)) == b'{"a":1}\n'
    gc.collect()


def test_closing_a_gz_source_closes_the_file(tmp_path: Path) -> None:
    packed = tmp_path / "x.jsonl.gz"
    packed.write_bytes(gzip.compress(b"x\n"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stream = open_source(str(packed))
        assert stream.read() == b"x\n"
        stream.close()
        del stream
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_read_head_reads_at_most_4_kib(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"y" * 10_000)
    assert read_head(str(big)) == b"y" * 4096


@pytest.mark.parametrize(
    "data",
    [b"not gzip at all", b"\x1f\x8b", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"],
    ids=["not-gzip", "magic-only", "header-only"],
)
def test_an_unreadable_gz_is_an_input_error(tmp_path: Path, data: bytes) -> None:
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(data)
    try:
        with pytest.raises(InputError) as info:
            read_head(str(bad))
        assert str(info.value).startswith(f"{bad}: cannot read: ")
    finally:
        gc.collect()


def test_a_corrupt_deflate_stream_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    raised = "nothing"
    try:
        read_head(str(bad))
    except Exception as exc:  # kept as a name only: the traceback must not keep the leaked file alive
        raised = type(exc).__name__
    gc.collect()
    assert raised == "InputError"


def test_range_reader_stops_at_its_length() -> None:
    stream = io.BytesIO(b"0123456789")
    stream.seek(2)
    reader = io.BufferedReader(RangeReader(stream, 5))
    assert reader.read() == b"23456"
    assert reader.read() == b""


def test_plan_ranges_small_file_is_one_range(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_bytes(b"a\nb\nc\n")
    assert plan_ranges(str(f), 6, range_bytes=100) == [(0, 6, 1)]


def test_plan_ranges_known_split(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_bytes(b"aaaa\nbb\ncccccc\nd\n")  # lines start at 0, 5, 8, 15
    # a range ends at the end of the line holding its target byte (even when the target starts a line)
    assert plan_ranges(str(f), 17, range_bytes=3) == [(0, 5, 1), (5, 15, 2), (15, 17, 4)]
    assert plan_ranges(str(f), 17, range_bytes=6) == [(0, 8, 1), (8, 15, 3), (15, 17, 4)]


def test_plan_ranges_of_a_file_without_newline(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_bytes(b"x" * 50)
    assert plan_ranges(str(f), 50, range_bytes=7) == [(0, 50, 1)]


lines_strategy = st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=30)


@settings(max_examples=200, deadline=None)
@given(lines=lines_strategy, trailing=st.booleans(), range_bytes=st.integers(min_value=1, max_value=40))
def test_plan_ranges_property(lines: list[bytes], trailing: bool, range_bytes: int) -> None:
    data = b"\n".join(lines) + (b"\n" if trailing and lines else b"")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.jsonl")
        with open(path, "wb") as f:
            f.write(data)
        ranges = plan_ranges(path, len(data), range_bytes=range_bytes)
    # the ranges cover the file exactly, in order, without overlap
    assert ranges[0][0] == 0
    assert ranges[-1][1] == len(data)
    for (_, end, _), (start, _, _) in itertools.pairwise(ranges):
        assert end == start
    for start, end, first_line in ranges:
        assert start < end or len(data) == 0
        # every range starts on a line start, and knows its absolute line number
        assert start == 0 or data[start - 1 : start] == b"\n"
        assert first_line == data[:start].count(b"\n") + 1
    # and no range is much larger than asked, except to finish a line
    for start, end, _ in ranges:
        rest = data[start + range_bytes :]
        assert end - start <= range_bytes + (rest.find(b"\n") + 1 if b"\n" in rest else len(rest))


# -- .gz that is damaged, or expands without bound ----------------------------------------------


LINES = b"".join(b'{"n":%d,"pad":"%s"}\n' % (i, b"x" * (i % 50)) for i in range(5000))


def gz(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def decompressible(packed: bytes) -> bytes:
    """What zlib alone gets out of a damaged .gz: the reference for "keep what decompresses"."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        return inflater.decompress(packed)
    except zlib.error:
        return b""


def read_all(path: Path, limits: ReadLimits | None = None) -> tuple[bytes, str | None]:
    with open_source(str(path), limits) if limits else open_source(str(path)) as stream:
        return stream.read(), source_problem(stream)


def test_a_truncated_gz_gives_its_readable_start_then_says_where_it_ends(tmp_path: Path) -> None:
    packed = gz(LINES)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) * 6 // 10])
    expected = decompressible(cut.read_bytes())
    assert 0 < len(expected) < len(LINES)
    data, problem = read_all(cut)
    assert LINES.startswith(data)
    assert len(data) >= len(expected) - 1024  # all zlib gets, but what it still held
    assert problem == f"truncated gzip stream: it ends after {len(data):,} bytes; the rest of the file is lost"
    assert read_head(str(cut)) == LINES[:4096]


def test_a_gz_corrupt_in_the_middle_keeps_its_start(tmp_path: Path) -> None:
    packed = bytearray(gz(LINES))
    middle = len(packed) // 2
    packed[middle : middle + 64] = bytes(64)
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(bytes(packed))
    data, problem = read_all(bad)
    assert problem is not None
    assert problem.startswith(f"corrupt gzip stream: after {len(data):,} bytes, ")
    assert problem.endswith("; the rest of the file is lost")
    assert len(data) > len(LINES) // 4
    # the start, as it was (deflate may give some garbage before it notices the damage)
    assert data[: len(LINES) // 4] == LINES[: len(LINES) // 4]


def test_a_whole_gz_has_no_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl.gz"
    good.write_bytes(gz(LINES))
    assert read_all(good) == (LINES, None)
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(LINES)
    assert read_all(plain) == (LINES, None)


def test_decompression_stops_at_the_size_cap(tmp_path: Path) -> None:
    packed = tmp_path / "big.jsonl.gz"
    packed.write_bytes(gz(LINES))
    data, problem = read_all(packed, ReadLimits(max_decompressed_bytes=10_000))
    assert data == LINES[:10_000]
    assert problem == (
        "decompressed size over 10,000 bytes (GARDE_MAX_DECOMPRESSED_BYTES): the rest of the file is not read"
    )


def test_decompression_stops_at_the_ratio_cap(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gz(b'{"n":1}\n' + bytes(4 * 1024 * 1024), level=9))  # ~1000:1
    data, problem = read_all(bomb, ReadLimits(max_ratio=50, ratio_after_bytes=256 * 1024))
    assert 256 * 1024 < len(data) < 4 * 1024 * 1024
    assert problem is not None
    assert problem.startswith("decompression ratio over 50:1 after ")
    assert problem.endswith("(GARDE_MAX_DECOMPRESSION_RATIO): a compression bomb? the rest of the file is not read")
    # below the floor the ratio is not judged: small files of repeated lines are fine
    small, problem = read_all(bomb, ReadLimits(max_ratio=50, ratio_after_bytes=8 * 1024 * 1024))
    assert (len(small), problem) == (8 + 4 * 1024 * 1024, None)


def test_the_default_caps_come_from_the_settings_defaults() -> None:
    from garde.settings import Settings

    defaults = Settings()
    assert ReadLimits() == ReadLimits(defaults.max_decompressed_bytes, defaults.max_decompression_ratio)
    assert ReadLimits().max_decompressed_bytes == 4 * 1024**3


def test_plan_ranges_finds_line_starts_without_reading_a_whole_line(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_bytes(b"a" * 300_000 + b"\nb\n" + b"c" * 200_000)
    assert plan_ranges(str(f), f.stat().st_size, range_bytes=10) == [(0, 300_001, 1), (300_001, 500_003, 2)]
