"""Text from logs made safe to show: on a terminal and in a spreadsheet.

Log fields are written by whoever sent the log. Printed raw, an ``ESC [2J`` clears the analyst's
screen, an OSC sequence retitles the window or plants a hyperlink, a right-to-left override makes
``exe.txt`` read as ``txt.exe``; opened in a spreadsheet, a cell such as ``=HYPERLINK(...)`` or
``+cmd|...`` runs as a formula. Both are defused here, once, for every writer that needs it.
"""

from __future__ import annotations

# C0 controls but newline and tab (layout), DEL, C1 controls (0x9b alone is a CSI), the bidi
# controls that reorder what is shown, and the invisible zero-width ones that hide text.
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_ZERO_WIDTH = (0x200B, 0x200C, 0x200D, *range(0x2060, 0x2066), 0xFEFF)
_CONTROLS = [c for c in (*range(0x00, 0x20), *range(0x7F, 0xA0), *_BIDI, *_ZERO_WIDTH) if c not in (0x09, 0x0A)]
_VISIBLE = {c: (f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}") for c in _CONTROLS}
_VISIBLE_ONE_LINE = {**_VISIBLE, 0x0A: "\\x0a"}

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible_controls(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character shown as an escape (``ESC`` -> ``\\x1b``).

    Newlines and tabs stay (a Windows ``\\r\\n`` becomes ``\\n``) unless ``one_line``, where a
    newline is shown too.
    """
    if one_line:
        return text.translate(_VISIBLE_ONE_LINE)
    return text.replace("\r\n", "\n").translate(_VISIBLE)


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: a string that would start a formula gets a
    leading quote; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def one_line(text: str, limit: int = 240) -> str:
    """``text`` on one printable line of at most ``limit`` characters (for reasons that quote input)."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
