"""Text from logs made safe to show: terminal controls made visible, spreadsheet formulas defused."""

from __future__ import annotations

import pytest

from garde.core.safe_text import csv_cell, visible_controls


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, é, 日本, 🙂", "plain text, é, 日本, 🙂"),
        ("\x1b[2Jcleared", "\\x1b[2Jcleared"),  # erase the screen
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # OSC 0: the window title
        (
            "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
            "\\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\",
        ),
        ("\x9b2J", "\\x9b2J"),  # C1 CSI: an escape sequence in one character
        ("\x9d0;t\x9c", "\\x9d0;t\\x9c"),  # C1 OSC ... ST
        ("nul\x00del\x7fbs\x08bell\x07", "nul\\x00del\\x7fbs\\x08bell\\x07"),
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
        (
            "\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u202a\u202b\u202c\u202d",
            "".join(
                f"\\u{c:04x}"
                for c in (0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C, 0x202A, 0x202B, 0x202C, 0x202D)
            ),
        ),
        ("line 1\nline 2\tcolumn", "line 1\nline 2\tcolumn"),  # newlines and tabs are layout, kept
        ("windows\r\nmessage", "windows\nmessage"),
        ("over\rwrite", "over\\x0dwrite"),  # a lone carriage return could hide what precedes it
    ],
)
def test_visible_controls(raw: str, shown: str) -> None:
    assert visible_controls(raw) == shown


def test_visible_controls_on_one_line() -> None:
    assert visible_controls("a\nb\r\nc\td", one_line=True) == "a\\x0ab\\x0d\\x0ac\td"


def test_every_c0_c1_control_is_made_visible() -> None:
    for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]:
        if chr(code) in "\n\t":
            continue
        assert visible_controls(f"<{chr(code)}>") == f"<\\x{code:02x}>"


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("https://evil.example","click")', '\'=HYPERLINK("https://evil.example","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("alice", "alice"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),  # numbers are not text: no quote
        (None, None),
    ],
)
def test_csv_cell_defuses_formulas(value: object, safe: object) -> None:
    assert csv_cell(value) == safe
