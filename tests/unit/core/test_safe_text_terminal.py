"""Log text shown in a terminal cannot drive it: control and bidi characters come out escaped."""

from __future__ import annotations

import pytest

from garde.core.safe_text import visible_controls


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # colours, cursor moves
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # the window title
        ("ok\rFAKE", "ok\\x0dFAKE"),  # a carriage return overwrites the line
        ("a\x9bb\x7f", "a\\x9bb\\x7f"),  # C1 CSI and DEL
        ("invoice\u202egpj.exe", "invoice\\u202egpj.exe"),  # right-to-left override
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\nbreak", "line\\x0abreak"),  # one value, one line
        ("tab\tkept, é ü 日本 kept", "tab\tkept, é ü 日本 kept"),
        ("[bold]markup[/]", "[bold]markup[/]"),  # markup is Rich's Text's business, left as is
    ],
)
def test_one_line_value_cannot_drive_the_terminal(text: str, shown: str) -> None:
    assert visible_controls(text, one_line=True) == shown


def test_newlines_can_be_kept_for_a_block_garde_laid_out() -> None:
    assert visible_controls('{\n  "a": "\x1b[2J"\n}') == '{\n  "a": "\\x1b[2J"\n}'
