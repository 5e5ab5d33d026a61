from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textlog_cases import BAD_INPUT_CASES, SAMPLE_FILES, BadInput, original, parse, pick, row

from garde.core.clock import fixed_clock, system_clock
from garde.core.errors import InputError
from garde.parse import get_parser, with_clock
from garde.parse.csv_mapped import CsvMapping, CsvParser

# An EHR access report as a French hospital exports it: semicolons, BOM, CRLF, local time.
DPI_EXPORT = (
    b"\xef\xbb\xbfDate acces;Utilisateur;Poste;IP;Patient;Action\r\n"
    b"29/11/2026 08:15:02;alice;WS-ICU-04;10.2.4.17;123456;consultation\r\n"
    b'29/11/2026 08:16:02;bob;WS-ICU-05;10.2.4.18;789;"modification ""allergies""\r\nsuite"\r\n'
)
DPI_MAPPING_TOML = """
dataset = "dpi.access"
timezone = "Europe/Paris"

[timestamp]
column = "Date acces"
format = "%d/%m/%Y %H:%M:%S"

[columns]
"Utilisateur" = "user.name"
"Poste" = "host.name"
"IP" = "source.ip"
"Action" = "event.action"
"""
PLAIN = b"timestamp,user,workstation,patient\n2026-11-29T08:15:02Z,alice,WS-ICU-04,123456\n"


@pytest.fixture
def dpi_parser(tmp_path: Path) -> CsvParser:
    path = tmp_path / "dpi.toml"
    path.write_text(DPI_MAPPING_TOML, encoding="utf-8")
    return CsvParser(CsvMapping.from_toml(path))


def test_mapped_export(dpi_parser: CsvParser) -> None:
    events, rejects = parse(dpi_parser, DPI_EXPORT)
    assert rejects == []
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 7, 15, 2, tzinfo=UTC)  # Paris is UTC+1 in November
    assert (r["user.name"], r["host.name"], r["source.ip"]) == ("alice", "WS-ICU-04", "10.2.4.17")
    assert (r["event.action"], r["event.dataset"], r["log.offset"]) == ("consultation", "dpi.access", 2)
    assert original(events)["Patient"] == "123456"  # unmapped columns are kept


def test_quoted_field_over_two_lines_keeps_its_first_line_number(dpi_parser: CsvParser) -> None:
    events, _ = parse(dpi_parser, DPI_EXPORT)
    assert row(events, 1)["event.action"] == 'modification "allergies"\nsuite'
    assert row(events, 1)["log.offset"] == 3


def test_without_mapping_every_column_is_original_and_time_is_found() -> None:
    events, rejects = parse(CsvParser(), PLAIN)
    assert rejects == []
    r = row(events)
    assert r["@timestamp"] == datetime(2026, 11, 29, 8, 15, 2, tzinfo=UTC)
    assert r["user.name"] is None
    assert original(events) == {
        "timestamp": "2026-11-29T08:15:02Z",
        "user": "alice",
        "workstation": "WS-ICU-04",
        "patient": "123456",
    }


def test_separate_date_and_time_columns_are_joined() -> None:
    events, _ = parse(CsvParser(), b"Date,Time,User\n2026-11-29,08:15:02,alice\n")
    assert row(events)["@timestamp"] == datetime(2026, 11, 29, 8, 15, 2, tzinfo=UTC)


def test_no_time_column_means_dated_when_taken_in() -> None:
    events, _ = parse(CsvParser(), b"user,host\nalice,ws1\n")
    assert row(events)["@timestamp"] == row(events)["event.ingested"]


def test_ingest_gives_its_clock_to_the_parser() -> None:
    now = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    shared = get_parser("csv")
    clocked = with_clock(shared, fixed_clock(now))
    assert clocked.clock() == now  # type: ignore[attr-defined]  # the year of year-less times
    assert shared is not clocked  # the registered parser keeps the system clock
    assert get_parser("csv").clock is system_clock  # type: ignore[attr-defined]


def test_mapped_int_fields_are_converted_or_nulled() -> None:
    mapping = CsvMapping(columns=(("port", "destination.port"),))
    events, rejects = parse(CsvParser(mapping), b"port,x\n445,a\nhttp,b\n")
    assert rejects == []
    assert events["destination.port"].to_list() == [445, None]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"timestamp,user\n2026-11-29T08:15:02Z,alice,extra\n", "row has 3 columns, the header 2"),
        (
            b"timestamp,user\nnot a time,alice\n",
            "timestamp 'not a time' does not match ISO 8601, epoch or 'MMM dd yyyy HH:mm:ss'",
        ),
        (b"timestamp,user\n,alice\n", "empty timestamp"),
        (b'timestamp,user\n2026-11-29T08:15:02Z,"a"b\n', "unreadable CSV row: ',' expected after '\"'"),
        (b'timestamp,user\n2026-11-29T08:15:02Z,"never closed\n', "unterminated quoted CSV field"),
    ],
)
def test_bad_rows_are_rejected(data: bytes, reason: str) -> None:
    events, rejects = parse(CsvParser(), data + b"2026-11-29T08:15:03Z,bob\n")
    assert [(r.position, r.reason) for r in rejects][:1] == [(2, reason)]
    assert events.height == 1  # a stray quote costs its own line only


def test_header_without_the_mapped_columns_is_one_reject(dpi_parser: CsvParser) -> None:
    events, rejects = parse(dpi_parser, PLAIN)
    assert events.height == 0
    assert [(r.position, r.reason) for r in rejects] == [
        (1, "CSV header lacks mapped columns: Utilisateur, Poste, IP, Action, Date acces")
    ]


def test_bad_mappings_fail_early() -> None:
    with pytest.raises(InputError, match="not schema fields: user"):
        CsvMapping(columns=(("u", "user"),))
    with pytest.raises(InputError, match="unknown time zone"):
        CsvMapping(timezone="Mars/Olympus")
    with pytest.raises(InputError, match="one character"):
        CsvMapping(delimiter=";;")
    with pytest.raises(InputError, match="must be tables"):
        CsvMapping.from_dict({"columns": ["a"]})


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input(case: str) -> None:
    header = b"timestamp,user,workstation,patient\n"
    getattr(BadInput(CsvParser(), b"2026-11-29T08:15:02Z,alice,WS-ICU-04,123456", preamble=header), case)()


def test_sniff_by_name_and_by_header() -> None:
    parser = CsvParser()
    assert parser.sniff(b"anything", "export.CSV")
    assert parser.sniff(PLAIN, "export")
    assert parser.sniff(DPI_EXPORT, "export.txt")
    assert pick(DPI_EXPORT, "export.txt") == "csv"


@pytest.mark.parametrize("fmt", ["syslog", "cef", "leef", "kv", "fhir", "atna"])
def test_sniff_leaves_other_formats(fmt: str) -> None:
    name, data = SAMPLE_FILES[fmt]
    assert not CsvParser().sniff(data, name)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parse(CsvParser(), data)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet='ab,;"\n\r 0123456789-:T', max_size=200))
def test_never_raises_on_csv_like_text(body: str) -> None:
    _, rejects = parse(CsvParser(), b"timestamp,user\n" + body.encode())
    assert all(r.reason for r in rejects)


def test_an_unreadable_header_is_one_reject() -> None:
    events, rejects = parse(CsvParser(), b'\r"\n')  # a lone quote after a carriage return (found by hypothesis)
    assert events.height == 0
    assert [r.reason.split(":")[0] for r in rejects] == ["unreadable CSV header"]
