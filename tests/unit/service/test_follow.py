"""FileFollower: only complete new lines, absolute line numbers, rotation, unfollowable formats."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from garde.service.follow import FileFollower
from garde.service.ingest import parse_task


def line(i: int) -> bytes:
    return orjson.dumps({"@timestamp": f"2026-11-28T08:00:{i % 60:02d}Z", "user": {"name": f"u{i}"}}) + b"\n"


def offsets(tasks: list) -> list[tuple[int, int | None, int]]:
    return [(t.start, t.end, t.start_line) for t in tasks]


def test_each_poll_hands_out_only_the_complete_new_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    log.write_bytes(line(1) + line(2))
    follower = FileFollower([str(tmp_path)])
    first = follower.poll()
    assert offsets(first) == [(0, len(line(1) + line(2)), 1)]
    assert follower.poll() == []
    with log.open("ab") as f:
        f.write(line(3) + line(4)[:10])  # a line still being written
    second = follower.poll()
    size_before = len(line(1) + line(2))
    assert offsets(second) == [(size_before, size_before + len(line(3)), 3)]
    with log.open("ab") as f:
        f.write(line(4)[10:])
    third = follower.poll()
    assert [t.start_line for t in third] == [4]


def test_followed_lines_get_the_same_ids_as_a_full_read(tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    follower = FileFollower([str(log)])
    log.write_bytes(b"".join(line(i) for i in range(5)))
    pieces = [chunk.events for task in follower.poll() for chunk in parse_task(task)]
    with log.open("ab") as f:
        f.write(b"".join(line(i) for i in range(5, 9)))
    pieces += [chunk.events for task in follower.poll() for chunk in parse_task(task)]
    followed = [i for frame in pieces for i in frame["event.id"].to_list()]
    whole = [
        i for task in FileFollower([str(log)]).poll() for chunk in parse_task(task) for i in chunk.events["event.id"]
    ]
    assert followed == whole
    assert len(whole) == 9


def test_a_rotated_file_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    log.write_bytes(line(1) + line(2))
    follower = FileFollower([str(tmp_path)])
    follower.poll()
    os.rename(log, tmp_path / "app.ndjson.1")  # logrotate: the old file moves, a new one starts
    log.write_bytes(line(3))
    tasks = {Path(t.path).name: (t.start, t.start_line) for t in follower.poll()}
    assert tasks == {"app.ndjson": (0, 1)}


def test_a_truncated_file_starts_again(tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    log.write_bytes(line(1) + line(2))
    follower = FileFollower([str(log)])
    follower.poll()
    log.write_bytes(line(9))  # same inode, shorter
    assert offsets(follower.poll()) == [(0, len(line(9)), 1)]


def test_empty_and_unfollowable_files_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "system.evtx").write_bytes(b"ElfFile\x00" + b"\x00" * 200)
    follower = FileFollower([str(tmp_path)])
    assert follower.poll() == []
    assert follower.not_followable == {str(tmp_path / "system.evtx")}
    (tmp_path / "empty.log").write_bytes(line(1))  # recognisable now
    assert [Path(t.path).name for t in follower.poll()] == ["empty.log"]
