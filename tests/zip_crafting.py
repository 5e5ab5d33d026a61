"""Hand-crafted zip archives for the rule-pack tests: symlinks, hostile names, lying headers."""

from __future__ import annotations

import io
import stat
import struct
import zipfile

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_CENTRAL_SIZES = 20  # offset of compressed size, uncompressed size in a central directory header
_LOCAL_SIZES = 18  # same in a local file header
_CENTRAL_NAME_LENGTH = 28
_CENTRAL_HEADER = 46  # the file name follows


def make_zip(members: dict[str, bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    """A deflated zip of ``members``, plus Unix symlink members (name -> target)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for name, data in members.items():
            pack.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix: the mode below is read from external_attr
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            pack.writestr(info, target)
    return buffer.getvalue()


def repeat_central_entry(data: bytes, times: int, *, distinct_names: bool = False) -> bytes:
    """The same zip with its (single) central directory entry listed ``times`` times.

    Every copy points at the same compressed data: a reader that decompresses each entry does
    the work ``times`` over, while the file barely grows. ``distinct_names``: each copy gets a
    name of its own (the last 4 characters before the suffix become its number), so that only
    the shared data gives it away.
    """
    end = data.rindex(b"PK\x05\x06")
    sig, disk, cd_disk, _on_disk, total, cd_size, cd_offset, comment = _EOCD.unpack_from(data, end)
    assert total == 1, "one member expected"
    central = data[cd_offset : cd_offset + cd_size]
    copies = []
    for number in range(times):
        entry = bytearray(central)
        if distinct_names:
            name_length = struct.unpack_from("<H", entry, _CENTRAL_NAME_LENGTH)[0]
            dot = _CENTRAL_HEADER + entry[_CENTRAL_HEADER : _CENTRAL_HEADER + name_length].rindex(b".")
            entry[dot - 4 : dot] = f"{number:04d}".encode()
        copies.append(bytes(entry))
    eocd = _EOCD.pack(sig, disk, cd_disk, times, times, cd_size * times, cd_offset, comment)
    return data[:cd_offset] + b"".join(copies) + eocd


def declare_size(data: bytes, declared: int) -> bytes:
    """The same one-member zip, its headers claiming ``declared`` bytes unpacked (a lie)."""
    out = bytearray(data)
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<L", out, local + _LOCAL_SIZES + 4, declared)
    struct.pack_into("<L", out, central + _CENTRAL_SIZES + 4, declared)
    return bytes(out)
