"""Guards shared by the JSON parsers (JSON lines, FHIR).

Parsed JSON is walked recursively (flattening, the Windows and FHIR mappings) and written back
with orjson, which refuses more than 254 levels. A record nested deeper than ``MAX_DEPTH`` is
therefore rejected, alone, before any walk: a hostile or broken line must cost itself, never the
rest of its file. Real logs nest a dozen levels; a Kubernetes audit request object a few dozen.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 100
TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels"


def too_deep(raw: bytes, value: Any, limit: int = MAX_DEPTH) -> bool:
    """True if ``value`` (parsed from ``raw``, or from a larger text holding it) nests objects
    and arrays more than ``limit`` deep, the outermost counted as one."""
    # Nesting can never exceed the number of opening brackets: most records stop here.
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def decode_error(exc: Exception) -> str:
    """The reject reason for a line orjson could not read."""
    text = str(exc)
    if "depth limit" in text:  # orjson reads at most 1024 levels
        return TOO_DEEP
    return "invalid UTF-8" if "UTF-8" in text else f"invalid JSON: {text}"
