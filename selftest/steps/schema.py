"""A step's declared attributes: a frozen dataclass, read from a scenario's [client] table.

Each client step names the dataclass of what its [client] table may hold (toxiproxy's
`toxics/*.go` are the model: typed attributes per toxic, attribute names carrying their units).
`parse(Schema, table, where)` checks the table against it — unknown keys (with the allowed ones
named), missing required ones, values of the wrong type, nested tables and arrays of tables —
and returns the typed value. The scenario loader calls it when a file is loaded (placeholders
still unfilled, so a misspelt key fails before any server starts); the runner calls it again on
the filled table, and the step receives the result.

Supported field types: str, int, float (an int is accepted), bool, Any, `X | None`, Literal,
`Mapping[str, X]`, `tuple[X, ...]` (from a TOML array) and another such dataclass (from a table).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

from selftest.errors import ScenarioError

S = TypeVar("S")
#: The key every [client] table may hold: which step it is for (the registry reads it).
STEP_KEY = "step"


def parse(schema: type[S], table: Mapping[str, Any], where: str) -> S:
    """`table` as a `schema` instance. Raises ScenarioError: one line naming `where` and the key."""
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where} must be a table")
    hints = _hints(schema)
    allowed = sorted(hints)
    unknown = sorted(set(table) - set(hints))
    if unknown:
        raise ScenarioError(f"{where} has unknown key(s) {unknown}; allowed: {allowed}")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(schema):  # type: ignore[arg-type]
        if field.name in table:
            values[field.name] = _value(hints[field.name], table[field.name],
                                        f"{where} {field.name}")
        elif (field.default is dataclasses.MISSING
              and field.default_factory is dataclasses.MISSING):
            raise ScenarioError(f"{where} needs {field.name!r}")
    return schema(**values)


def keys(schema: type[Any]) -> list[str]:
    """The keys a table for `schema` may hold, in declaration order."""
    return [field.name for field in dataclasses.fields(schema)]


def describe(schema: type[Any]) -> list[str]:
    """`name: type = default` for each attribute, for the generated docs table."""
    hints = _hints(schema)
    out = []
    for field in dataclasses.fields(schema):
        text = f"{field.name}: {type_name(hints[field.name])}"
        if field.default is not dataclasses.MISSING:
            text += f" = {field.default!r}"
        elif field.default_factory is dataclasses.MISSING:
            text += " (required)"
        out.append(text)
    return out


def placeholder_defaults(schema: type[Any]) -> dict[str, str]:
    """The string defaults holding a `{name}` placeholder (box-sequence's `base = "{url}"`):
    the loader writes them into the table, so they are filled like the file's own keys."""
    return {field.name: field.default for field in dataclasses.fields(schema)
            if isinstance(field.default, str) and "{" in field.default}


def _hints(schema: type[Any]) -> dict[str, Any]:
    """The field types of `schema`, resolved. Raises TypeError for a non-dataclass."""
    if not dataclasses.is_dataclass(schema):
        raise TypeError(f"{schema!r} is not a dataclass")
    return _type_hints(schema)


@cache
def _type_hints(schema: Any) -> dict[str, Any]:
    """typing.get_type_hints, once per schema."""
    return typing.get_type_hints(schema)


def _value(hint: Any, value: Any, where: str) -> Any:
    """`value` checked (and converted: arrays to tuples, tables to dataclasses) as `hint`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        return _value(rest[0], value, where) if len(rest) == 1 else value
    if origin is typing.Literal:
        if value not in args:
            raise ScenarioError(f"{where} must be one of {list(args)}, not {value!r}")
        return value
    if dataclasses.is_dataclass(hint):
        return parse(hint, value, where)  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ScenarioError(f"{where} must be an array")
        return tuple(_value(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin in (Mapping, dict, typing.Mapping):
        if not isinstance(value, Mapping):
            raise ScenarioError(f"{where} must be a table")
        return {str(k): _value(args[1], v, f"{where}.{k}") for k, v in value.items()}
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    """A plain value of type `hint`; an int is accepted as a float, a bool never as an int."""
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise ScenarioError(f"{where} must be an integer, not {value!r}")
    if isinstance(hint, type) and not isinstance(value, hint):
        raise ScenarioError(f"{where} must be {type_name(hint)}, not {value!r}")
    return value


def type_name(hint: Any) -> str:
    """How the docs name a field type: "string", "integer or None", "'close'/'reset'"."""
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if hint in names:
        return names[hint]
    if hint is Any:
        return "any"
    if dataclasses.is_dataclass(hint):
        return "table"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args if a is not type(None))
    if hint is type(None) or hint is None:
        return "none"
    if origin is typing.Literal:
        return "|".join(repr(a) for a in args)
    if origin is tuple:
        return f"array of {type_name(args[0])}"
    return "table"
