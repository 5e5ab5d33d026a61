"""EVTX under random damage: bytes of a real file's header, chunk headers and records are
overwritten (and the file sometimes cut short). Whatever the damage, parsing does not crash,
every record of an untouched chunk is stored, and damage that loses records or that the
format's checksums cover is counted as a reject. Deterministic: a fixed sequence of examples.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from garde.core.batch import Reject
from garde.parse.evtx import EvtxParser

HEADER, CHUNK = 4096, 65536
# 50 records in 4 chunks, then 13 zero-filled chunks kept for later records: small and quick
SAMPLE = (
    "evtx/EVTX-to-MITRE-Attack/TA0005-Defense Evasion/T1562.001-Impair Defenses-Disable or Modify tool/"
    "ID800-4103-4104 Defender critical features disabled (PowerShell).evtx"
)


class Pristine:
    """The intact sample and what it gives (a short repr: Hypothesis prints it on failure)."""

    def __init__(self, data: bytes, chunks: int, ids_by_chunk: dict[int, set[str]], covered: list[range]) -> None:
        self.data = data
        self.chunks = chunks  # announced by the header
        self.ids_by_chunk = ids_by_chunk
        self.covered = covered  # byte ranges the header and chunk checksums cover

    def __repr__(self) -> str:
        return f"Pristine({len(self.data):,} bytes, {self.chunks} chunks)"


def parse_bytes(data: bytes) -> tuple[pl.DataFrame, list[Reject]]:
    frames: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    for chunk in EvtxParser().parse(io.BytesIO(data), "/fuzz/sample.evtx"):
        frames.append(chunk.events)
        rejects.extend(chunk.rejects)
    return pl.concat(frames), rejects


@pytest.fixture(scope="module")
def pristine(corpus_dir: Path) -> Pristine:
    path = corpus_dir / SAMPLE
    if not path.is_file():
        pytest.skip(f"{SAMPLE} not in the corpus")
    data = path.read_bytes()
    chunks = int.from_bytes(data[42:44], "little")
    frame, rejects = parse_bytes(data)
    assert rejects == []
    ids_by_chunk: dict[int, set[str]] = {}
    covered = [range(0, 120), range(124, 128)]  # the file header's CRC32, and the CRC itself
    for index in range(chunks):
        start = HEADER + index * CHUNK
        first = int.from_bytes(data[start + 24 : start + 32], "little")
        last = int.from_bytes(data[start + 32 : start + 40], "little")
        free = int.from_bytes(data[start + 48 : start + 52], "little")
        mine = frame.filter(pl.col("log.offset").is_between(first, last))
        ids_by_chunk[index] = set(mine.get_column("event.id"))
        covered += [range(start, start + 120), range(start + 124, start + free)]
    assert sum(len(ids) for ids in ids_by_chunk.values()) == frame.height == 50
    assert chunks == 4
    return Pristine(data, chunks, ids_by_chunk, covered)


REGIONS = ["header", 0, 1, 2, 3]


@st.composite
def damage(draw: st.DrawFn) -> tuple[list[tuple[str | int, int, bytes]], int | None]:
    """Overwrites (region, offset in it, new bytes), biased to the headers and record starts,
    and maybe a place to cut the file."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        region = draw(st.sampled_from(REGIONS))
        size = HEADER if region == "header" else CHUNK
        offset = draw(
            st.one_of(
                st.integers(0, 127),  # a header's fields
                st.integers(512, 2048),  # the first records
                st.integers(0, size - 1),
            )
        )
        new = draw(st.one_of(st.binary(min_size=1, max_size=16), st.just(bytes(512)), st.just(b"\xff" * 8)))
        edits.append((region, offset, new))
    cut = draw(st.one_of(st.none(), st.integers(0, HEADER + 5 * CHUNK)))
    return edits, cut


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(damage())
def test_random_damage_never_crashes_loses_no_untouched_chunk_and_is_counted(
    pristine: Pristine, case: tuple[list[tuple[str | int, int, bytes]], int | None]
) -> None:
    edits, cut = case
    data = bytearray(pristine.data)
    for region, offset, new in edits:
        start = 0 if region == "header" else HEADER + int(region) * CHUNK
        end = start + (HEADER if region == "header" else CHUNK)
        at = start + offset
        data[at : min(at + len(new), end)] = new[: end - at]
    if cut is not None:
        del data[cut:]
    changed = [i for i in range(min(len(data), len(pristine.data))) if data[i] != pristine.data[i]]
    lost_tail = cut is not None and cut < HEADER + pristine.chunks * CHUNK

    frame, rejects = parse_bytes(bytes(data))  # never raises

    stored = set(frame.get_column("event.id")) if frame.height else set()
    touched = {(i - HEADER) // CHUNK for i in changed if i >= HEADER}
    complete = (len(data) - HEADER) // CHUNK if len(data) >= HEADER else 0
    for index, ids in pristine.ids_by_chunk.items():
        if index not in touched and index < complete:
            assert ids <= stored, f"chunk {index} was not touched, yet records of it are missing"
    missing = set().union(*pristine.ids_by_chunk.values()) - stored
    in_checksums = any(i in r for i in changed for r in pristine.covered)
    if missing or in_checksums or lost_tail:
        assert rejects, f"damage without a reject: {len(missing)} records missing, edits {edits}, cut {cut}"
    assert all(r.source == "/fuzz/sample.evtx" and r.log_format == "evtx" for r in rejects)
    damaged_chunks = [r for r in rejects if r.reason.startswith("EVTX chunk damaged")]
    assert all(len(r.raw) <= 512 for r in damaged_chunks)  # a chunk's reject keeps its header at most
