"""Running a query on DuckDB for a user: bounded in time, memory and size, stopped by Ctrl-C, and
with a result that every writer can print.

- Time: the query runs in a worker thread while the calling thread waits; at the deadline, or on
  Ctrl-C (which Python delivers to the waiting thread, never to DuckDB's C++ code), the waiting
  thread calls ``interrupt()`` on the query's connection.
- Memory: DuckDB's ``memory_limit`` governs only its buffer manager; a string function allocates
  outside it (``repeat('a', 1500000000)`` reached 2.9 GB RSS under a 512 MB limit). While a query
  runs, the process's RLIMIT_DATA is lowered to the data it has mapped plus the query's budget:
  DuckDB then fails its allocation with an OutOfMemoryException and the process lives on
  (measured in a fresh `garde search`: the same query stops at once, peak RSS 70 MB). The cap
  counts mappings, not use: memory a process freed but its allocator kept mapped is reusable
  under it, so in a long-running process a query may also reuse the peak of earlier ones (for
  the CLI, one query per process, the cap is exact; a server should run user queries in a
  process of their own). The limit is process-wide, so capped queries take turns; the result is
  also refused beyond a quarter of the budget, as printing it takes a few copies more.
- Printable: the relation is projected, by position, to unique column names and to types Polars
  holds exactly and the writers print (see ``printable``).
"""

from __future__ import annotations

import itertools
import resource
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from duckdb.sqltypes import DuckDBPyType

from garde.core.errors import QueryError

MIB = 1024 * 1024
_capped = threading.Lock()  # RLIMIT_DATA is per process: one capped query at a time


@dataclass(frozen=True)
class QueryLimits:
    """Bounds of one query: wall-clock seconds and MiB beyond what the process holds (0: none)."""

    timeout_s: float = 60.0
    memory_mb: int = 1024


def run_guarded(connection: duckdb.DuckDBPyConnection, fetch: Callable[[], pa.Table], limits: QueryLimits) -> pa.Table:
    """``fetch()`` (which runs a query on ``connection``) within ``limits``; DuckDB errors become
    one-line QueryErrors. Ctrl-C stops the query and is raised again as KeyboardInterrupt."""
    outcome: list[pa.Table | BaseException] = []
    cancelled, done = threading.Event(), threading.Event()

    def work() -> None:
        try:
            if not cancelled.is_set():  # else stopped before it began
                outcome.append(fetch())
        except BaseException as exc:  # handed to the waiting thread, which reports it
            outcome.append(exc)
        finally:
            done.set()

    # Completion is read from ``done``, not Thread.join: on Python 3.11 a join interrupted by
    # Ctrl-C can leave is_alive() False while the thread still runs.
    worker = threading.Thread(target=work, name="garde-query", daemon=True)
    with _memory_cap(limits.memory_mb):
        try:
            worker.start()
            finished = done.wait(limits.timeout_s)
        except KeyboardInterrupt:
            _stop(connection, worker, cancelled, done)
            raise
        if not finished:
            _stop(connection, worker, cancelled, done)
            raise QueryError(
                f"the query ran longer than {limits.timeout_s:g} s and was stopped "
                "(make it narrower, or raise GARDE_QUERY_TIMEOUT_S)"
            )
    result = outcome[0]
    if isinstance(result, BaseException):
        raise _query_error(result, limits) from result
    if limits.memory_mb and result.nbytes > limits.memory_mb * MIB // 4:
        raise QueryError(
            f"the result holds {result.nbytes / MIB:,.0f} MiB, more than Garde prints "
            f"({limits.memory_mb // 4:,} MiB with GARDE_QUERY_MEMORY_MB={limits.memory_mb}): "
            "ask for fewer rows (--limit) or columns"
        )
    return result


def _stop(
    connection: duckdb.DuckDBPyConnection, worker: threading.Thread, cancelled: threading.Event, done: threading.Event
) -> None:
    """Interrupt the query and wait until it has given up. DuckDB checks for an interrupt between
    batches of rows, so this is quick; the interrupt is repeated in case it came before the query
    had begun. A second Ctrl-C ends the wait."""
    cancelled.set()
    for attempt in itertools.count():
        connection.interrupt()
        if done.wait(0.05):
            return
        if attempt > 20 and worker.ident is None:  # Ctrl-C came before the thread was launched
            return


def _query_error(exc: BaseException, limits: QueryLimits) -> BaseException:
    if isinstance(exc, duckdb.OutOfMemoryException | MemoryError | pa.ArrowMemoryError):
        setting = f" (GARDE_QUERY_MEMORY_MB={limits.memory_mb})" if limits.memory_mb else ""
        return QueryError(f"the query needs more memory than Garde gives one query{setting}: {_first_line(exc)}")
    if isinstance(exc, duckdb.Error):
        return QueryError(_first_line(exc))
    return exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _data_in_use() -> int | None:
    """Bytes of the process's data segment (what RLIMIT_DATA counts), where Linux tells it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@contextmanager
def _memory_cap(budget_mb: int) -> Iterator[None]:
    """RLIMIT_DATA at the data in use plus ``budget_mb`` MiB while the block runs (Linux)."""
    in_use = _data_in_use() if budget_mb > 0 else None
    if in_use is None:
        yield
        return
    with _capped:
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = in_use + budget_mb * MIB
        for existing in (soft, hard):  # a stricter limit set by the operator stays
            if existing != resource.RLIM_INFINITY:
                cap = min(cap, existing)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


# -- a result every writer can print -------------------------------------------------------------

# Types Polars holds exactly and the writers print; DuckDB HUGEINT arrives as Decimal(38, 0), exact
# at the top level (a value inside a list or struct becomes a Python Decimal, which may round it).
_HELD = frozenset(
    {"boolean", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger", "ubigint"}
    | {"float", "double", "varchar", "blob", "decimal"}
)
# Dates and times as ISO 8601 text: Polars and Python cannot hold DuckDB's infinities or years
# past 9999, so those (and BC dates) keep DuckDB's own text. TIMESTAMPTZ is in UTC (the
# connection's time zone), hence the fixed offset.
_ISO_FORMATS = {
    "date": "%Y-%m-%d",
    "timestamp": "%Y-%m-%dT%H:%M:%S.%f",
    "timestamp_s": "%Y-%m-%dT%H:%M:%S.%f",
    "timestamp_ms": "%Y-%m-%dT%H:%M:%S.%f",
    "timestamp_ns": "%Y-%m-%dT%H:%M:%S.%n",
    "timestamp with time zone": "%Y-%m-%dT%H:%M:%S.%f+00:00",
}


def printable(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """``relation`` with unique column names (``a``, ``a_1``...) and printable types: dates and
    times as ISO text; INTERVAL, TIME, UUID, ENUM, BIT, UNION, UHUGEINT and BIGNUM as DuckDB's text;
    inside lists, structs and maps the same, with HUGEINT and dates as DuckDB's text too."""
    columns = []
    for position, (name, dtype) in enumerate(zip(unique_names(relation.columns), relation.types, strict=True), 1):
        ref = f"#{position}"
        kind = dtype.id
        if kind in ("hugeint", "null"):
            expr = ref
        elif kind in _ISO_FORMATS:
            expr = (
                f"CASE WHEN year({ref}) BETWEEN 1 AND 9999 THEN strftime({ref}, '{_ISO_FORMATS[kind]}') "
                f"ELSE CAST({ref} AS VARCHAR) END"
            )
        else:
            target = _nested_target(dtype)
            expr = ref if target is None else f"CAST({ref} AS {target})"
        columns.append(f"{expr} AS {_quote(name)}")
    return relation.project(", ".join(columns))


def _nested_target(dtype: DuckDBPyType) -> str | None:
    """The type to cast a value to so that Polars holds it exactly, or None to keep it."""
    kind = dtype.id
    if kind in _HELD:
        return None
    if kind in ("list", "array"):  # an array becomes a list when its items need a cast
        target = _nested_target(_child_types(dtype)["child"])
        return None if target is None else f"{target}[]"
    if kind == "struct":
        fields = _child_types(dtype)
        targets = {name: _nested_target(t) for name, t in fields.items()}
        if all(t is None for t in targets.values()):
            return None
        return "STRUCT(" + ", ".join(f"{_quote(n)} {targets[n] or t}" for n, t in fields.items()) + ")"
    if kind == "map":
        children = _child_types(dtype)
        key, value = children["key"], children["value"]
        if key.id in ("list", "array", "struct", "map", "union"):
            return "VARCHAR"  # a JSON object needs text keys
        key_target, value_target = _nested_target(key), _nested_target(value)
        if key_target is None and value_target is None:
            return None
        return f"MAP({key_target or key}, {value_target or value})"
    return "VARCHAR"  # null, hugeint, dates and times, interval, uuid, enum, bit, union, variant...


def _child_types(dtype: DuckDBPyType) -> dict[str, DuckDBPyType]:
    """The named child types of a nested type (an array's size, not a type, is left out)."""
    return {name: t for name, t in dtype.children if isinstance(t, DuckDBPyType)}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique (a JSON object or a frame cannot hold two ``a``): ``a``, ``a_1``..."""
    taken = set(names)
    seen: set[str] = set()
    out = []
    for name in names:
        unique = name
        if name in seen:
            n = 1
            while f"{name}_{n}" in taken:
                n += 1
            unique = f"{name}_{n}"
            taken.add(unique)
        seen.add(unique)
        out.append(unique)
    return out
