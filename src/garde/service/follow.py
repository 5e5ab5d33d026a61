"""Following log files as they grow (``tail -f``): each poll yields parsing tasks for the
complete lines appended since the last one, with their absolute line numbers, so that event ids
are the same as a full read of the file would give.

A file renamed by rotation keeps its place (files are known by inode); the new file under the
old name is read from its start, and so is a file truncated in place. Ingestion is idempotent,
so a line read twice adds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from garde.core.errors import GardeError
from garde.parse import detect
from garde.service.sources import Task, expand_paths, read_head

_READ_BLOCK = 4 * 1024 * 1024


_HEAD_BYTES = 64  # a file's first bytes tell a reused inode from the file it belonged to


@dataclass
class _Cursor:
    format: str
    head: bytes  # the file's first bytes when first seen
    offset: int = 0  # bytes already handed out (always at a line start)
    line: int = 1  # the line number at ``offset``


class FileFollower:
    """Polls files, folders or globs; only line-oriented formats can be followed.

    Files are known by (device, inode), so a file renamed by rotation keeps its place.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        self._cursors: dict[tuple[int, int], _Cursor] = {}
        self.not_followable: set[str] = set()

    def poll(self) -> list[Task]:
        tasks: list[Task] = []
        for path in expand_paths(self.paths):
            name = str(path)
            if name in self.not_followable or name.endswith(".gz"):
                continue
            cursor = self._cursor(name)
            if cursor is None:
                continue
            task = self._new_lines(name, cursor)
            if task is not None:
                tasks.append(task)
        return tasks

    def _cursor(self, name: str) -> _Cursor | None:
        stat = os.stat(name)
        key = (stat.st_dev, stat.st_ino)
        with open(name, "rb") as f:
            head = f.read(_HEAD_BYTES)
        cursor = self._cursors.get(key)
        if cursor is not None and head.startswith(cursor.head):
            return cursor
        try:
            parser = detect(read_head(name), name) if head else None
        except GardeError:
            parser = None
        if parser is None:
            return None  # empty or not recognisable yet: look again at the next poll
        if not (getattr(parser, "splittable", False) or getattr(parser, "followable", False)):
            self.not_followable.add(name)
            return None
        cursor = _Cursor(parser.name, head)
        self._cursors[key] = cursor
        return cursor

    @staticmethod
    def _new_lines(name: str, cursor: _Cursor) -> Task | None:
        size = os.path.getsize(name)
        if size < cursor.offset:  # truncated in place: start again
            cursor.offset, cursor.line = 0, 1
        if size == cursor.offset:
            return None
        end, newlines = cursor.offset, 0
        with open(name, "rb") as f:
            f.seek(cursor.offset)
            position = cursor.offset
            while position < size:
                block = f.read(min(_READ_BLOCK, size - position))
                if not block:
                    break
                last = block.rfind(b"\n")
                if last >= 0:
                    end = position + last + 1
                    newlines += block.count(b"\n", 0, last + 1)
                position += len(block)
        if end == cursor.offset:
            return None  # only a partial line so far
        task = Task(name, cursor.format, end - cursor.offset, cursor.offset, end, cursor.line)
        cursor.offset, cursor.line = end, cursor.line + newlines
        return task
