"""The layout of an EVTX file: its header and 64 KiB chunks, checked for damage the evtx crate
passes over without a word.

Layout (libevtx, "Windows XML Event Log (EVTX) format"): a 4,096-byte file header (signature
``ElfFile\\0``; header size 128 at 0x20; block size 4,096 at 0x28; the number of chunks, 2 bytes
at 0x2A; a CRC32 of its first 120 bytes at 0x7C), then chunks of 65,536 bytes. A chunk starts
with a 512-byte header: signature ``ElfChnk\\0``, the first and last record ids (0x18, 0x20), the
free-space offset (0x30), the CRC32 of the records (0x34) and of the header itself (0x7C).
Each chunk holds its own string and template tables, so it can be read alone: the parser hands
the crate one chunk at a time and knows which chunk gave what.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from evtx import PyEvtxParser

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
HEADER_BYTES = 4096
CHUNK_BYTES = 65536
CHUNK_HEADER_BYTES = 512
MIN_HEADER_BYTES = 128  # the part of the file header that holds anything
# The smallest record (8-byte signature and size, 8-byte id, 8-byte time, 4-byte size copy):
# a chunk header claiming more records than fit is damaged.
MAX_RECORDS_PER_CHUNK = (CHUNK_BYTES - CHUNK_HEADER_BYTES) // 28
_ZERO_CHUNK = bytes(CHUNK_BYTES)


def _u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _u64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def _one_chunk_header() -> bytes:
    """A valid file header announcing one chunk: the frame in which each chunk is parsed."""
    header = bytearray(HEADER_BYTES)
    header[0:8] = FILE_MAGIC
    header[32:36] = MIN_HEADER_BYTES.to_bytes(4, "little")
    header[36:40] = b"\x01\x00\x03\x00"  # format version 3.1
    header[40:42] = HEADER_BYTES.to_bytes(2, "little")
    header[42:44] = (1).to_bytes(2, "little")
    header[124:128] = zlib.crc32(header[:120]).to_bytes(4, "little")
    return bytes(header)


_ONE_CHUNK_HEADER = _one_chunk_header()


@dataclass(frozen=True)
class FileHeader:
    """What the file header says. ``chunk_count`` is None when the header is damaged: then the
    chunks are judged on their own. ``proven`` is False when even its signature or sizes are
    wrong: the file is EVTX only if a chunk turns up."""

    chunk_count: int | None
    problems: tuple[str, ...] = ()
    proven: bool = True


def read_full(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end of the stream."""
    parts, left = [], size
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def judge_file_header(header: bytes) -> FileHeader | str:
    """The file header's chunk count and its problems, or why the file is not EVTX at all.

    A damaged header does not hide the chunks: they are read all the same.
    """
    if len(header) < MIN_HEADER_BYTES:
        return f"the file header is incomplete ({len(header)} of {MIN_HEADER_BYTES} bytes)"
    fields_ok = (
        header.startswith(FILE_MAGIC) and _u32(header, 32) == MIN_HEADER_BYTES and _u16(header, 40) == HEADER_BYTES
    )
    if not fields_ok:
        problem = "EVTX file header damaged: its signature or sizes are wrong; its chunks are read"
        return FileHeader(None, (problem,), proven=False)
    if zlib.crc32(header[:120]) != _u32(header, 124):
        count = _u16(header, 42)
        return FileHeader(
            None,
            (f"EVTX file header damaged: its checksum does not match, so its chunk count ({count}) is not trusted",),
        )
    return FileHeader(_u16(header, 42))


def chunk_span(index: int) -> str:
    start = HEADER_BYTES + index * CHUNK_BYTES
    return f"chunk {index} (bytes {start:,} to {start + CHUNK_BYTES - 1:,})"


def chunk_offset(index: int) -> int:
    return HEADER_BYTES + index * CHUNK_BYTES


def is_zero_filled(chunk: bytes) -> bool:
    return chunk == _ZERO_CHUNK


def has_chunk_magic(chunk: bytes) -> bool:
    return chunk.startswith(CHUNK_MAGIC)


def chunk_items(chunk: bytes, index: int) -> Iterator[dict[str, Any] | str]:
    """The crate's records of one chunk (JSON-rendered dicts), or an error message for each
    record or chunk it could not read; chunk numbers in messages are the file's."""
    frame = io.BytesIO(_ONE_CHUNK_HEADER + chunk)
    try:
        records = PyEvtxParser(frame, number_of_threads=1).records_json()
    except (OSError, RuntimeError, ValueError) as exc:
        yield _renumbered(str(exc), index)
        return
    for _ in range(MAX_RECORDS_PER_CHUNK + 1):  # bounded: a parser that raises forever stops
        try:
            record = next(records)
        except StopIteration:
            return
        except (OSError, RuntimeError, ValueError) as exc:
            yield _renumbered(str(exc), index)
        else:
            if not isinstance(record, dict):  # the stubs allow None: an end all the same
                return
            yield record


def _renumbered(message: str, index: int) -> str:
    """The crate numbers the one chunk it was given 0: give the chunk its place in the file."""
    return message.replace("chunk number 0", f"chunk number {index}")


def chunk_damage(chunk: bytes, read: int, failed: int) -> list[str]:
    """What is wrong with a chunk that has its signature, after ``read`` records were read from
    it and ``failed`` could not be: checksums, and records its header lists but nothing gave."""
    problems: list[str] = []
    if zlib.crc32(chunk[128:CHUNK_HEADER_BYTES], zlib.crc32(chunk[:120])) != _u32(chunk, 124):
        problems.append("its header fails its checksum")
    free = _u32(chunk, 48)
    if not CHUNK_HEADER_BYTES <= free <= CHUNK_BYTES:
        problems.append(f"its free-space offset ({free:,}) is outside the chunk")
    elif zlib.crc32(chunk[CHUNK_HEADER_BYTES:free]) != _u32(chunk, 52):
        problems.append("its records fail their checksum: what was read from it may be damaged or altered")
    first, last = _u64(chunk, 24), _u64(chunk, 32)
    listed = last - first + 1
    if first == 0 or not 1 <= listed <= MAX_RECORDS_PER_CHUNK:  # record ids start at 1
        problems.append(f"its header's record range ({first} to {last}) is impossible; {read} were read")
    elif read + failed < listed:
        problems.append(
            f"its header lists records {first} to {last}, {read} were read and {failed} failed: "
            f"{listed - read - failed} are lost"
        )
    return problems
