"""Turn a parsed search filter (garde.core.filters) into parameterised DuckDB SQL.

Schema fields are columns; any other field is looked up in the ``original`` JSON, by its full
name and, for short Windows names such as ``CommandLine``, under ``winlog.event_data.``.
Values are always parameters, never pasted into the SQL text.
"""

from __future__ import annotations

from garde.core.filters import Match, Node, Not
from garde.core.schema import EVENT_SCHEMA, FIELD_NAMES

_NUMERIC = {name for name, dtype in EVENT_SCHEMA.items() if dtype.is_integer()}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _like_pattern(value: str) -> str:
    """Filter wildcards (* and ?) -> an ILIKE pattern, with LIKE's own characters escaped."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def field_expr(field: str, params: list[object]) -> str:
    if field in FIELD_NAMES:
        return quote_ident(field)
    params.extend([f'$."{field}"', f'$."winlog.event_data.{field}"'])
    return "coalesce(json_extract_string(original, ?), json_extract_string(original, ?))"


def _match_sql(m: Match, params: list[object]) -> str:
    if m.field is None:  # full text: the message and every original value
        params.append("%" + _like_pattern(m.value) + "%")
        return "(coalesce(message, '') || ' ' || original) ILIKE ? ESCAPE '\\'"
    column = field_expr(m.field, params)
    if m.op != ":":
        if m.field in _NUMERIC:
            try:
                params.append(int(m.value))
            except ValueError:
                params.append(m.value)
            return f"{column} {m.op} ?"
        if m.field == "@timestamp":
            params.append(m.value)
            return f"{column} {m.op} CAST(? AS TIMESTAMPTZ)"
        params.append(m.value)
        return f"TRY_CAST({column} AS DOUBLE) {m.op} TRY_CAST(? AS DOUBLE)"
    if m.field in _NUMERIC and m.value.lstrip("-").isdigit():
        params.append(int(m.value))
        return f"{column} = ?"
    if m.field == "@timestamp":
        params.append(m.value)
        return f"{column} = CAST(? AS TIMESTAMPTZ)"
    params.append(_like_pattern(m.value))
    return f"CAST({column} AS VARCHAR) ILIKE ? ESCAPE '\\'"


def to_sql(node: Node, params: list[object]) -> str:
    """The WHERE clause for ``node``; parameters are appended to ``params`` in order."""
    if isinstance(node, Match):
        return _match_sql(node, params)
    if isinstance(node, Not):
        # Sigma-like: NOT of a missing field is true.
        return f"(({to_sql(node.operand, params)}) IS NOT TRUE)"
    joiner = f" {node.op} "
    return "(" + joiner.join(to_sql(child, params) for child in node.operands) + ")"
