"""Typed clinic files: check parsed YAML against dataclass models, merge layers, emit JSON Schema.

A model is a dataclass whose field types are built from str, int, float, bool, date, Any,
Literal[...], list[T], dict[K, V], unions and other models. A field's metadata may carry `doc`
(shown in the schema). A list typed `Phrases` (or `Appended[list[T]]`) adds a clinic's entries to
the packaged ones when layers are merged; every other value replaces the packaged one.

Checking is deliberately small: unknown keys and wrong types are refused with one line naming
the key; value rules (ranges, time formats) stay with the code that builds the settings.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints


class ConfigError(ValueError):
    """A clinic file is wrong; the message is one line naming the key."""


class _Append:
    """Marker: when layers merge, this list adds to the packaged one instead of replacing it."""


APPEND = _Append()
T = typing.TypeVar("T")
Appended = Annotated[T, APPEND]
Phrases = Annotated[list[str], APPEND]


def _key(path: str) -> str:
    return path or "the top level"


def _hints(model: type) -> dict[str, Any]:
    return get_type_hints(model, include_extras=True)


def _describe(tp: Any) -> str:
    """A reader's name for a type, for error messages."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _describe(get_args(tp)[0])
    if dataclasses.is_dataclass(tp):
        return "a mapping of settings"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp))
    if origin is list:
        item = get_args(tp)[0]
        return "a list of quoted strings" if item is str else "a list"
    if origin is dict:
        return "a mapping"
    names = {str: "a quoted string", int: "a whole number", float: "a number",
             bool: "true or false", date: "a date YYYY-MM-DD"}
    return names.get(tp, "a value")


def _fits(value: Any, tp: Any) -> bool:
    """Whether a scalar value fits a scalar type (before any nested checks)."""
    if tp is Any:
        return True
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    if tp is date:
        return isinstance(value, date | str)
    return False


def check(value: Any, tp: Any, path: str = "") -> None:
    """Raise ConfigError when `value` (parsed YAML) does not fit type `tp`; None is "absent"."""
    if value is None:
        return
    origin = get_origin(tp)
    if origin is Annotated:
        check(value, get_args(tp)[0], path)
    elif dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{_key(path)}: expected a mapping of settings")
        hints = _hints(tp)
        for name, item in value.items():
            where = f"{path}.{name}" if path else str(name)
            if name not in hints:
                close = difflib.get_close_matches(str(name), list(hints), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"unknown key {where!r}{hint}")
            check(item, hints[name], where)
    elif origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{_key(path)}: expected {_describe(tp)}, not {value!r}")
    elif origin in (typing.Union, types.UnionType):
        errors = []
        for arm in get_args(tp):
            try:
                check(value, arm, path)
                return
            except ConfigError as exc:
                errors.append(exc)
        # Report the arm of the same shape (a mapping's unknown key beats "expected a list").
        same = [e for e, arm in zip(errors, get_args(tp), strict=True)
                if isinstance(value, Mapping) == (dataclasses.is_dataclass(arm)
                                                  or get_origin(arm) is dict)]
        raise (same or errors)[0]
    elif origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{_key(path)}: expected {_describe(tp)}")
        for index, item in enumerate(value):
            if item is None:
                raise ConfigError(f"{path}[{index}]: empty entry")
            check(item, get_args(tp)[0], f"{path}[{index}]")
    elif origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{_key(path)}: expected a mapping")
        key_type, value_type = get_args(tp)
        for name, item in value.items():
            where = f"{path}.{name}" if path else str(name)
            if not _fits(name, key_type) and get_origin(key_type) is not Literal:
                raise ConfigError(f"{where}: the key must be {_describe(key_type)}")
            if get_origin(key_type) is Literal and name not in get_args(key_type):
                raise ConfigError(f"unknown key {where!r}")
            check(item, value_type, where)
    elif not _fits(value, tp):
        raise ConfigError(f"{_key(path)}: expected {_describe(tp)}, not {value!r}")


def _appends(tp: Any) -> bool:
    return get_origin(tp) is Annotated and APPEND in get_args(tp)[1:]


def _unique(items: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(repr(item), item)
    return list(seen.values())


def merge(base: Any, over: Any, tp: Any) -> Any:
    """Lay a clinic's value `over` the packaged `base` (both already checked against `tp`)."""
    if over is None:
        return base
    if base is None:
        return over
    origin = get_origin(tp)
    if _appends(tp) and isinstance(base, list) and isinstance(over, list):
        return _unique([*base, *over])
    if origin is Annotated:
        return merge(base, over, get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        for arm in get_args(tp):
            try:
                check(base, arm)
                check(over, arm)
            except ConfigError:
                continue
            return merge(base, over, arm)
        return over
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        if dataclasses.is_dataclass(tp):
            hints = _hints(tp)
            out = dict(base)
            for name, item in over.items():
                out[name] = merge(base.get(name), item, hints.get(name, Any))
            return out
        if origin is dict:
            value_type = get_args(tp)[1]
            out = dict(base)
            for name, item in over.items():
                out[name] = merge(base.get(name), item, value_type)
            return out
    return over


def schema(tp: Any, *, title: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a model, for editors."""
    out = _schema(tp)
    if title:
        out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **out}
    return out


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    kind = node.get("type")
    if isinstance(kind, str):
        return {**node, "type": [kind, "null"]}
    if isinstance(kind, list):
        return {**node, "type": [*kind, "null"]}
    return {"anyOf": [node, {"type": "null"}]}


def _schema(tp: Any) -> dict[str, Any]:  # noqa: PLR0911
    origin = get_origin(tp)
    if origin is Annotated:
        return _schema(get_args(tp)[0])
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        props = {}
        for f in dataclasses.fields(tp):
            node = _nullable(_schema(hints[f.name]))
            doc = f.metadata.get("doc")
            props[f.name] = {"description": doc, **node} if doc else node
        node = {"type": "object", "additionalProperties": False, "properties": props}
        doc = (tp.__doc__ or "").strip().splitlines()
        return {"description": doc[0], **node} if doc else node
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(arm) for arm in get_args(tp)]}
    if origin is list:
        return {"type": "array", "items": _schema(get_args(tp)[0])}
    if origin is dict:
        key_type, value_type = get_args(tp)
        node: dict[str, Any] = {"type": "object", "additionalProperties": _schema(value_type)}
        if get_origin(key_type) is Literal:
            node["propertyNames"] = {"enum": list(get_args(key_type))}
        elif key_type is int:
            node["propertyNames"] = {"pattern": "^[0-9]+$"}
        return node
    simple = {str: {"type": ["string", "number"]}, int: {"type": "integer"},
              float: {"type": "number"}, bool: {"type": "boolean"},
              date: {"type": "string", "format": "date"}}
    return dict(simple.get(tp, {}))
