"""Hostile rule files: each is refused with a one-line reason and the rest of the load goes on."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from garde.detect.sigma import SigmaEngine
from garde.detect.sigma.loader import FILE_REFUSED, LoadReport, load_texts
from garde.detect.sigma.rulefile import MAX_RULE_FILE_BYTES
from zip_crafting import declare_size, make_zip, repeat_central_entry

GOOD = b"""title: Good
id: 5d6b1a5f-4f2b-4c41-9a22-0d2c8b8b0a01
status: test
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
level: low
"""
CORRELATION = b"""title: Many failures
id: 5d6b1a5f-4f2b-4c41-9a22-0d2c8b8b0aff
status: test
correlation:
  type: event_count
  rules: [5d6b1a5f-4f2b-4c41-9a22-0d2c8b8b0a01]
  group-by: [Computer]
  timespan: 5m
  condition: {gte: 3}
level: high
"""


def billion_laughs(levels: int = 9, *, top: str = "mapping") -> bytes:
    lines = ['x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    text = "\n".join(lines)
    if top == "list":  # the same bomb in a document that is a list, not a mapping
        text = "- " + text.replace("\n", "\n  ")
    return text.encode()


def incompressible(size: int) -> bytes:
    """Text that deflate cannot shrink much (so the pack passes the unpacked/packed ratio)."""
    return random.Random(0).randbytes(size // 2 + 1).hex().encode()


def nested(depth: int) -> bytes:
    return b"title: deep\ndetection: " + b"[" * depth + b"]" * depth + b"\n"


HOSTILE = {
    "scalar": (b"hello\n", "not a mapping"),
    "number": (b"42\n", "not a mapping"),
    "list": (b"- a\n- b\n", "not a mapping"),
    "list of rules": (b"- " + GOOD.replace(b"\n", b"\n  "), "not a mapping"),
    "empty": (b"", "empty"),
    "comment only": (b"# nothing here\n", "empty"),
    "null document": (b"null\n", "empty"),
    "a scalar among documents": (GOOD + b"---\nhello\n", "document 2 is a str"),
    "a list among documents": (b"---\n- a\n---\n" + GOOD, "document 1 is a list"),
    "invalid UTF-8": (b"title: caf\xe9\n", "not UTF-8"),
    "UTF-16": ("title: x\n".encode("utf-16"), "not UTF-8"),
    "NUL byte": (b"title: a\x00b\n", "invalid YAML"),
    "billion laughs": (billion_laughs(), "aliases"),
    "billion laughs in a list": (billion_laughs(top="list"), "not a mapping"),
    "recursive alias": (b"a: &x\n  b: *x\n", "refers to itself"),
    "python object tag": (b"!!python/object/apply:os.system ['echo hi']\n", "tag"),
    "python tag inside a rule": (GOOD + b"x: !!python/name:os.system\n", "tag"),
    "local tag": (b"title: !foo bar\n", "tag"),
    "binary tag": (GOOD + b"x: !!binary aGVsbG8=\n", "tag"),
    "deep nesting": (nested(1000), "nested"),
    "very deep nesting": (nested(200_000), "nested"),
    "unterminated": (b"title: [unclosed\n", "invalid YAML"),
    "too big": (b"title: " + b"x" * MAX_RULE_FILE_BYTES + b"\n", "cap"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_refused_with_a_one_line_reason_and_the_rest_loads(name: str) -> None:
    content, reason = HOSTILE[name]
    loaded, report = load_texts([("hostile.yml", content), ("good.yml", GOOD)])
    assert [r.info.title for r in loaded.rules] == ["Good"]
    assert len(report.errors) == 1, report.errors
    error = report.errors[0]
    assert error.source == "hostile.yml"
    assert error.category == FILE_REFUSED
    assert reason in error.reason
    assert "\n" not in error.reason
    assert len(error.reason) < 300
    assert report.refused_files() == [error]


def test_several_documents_are_still_a_rule_and_its_correlation() -> None:
    loaded, report = load_texts([("both.yml", GOOD + b"---\n" + CORRELATION + b"---\n")])
    assert report.errors == []
    assert [r.info.title for r in loaded.rules] == ["Good"]
    assert [c.info.title for c in loaded.correlations] == ["Many failures"]


def test_a_file_at_the_cap_is_read(tmp_path: Path) -> None:
    padding = MAX_RULE_FILE_BYTES - len(GOOD) - 2
    content = GOOD + b"#" + b"x" * padding + b"\n"
    assert len(content) == MAX_RULE_FILE_BYTES
    (tmp_path / "big.yml").write_bytes(content)
    engine, report = SigmaEngine.from_paths([tmp_path])
    assert report.errors == []
    assert [r.title for r in engine.rules] == ["Good"]


def test_an_oversized_file_on_disk_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    (tmp_path / "huge.yml").write_bytes(b"title: " + b"x" * (MAX_RULE_FILE_BYTES + 10) + b"\n")
    (tmp_path / "good.yml").write_bytes(GOOD)
    engine, report = SigmaEngine.from_paths([tmp_path])
    assert [r.title for r in engine.rules] == ["Good"]
    [error] = report.errors
    assert error.source.endswith("huge.yml")
    assert error.reason.startswith(f"{FILE_REFUSED}: ")
    assert "over the 1 MiB cap" in error.reason


def test_hostile_members_of_a_zip_pack_are_refused_one_by_one(tmp_path: Path) -> None:
    pack = tmp_path / "pack.zip"
    pack.write_bytes(
        make_zip(
            {
                "rules/good.yml": GOOD,
                "rules/scalar.yml": b"just a string\n",
                "../escape.yml": GOOD.replace(b"0a01", b"0a02"),
                "/etc/absolute.yml": GOOD.replace(b"0a01", b"0a03"),
                "rules/huge.yml": b"title: " + incompressible(MAX_RULE_FILE_BYTES),
                "README.md": b"not a rule",
            },
            symlinks={"rules/link.yml": "/etc/passwd"},
        )
    )
    engine, report = SigmaEngine.from_paths([pack])
    assert [r.title for r in engine.rules] == ["Good"]
    reasons = {e.source.split("!", 1)[1]: e.reason for e in report.errors}
    assert set(reasons) == {
        "rules/scalar.yml",
        "../escape.yml",
        "/etc/absolute.yml",
        "rules/huge.yml",
        "rules/link.yml",
    }
    assert "not a mapping" in reasons["rules/scalar.yml"]
    assert "'..'" in reasons["../escape.yml"]
    assert "absolute path" in reasons["/etc/absolute.yml"]
    assert "over the 1 MiB cap" in reasons["rules/huge.yml"]
    assert "symbolic link" in reasons["rules/link.yml"]
    assert all(e.category == FILE_REFUSED for e in report.errors)


def test_a_zip_with_a_repeated_entry_is_refused_without_decompressing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = tmp_path / "bomb.zip"
    pack.write_bytes(repeat_central_entry(make_zip({"rules/a.yml": GOOD}), 1000))
    (tmp_path / "good.yml").write_bytes(GOOD.replace(b"0a01", b"0a09"))

    def no_decompression(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_decompression)
    engine, report = SigmaEngine.from_paths([pack, tmp_path / "good.yml"])
    assert [r.title for r in engine.rules] == ["Good"]
    [error] = report.errors
    assert error.source == str(pack)
    assert "unreadable rule pack" in error.reason
    assert "'rules/a.yml' is listed more than once" in error.reason
    assert report.refused_files() == [error]


def test_a_zip_whose_members_share_their_data_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "overlap.zip"
    pack.write_bytes(repeat_central_entry(make_zip({"rules/a0000.yml": GOOD}), 50, distinct_names=True))
    with zipfile.ZipFile(pack) as archive:
        assert len({i.filename for i in archive.infolist()}) == 50
    engine, report = SigmaEngine.from_paths([pack])
    assert engine.rules == ()
    [error] = report.errors
    assert error.reason.startswith("unreadable rule pack: ")
    assert "overlap" in error.reason


def test_a_member_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "liar.zip"
    pack.write_bytes(declare_size(make_zip({"rules/a.yml": GOOD + b"#" + b"x" * 3_000_000 + b"\n"}), 100))
    engine, report = SigmaEngine.from_paths([pack])
    assert engine.rules == ()
    [error] = report.errors
    assert error.category == FILE_REFUSED
    assert "rules/a.yml" in error.source


def test_refused_files_lists_whole_files_not_rules() -> None:
    bad_rule = GOOD.replace(b"EventID: 4625", b"EventID|nosuchmodifier: 4625")
    _, report = load_texts([("bad_rule.yml", bad_rule), ("scalar.yml", b"x\n")])
    assert report.refused == 2
    assert [e.source for e in report.refused_files()] == ["scalar.yml"]
    assert LoadReport().refused_files() == []


@pytest.mark.parametrize("field", [b"level: {a: 1}", b"status: true", b"title: [a, b]"])
def test_an_invalid_correlation_is_refused_not_loaded(field: bytes) -> None:
    key = field.split(b":", 1)[0]
    lines = [line for line in CORRELATION.splitlines() if not line.startswith(key + b":")]
    bad = b"\n".join([*lines, field]) + b"\n"
    loaded, report = load_texts([("corr.yml", GOOD + b"---\n" + bad)])
    assert [r.info.title for r in loaded.rules] == ["Good"]
    assert loaded.correlations == []
    [error] = report.errors
    assert error.reason.startswith("invalid rule (")
    assert error.rule_id == "5d6b1a5f-4f2b-4c41-9a22-0d2c8b8b0aff"
    assert isinstance(error.title, str)
