"""The few SQL spellings that differ between SQLite and PostgreSQL, one function each.

Repositories write portable SQL and ask here only for what cannot be portable: expanding a JSON
array column into rows, and reading a key of a JSON object column.
"""

from __future__ import annotations


def json_rows(dialect: str, column: str, alias: str = "j") -> str:
    """A FROM item with one row per element of the JSON array in `column`; `alias.value` is
    the element as JSON (so `alias.value ->> 0` reads an inner array's first member)."""
    if dialect == "postgres":
        return f"jsonb_array_elements({column}::jsonb) AS {alias}(value)"
    return f"json_each({column}) {alias}"


def json_texts(dialect: str, column: str, alias: str = "j") -> str:
    """A FROM item with one row per element of a JSON array of strings; `alias.value` is text."""
    if dialect == "postgres":
        return f"jsonb_array_elements_text({column}::jsonb) AS {alias}(value)"
    return f"json_each({column}) {alias}"


def json_key(dialect: str, column: str, key: str) -> str:
    """The text of `key` in the JSON object stored in `column` (NULL when absent)."""
    if dialect == "postgres":
        return f"({column}::jsonb ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"
