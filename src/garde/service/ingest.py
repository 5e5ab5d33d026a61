"""Ingest: files -> parsers (in worker processes for big jobs) -> the event store.

Parsing is CPU-bound Python, so big jobs use one process per core; each streams its chunks back
through a bounded queue (memory stays flat whatever the input size) and the main process
appends them to the store. A file that cannot be read or recognised becomes a reject: the
other files go on.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import queue
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from garde.core.batch import Reject
from garde.core.clock import Clock, fixed_clock, system_clock
from garde.core.errors import GardeError
from garde.core.ports import EventStore, ParsedChunk
from garde.core.schema import empty_batch
from garde.parse import detect, get_parser, with_clock
from garde.service.sources import (
    RangeReader,
    ReadLimits,
    Task,
    expand_paths,
    open_source,
    plan_ranges,
    read_head,
    source_problem,
)

# Below this, starting worker interpreters (~1 s each on the 2-core reference machine) costs
# more than it saves: the 64 MiB EVTX corpus (16,801 records) took 2.6 s with workers, 1.0 s without.
PARALLEL_MIN_BYTES = 128 * 1024 * 1024


@dataclass
class IngestReport:
    files: int = 0
    files_empty: int = 0
    bytes: int = 0
    events_read: int = 0
    events_added: int = 0
    rejects: int = 0
    seconds: float = 0.0
    events_by_format: Counter[str] = field(default_factory=Counter)
    rejects_by_reason: Counter[str] = field(default_factory=Counter)
    retention_dropped: int = 0

    @property
    def duplicates(self) -> int:
        return self.events_read - self.events_added

    @property
    def events_per_second(self) -> float:
        return self.events_read / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int], None]  # called with bytes done since the last call
BatchHook = Callable[[pl.DataFrame], object]  # called with each parsed batch


def parse_task(task: Task, limits: ReadLimits | None = None, now: datetime | None = None) -> Iterator[ParsedChunk]:
    """Run one task's parser; shared by the inline path and the worker processes. ``now``: the
    time that year-less timestamps are read against (default: the parser's own clock).

    A compressed file that is damaged or expands past ``limits`` ends early: the parser keeps
    what came out before, and the rest of the file is one reject saying why.
    """
    parser = get_parser(task.format, time_fields=task.time_fields)
    if now is not None:
        parser = with_clock(parser, fixed_clock(now))
    source = os.path.abspath(task.path)
    with open_source(task.path, limits) as stream:
        if task.end is None:
            yield from parser.parse(stream, source)
            problem = source_problem(stream)
            if problem is not None:
                yield ParsedChunk(empty_batch(), [Reject(source, 0, task.format, problem, b"")])
            return
        stream.seek(task.start)
        ranged = RangeReader(stream, task.end - task.start)
        buffered = io.BufferedReader(ranged, buffer_size=1 << 20)
        yield from parser.parse(buffered, source, start_line=task.start_line)  # type: ignore[call-arg]


def _worker(tasks: Any, results: Any, limits: ReadLimits, now: datetime) -> None:
    for index, task in iter(tasks.get, None):
        try:
            for chunk in parse_task(task, limits, now):
                results.put(("chunk", index, chunk))
        except Exception as exc:  # a parser bug must not take the whole ingest down
            results.put(("failed", index, f"{type(exc).__name__}: {exc}"))
        results.put(("done", index, None))
    results.put(("exit", None, None))


def plan_tasks(
    paths: Iterable[str], force_format: str | None = None, *, skip_dir: Path | None = None
) -> tuple[list[Task], list[Reject], int]:
    """Tasks for the readable files, rejects for the others, and the count of empty files.

    Only reads the files' first bytes: hunts use it too, without any store. Files under
    ``skip_dir`` (Garde's own data folder, when it sits inside a folder given) are left out,
    unless a path given lies inside it.
    """
    paths = list(paths)
    skipped = skip_dir.resolve() if skip_dir is not None else None
    if skipped is not None and any(Path(p).resolve().is_relative_to(skipped) for p in paths):
        skipped = None  # a path inside the data folder was named on purpose (the demo's logs)
    tasks: list[Task] = []
    rejects: list[Reject] = []
    empty = 0
    forced = get_parser(force_format) if force_format else None
    for path in expand_paths(paths):
        if skipped is not None and path.resolve().is_relative_to(skipped):
            continue
        name = str(path)
        size = path.stat().st_size
        try:
            head = read_head(name)
        except GardeError as exc:
            rejects.append(Reject(os.path.abspath(name), 0, force_format or "?", str(exc), b""))
            continue
        if not head:
            empty += 1
            continue
        try:
            parser = forced or detect(head, name)
        except GardeError:
            rejects.append(Reject(os.path.abspath(name), 0, "?", "format not recognised", head))
            continue
        if getattr(parser, "splittable", False) and not name.endswith(".gz"):
            for start, end, line in plan_ranges(name, size):
                tasks.append(Task(name, parser.name, end - start, start, end, line))
        else:
            tasks.append(Task(name, parser.name, size))
    return tasks, rejects, empty


class IngestService:
    def __init__(
        self,
        store: EventStore,
        *,
        workers: int = 0,
        retention_days: int = 0,
        skip_dir: Path | None = None,
        limits: ReadLimits | None = None,
        time_fields: Sequence[str] = (),
        clock: Clock = system_clock,
    ) -> None:
        self.store = store
        self.workers = workers or (os.cpu_count() or 1)
        self.retention_days = retention_days
        self.skip_dir = skip_dir
        self.limits = limits or ReadLimits()
        self.time_fields = tuple(time_fields)  # JSON: the fields holding the event time, tried first
        self.clock = clock  # "now" for retention and for year-less timestamps

    def plan(self, paths: Iterable[str], force_format: str | None = None) -> tuple[list[Task], list[Reject], int]:
        return plan_tasks(paths, force_format, skip_dir=self.skip_dir)

    def run(
        self,
        paths: Iterable[str],
        *,
        force_format: str | None = None,
        on_planned: Callable[[int], None] | None = None,
        progress: Progress | None = None,
        on_batch: BatchHook | None = None,
    ) -> IngestReport:
        """Ingest files, folders or globs. ``on_batch`` sees every parsed batch (live detection)."""
        started = time.perf_counter()
        tasks, rejects, empty = self.plan(paths, force_format)
        report = IngestReport(files=len({t.path for t in tasks}) + len(rejects) + empty, files_empty=empty)
        if on_planned:
            on_planned(sum(t.size for t in tasks))
        self._take_rejects(report, rejects)
        return self.run_tasks(tasks, report, progress=progress, on_batch=on_batch, started=started)

    def run_tasks(
        self,
        tasks: list[Task],
        report: IngestReport | None = None,
        *,
        progress: Progress | None = None,
        on_batch: BatchHook | None = None,
        started: float | None = None,
    ) -> IngestReport:
        """Parse and store planned tasks (whole files, ranges of big files, or followed lines)."""
        started = time.perf_counter() if started is None else started
        if self.time_fields:
            tasks = [replace(t, time_fields=self.time_fields) for t in tasks]
        now = self.clock()
        report = report or IngestReport(files=len({t.path for t in tasks}))
        report.bytes += sum(t.size for t in tasks)
        parallel = self.workers > 1 and len(tasks) > 1 and report.bytes >= PARALLEL_MIN_BYTES
        chunks = self._parallel(tasks, now) if parallel else self._inline(tasks, now)
        for index, item in chunks:
            if isinstance(item, ParsedChunk):
                self._take_chunk(report, item)
                if on_batch is not None and item.events.height:
                    on_batch(item.events)
            elif isinstance(item, str):  # the task failed as a whole
                task = tasks[index]
                failure = Reject(
                    os.path.abspath(task.path), task.start_line, task.format, f"parser failed: {item}", b""
                )
                self._take_rejects(report, [failure])
            elif progress:  # a task is done
                progress(tasks[index].size)
        report.events_added += self.store.flush().added
        if self.retention_days:
            cutoff = (now - timedelta(days=self.retention_days)).date()
            report.retention_dropped = self.store.drop_before(cutoff)
        report.seconds = time.perf_counter() - started
        return report

    def _take_chunk(self, report: IngestReport, chunk: ParsedChunk) -> None:
        events = chunk.events
        if events.height:
            report.events_read += events.height
            report.events_by_format[events.item(0, "log.format")] += events.height
            report.events_added += self.store.append(events).added
        self._take_rejects(report, chunk.rejects)

    def _take_rejects(self, report: IngestReport, rejects: Iterable[Reject]) -> None:
        rejects = list(rejects)
        if rejects:
            self.store.add_rejects(rejects)
            report.rejects += len(rejects)
            for r in rejects:
                report.rejects_by_reason[_reason_kind(r.reason)] += 1

    def _inline(self, tasks: list[Task], now: datetime) -> Iterator[tuple[int, ParsedChunk | str | None]]:
        for index, task in enumerate(tasks):
            try:
                for chunk in parse_task(task, self.limits, now):
                    yield index, chunk
            except Exception as exc:  # a parser bug must not take the whole ingest down
                yield index, f"{type(exc).__name__}: {exc}"
            yield index, None

    def _parallel(self, tasks: list[Task], now: datetime) -> Iterator[tuple[int, ParsedChunk | str | None]]:
        ctx = mp.get_context("spawn")  # fork would copy the open DuckDB connection's threads
        task_queue: Any = ctx.Queue()
        results: Any = ctx.Queue(maxsize=self.workers * 2)  # bounded: memory stays flat
        n = min(self.workers, len(tasks))
        procs = [
            ctx.Process(target=_worker, args=(task_queue, results, self.limits, now), daemon=True) for _ in range(n)
        ]
        for p in procs:
            p.start()
        # Largest first, so one big file does not finish alone at the end.
        for index in sorted(range(len(tasks)), key=lambda i: -tasks[i].size):
            task_queue.put((index, tasks[index]))
        for _ in procs:
            task_queue.put(None)
        pending = set(range(len(tasks)))
        exited = 0
        try:
            while exited < n:
                try:
                    kind, index, payload = results.get(timeout=1.0)
                except queue.Empty:
                    if not any(p.is_alive() for p in procs):
                        break
                    continue
                if kind == "exit":
                    exited += 1
                elif kind == "done":
                    pending.discard(index)
                    yield index, None
                else:
                    yield index, payload
            for index in sorted(pending):  # a worker died under these tasks
                yield index, "worker process died"
                yield index, None
        finally:
            for p in procs:
                p.join(timeout=5)
                if p.is_alive():
                    p.terminate()


def _reason_kind(reason: str) -> str:
    """Group reasons for the summary: the text before the first colon."""
    return reason.split(":", 1)[0][:80]
