"""Log text made safe for a terminal: a record must not be able to drive it.

Rich's ``Text`` stops markup, but control characters (ESC sequences that move the cursor,
rewrite the title or clear the screen; carriage returns that overwrite a line) and bidi
overrides that reorder what is shown still reach the terminal. They are shown escaped instead.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control and bidi characters escaped (``\\x1b``, ``\\u202e``); tabs kept,
    newlines kept only when asked (a multi-line block Garde laid out itself)."""
    return (_UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE).sub(_escaped, text)
