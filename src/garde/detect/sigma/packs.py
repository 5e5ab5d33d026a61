"""Reading rule files out of a zip pack without trusting the zip.

Everything that can be judged from the central directory is judged before a single byte is
decompressed: the directory's size (so that listing it stays cheap), the number of members,
repeated names and overlapping entries (one compressed stream listed many times unpacks many
times over), the unpacked total against the archive's size, and each rule member's path
(symbolic links, absolute paths, ``..``) and declared size. Rule members are then decompressed
one at a time under a cap that does not rely on the declared sizes. Nothing is ever extracted.
"""

from __future__ import annotations

import itertools
import lzma
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from garde.core.safe_text import one_line
from garde.detect.sigma.rulefile import MAX_RULE_FILE_BYTES, cap_text

RULE_SUFFIXES = (".yml", ".yaml")
MAX_MEMBERS = 20_000  # SigmaHQ's largest release zip holds about 4,000 files
MAX_CENTRAL_DIRECTORY = 8 << 20  # bytes; ~100 per member in SigmaHQ's zips
UNPACKED_RATIO = 20  # members may declare at most 20x the archive's size in total
MAX_UNPACKED_BYTES = 1 << 30

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError, RuntimeError)


class UnsafePack(ValueError):
    """The zip as a whole is refused (one line): nothing in it is read."""


@dataclass(frozen=True)
class Member:
    """A rule file of the pack: its bytes, or why it is refused."""

    name: str
    data: bytes = b""
    refused: str = ""


def rule_members(path: Path, *, strict_paths: bool = False) -> Iterator[Member]:
    """Each rule file (.yml/.yaml) of the zip at ``path``, sorted by name; UnsafePack if the
    archive as a whole is refused (raised before any member is yielded).

    ``strict_paths`` (installing a pack): any member, rule or not, that is a symbolic link or
    has an absolute or ``..`` path refuses the whole archive; otherwise only that member.
    """
    try:
        with path.open("rb") as handle:
            check_central_directory(handle)
            with zipfile.ZipFile(handle) as pack:
                infos = check_members(pack, path.stat().st_size)
                if strict_paths:
                    for info in infos:
                        if problem := path_problem(info):
                            raise UnsafePack(f"member {one_line(info.filename, 80)!r} is {problem}")
                rules = sorted((i for i in infos if is_rule(i)), key=lambda i: i.filename)
                for info in rules:
                    problem = path_problem(info) or size_problem(info)
                    if problem:
                        yield Member(info.filename, refused=problem)
                        continue
                    try:
                        yield Member(info.filename, data=read_capped(pack, info))
                    except _READ_ERRORS as error:
                        yield Member(info.filename, refused=f"unreadable member: {one_line(str(error), 120)}")
    except (zipfile.BadZipFile, OSError) as error:
        raise UnsafePack(f"not a usable zip: {one_line(str(error), 120)}") from None


def check_central_directory(handle: BinaryIO) -> None:
    """Refuse an archive whose central directory is too big to list, from its end record."""
    handle.seek(0, 2)
    size = handle.tell()
    tail_size = min(size, _EOCD.size + 0xFFFF)  # the record, then a comment of up to 64 KiB
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise UnsafePack("not a usable zip: no end of central directory record")
    _, _, _, _, entries, directory_size, _, _ = _EOCD.unpack_from(tail, at)
    locator = at - _ZIP64_LOCATOR.size
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        _, _, record_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator)
        handle.seek(record_offset)
        record = handle.read(_ZIP64_EOCD.size)
        if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
            raise UnsafePack("not a usable zip: bad zip64 end of central directory record")
        entries, directory_size = _ZIP64_EOCD.unpack(record)[7:9]
    if entries > MAX_MEMBERS:
        raise UnsafePack(f"{entries:,} members, over the {MAX_MEMBERS:,} a rule pack may hold")
    if directory_size > MAX_CENTRAL_DIRECTORY:
        raise UnsafePack(f"a central directory of {directory_size:,} bytes, over {MAX_CENTRAL_DIRECTORY:,}")
    handle.seek(0)


def check_members(pack: zipfile.ZipFile, archive_size: int) -> list[zipfile.ZipInfo]:
    """The members, once the directory shows no repeated, overlapping or oversized entry."""
    infos = pack.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafePack(f"{len(infos):,} members, over the {MAX_MEMBERS:,} a rule pack may hold")
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            raise UnsafePack(f"member {one_line(info.filename, 80)!r} is listed more than once")
        seen.add(info.filename)
    # A member's compressed data must end before the next member starts: entries that share or
    # overlap their data would unpack the same bytes again and again.
    by_offset = sorted(infos, key=lambda i: i.header_offset)
    for info, following in itertools.pairwise(by_offset):
        if info.header_offset + info.compress_size > following.header_offset:
            raise UnsafePack(f"members {info.filename!r} and {following.filename!r} overlap")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > min(UNPACKED_RATIO * max(archive_size, 1), MAX_UNPACKED_BYTES):
        raise UnsafePack(
            f"members declare {unpacked:,} bytes unpacked, over {UNPACKED_RATIO} times the zip's size"
            f" or {MAX_UNPACKED_BYTES >> 20:,} MiB (a zip bomb?)"
        )
    return infos


def is_rule(info: zipfile.ZipInfo) -> bool:
    return not info.is_dir() and info.filename.lower().endswith(RULE_SUFFIXES)


def path_problem(info: zipfile.ZipInfo) -> str:
    """Why a member's path or type is unsafe ('' if it is not)."""
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a symbolic link, not a file"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (parts and parts[0].endswith(":")):
        return "an absolute path"
    if ".." in parts:
        return "a path with '..'"
    return ""


def size_problem(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > MAX_RULE_FILE_BYTES:
        return f"declares {info.file_size:,} bytes, over the {cap_text()} cap"
    return ""


def read_capped(pack: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int = MAX_RULE_FILE_BYTES) -> bytes:
    """The member's bytes, decompressed in chunks and never more than ``cap`` (whatever the
    headers declare); zipfile checks the CRC and the declared size at the end."""
    chunks: list[bytes] = []
    size = 0
    with pack.open(info) as member:
        while chunk := member.read(64 * 1024):
            size += len(chunk)
            if size > cap:
                raise zipfile.BadZipFile(f"unpacks to more than the {cap_text()} cap")
            chunks.append(chunk)
    return b"".join(chunks)
