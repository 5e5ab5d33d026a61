"""BatchBuilder: rows become one DataFrame in the event schema; event ids are stable."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import polars as pl
import pytest

from garde.core.batch import BatchBuilder, Reject, event_id, original_json
from garde.core.schema import EVENT_SCHEMA, FIELD_NAMES

T0 = datetime(2026, 11, 28, 8, 15, tzinfo=UTC)


def _one(fields: dict[str, object], *, fmt: str = "jsonl", source: str = "/logs/a.jsonl") -> pl.DataFrame:
    builder = BatchBuilder(fmt, source)
    builder.add(7, b"raw-record", T0, fields, {"k": "v"})
    frame, rejects = builder.build()
    assert rejects == []
    return frame


def test_build_follows_the_event_schema_exactly() -> None:
    frame = _one({"user.name": "alice"})
    assert frame.schema == EVENT_SCHEMA
    assert tuple(frame.columns) == FIELD_NAMES
    assert frame.height == 1


def test_empty_builder_gives_an_empty_batch_in_the_schema() -> None:
    frame, rejects = BatchBuilder("jsonl", "/x").build()
    assert frame.height == 0
    assert frame.schema == EVENT_SCHEMA
    assert rejects == []


def test_pipeline_columns_are_filled_by_the_builder() -> None:
    before = datetime.now(UTC)
    row = _one({"user.name": "alice"}, fmt="evtx", source="/logs/Security.evtx").row(0, named=True)
    assert row["@timestamp"] == T0
    assert row["log.format"] == "evtx"
    assert row["log.file.path"] == "/logs/Security.evtx"
    assert row["log.offset"] == 7
    assert row["event.id"] == event_id("evtx", b"raw-record", 7)
    assert before <= row["event.ingested"] <= datetime.now(UTC)
    assert orjson.loads(row["original"]) == {"k": "v"}
    assert row["user.name"] == "alice"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("destination.port", "445", 445),
        ("source.port", 51234, 51234),
        ("process.pid", "4242", 4242),
        ("network.bytes", "4096", 4096),
        ("http.response.status_code", "403", 403),
        ("event.severity", 5.0, 5),
        ("user.name", 5, "5"),
        ("source.port", None, None),
    ],
)
def test_values_are_coerced_to_the_column_type(column: str, value: object, expected: object) -> None:
    assert _one({column: value}).item(0, column) == expected


@pytest.mark.parametrize("value", ["abc", "", "99999999999"])
def test_a_bad_integer_value_becomes_null(value: str) -> None:
    builder = BatchBuilder("jsonl", "/x")
    builder.add(1, b"a", T0, {"source.port": value, "user.name": "alice"}, {})
    builder.add(2, b"b", T0, {"source.port": "443"}, {})
    frame, _ = builder.build()
    assert frame.get_column("source.port").to_list() == [None, 443]
    assert frame.item(0, "user.name") == "alice"


def test_unknown_keys_are_ignored() -> None:
    frame = _one({"not.a.column": "x", "user.name": "bob"})
    assert "not.a.column" not in frame.columns
    assert frame.item(0, "user.name") == "bob"


def test_rows_keep_their_order_and_build_starts_afresh() -> None:
    builder = BatchBuilder("jsonl", "/x")
    for i in range(3):
        builder.add(i + 1, f"r{i}".encode(), T0, {"user.name": f"u{i}"}, {})
    builder.reject(4, "invalid JSON: x", b"{")
    assert len(builder) == 3
    frame, rejects = builder.build()
    assert frame.get_column("user.name").to_list() == ["u0", "u1", "u2"]
    assert frame.get_column("log.offset").to_list() == [1, 2, 3]
    assert rejects == [Reject("/x", 4, "jsonl", "invalid JSON: x", b"{")]
    assert len(builder) == 0
    again, again_rejects = builder.build()
    assert again.height == 0
    assert again_rejects == []


def test_original_may_be_given_as_json_text() -> None:
    builder = BatchBuilder("evtx", "/x")
    builder.add(1, b"r", T0, {}, '{"winlog.channel":"Security"}')
    frame, _ = builder.build()
    assert frame.item(0, "original") == '{"winlog.channel":"Security"}'


def test_original_json_turns_values_into_text_and_drops_nulls() -> None:
    out = orjson.loads(
        original_json({"a": "x", "n": 3, "b": True, "f": False, "l": [1, "2"], "d": {"k": 1}, "z": None})
    )
    assert out == {"a": "x", "n": "3", "b": "true", "f": "false", "l": '[1,"2"]', "d": '{"k":1}'}


def test_event_id_is_stable_and_hex() -> None:
    first = event_id("jsonl", b'{"a":1}', 12)
    assert first == event_id("jsonl", b'{"a":1}', 12)
    assert len(first) == 32
    int(first, 16)


@pytest.mark.parametrize(
    ("fmt", "raw", "position"),
    [
        ("evtx", b'{"a":1}', 12),  # another format
        ("jsonl", b'{"a":2}', 12),  # other bytes
        ("jsonl", b'{"a":1} ', 12),  # one byte more
        ("jsonl", b'{"a":1}', 13),  # another place
        ("jsonl", b'{"a":1}', -12),  # sign matters
    ],
)
def test_event_id_depends_on_format_raw_and_position(fmt: str, raw: bytes, position: int) -> None:
    assert event_id(fmt, raw, position) != event_id("jsonl", b'{"a":1}', 12)


def test_event_id_does_not_depend_on_the_file_path() -> None:
    """Documented choice: the same record at the same place in two copies of a file is one event."""
    one = _one({}, source="/a/Security.evtx").item(0, "event.id")
    two = _one({}, source="/b/copy.evtx").item(0, "event.id")
    assert one == two


# -- positions beyond the signed 64-bit range (EVTX record ids are unsigned 64-bit) -----------


@pytest.mark.parametrize(
    ("position", "known"),
    [
        # ids computed before unsigned positions were accepted: stored events keep their id
        (7, "80b83f1aba2075ab61057a72437f7059"),
        (0, "042c66c6bad056244905b9f826064afd"),
        (2**63 - 1, "215fcb6432da75903ec317a9e34edb6d"),
    ],
)
def test_event_ids_of_signed_positions_are_unchanged(position: int, known: str) -> None:
    assert event_id("evtx", b"raw-record", position) == known


@pytest.mark.parametrize("position", [2**63, 2**63 + 5, 2**64 - 1])
def test_an_unsigned_64_bit_position_has_an_id_of_its_own(position: int) -> None:
    ids = {event_id("evtx", b"raw-record", p) for p in (position, 7, 0, 2**63 - 1)}
    assert len(ids) == 4


@pytest.mark.parametrize("position", [2**64, -(2**63) - 1])
def test_a_position_beyond_64_bits_is_a_clear_error(position: int) -> None:
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        event_id("evtx", b"raw-record", position)


def test_a_record_id_above_the_signed_range_is_stored_losslessly_in_log_offset() -> None:
    """``log.offset`` is Int64: a record id of 2**63 or more is kept as its two's complement."""
    big = 2**64 - 3
    builder = BatchBuilder("evtx", "/logs/Security.evtx")
    builder.add(big, b"raw-record", T0, {}, {"winlog.record_id": str(big)})
    builder.reject(2**63, "EVTX record not renderable", b"x")
    frame, rejects = builder.build()
    row = frame.row(0, named=True)
    assert row["log.offset"] == -3
    assert row["log.offset"] % 2**64 == big  # the record id, recovered
    assert row["event.id"] == event_id("evtx", b"raw-record", big) == event_id("evtx", b"raw-record", -3)
    assert [r.position % 2**64 for r in rejects] == [2**63]
    assert all(-(2**63) <= r.position < 2**63 for r in rejects)  # the store's position is Int64 too


def test_a_record_without_a_time_of_its_own_is_dated_when_taken_in() -> None:
    builder = BatchBuilder("syslog", "/logs/app.log")
    builder.add(1, b"dated", T0, {}, {})
    builder.add(2, b"undated", None, {}, {})
    frame, _ = builder.build()
    dated, undated = frame.rows(named=True)
    assert dated["@timestamp"] == T0
    assert undated["@timestamp"] == undated["event.ingested"] == dated["event.ingested"]
