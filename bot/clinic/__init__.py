"""The clinic's configuration in layers: the packaged files, then the clinic's own overrides.

The packaged rules, patterns, ladder and wording (`config/` package data) improve with every
upgrade; a clinic's files next to its program file hold only what it changes. Every file is
checked against its model in `bot.clinic.files` before it is merged.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.clinic.typed import ConfigError, check, merge

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster at start-up


def packaged(name: str) -> Path:
    """The path of a file in the packaged `config/` folder."""
    return Path(str(resources.files("config").joinpath(name)))


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; raise ConfigError naming the file (and line) on trouble."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise ConfigError(f"{path} is not valid YAML{line}") from None


def checked(path: Path, model: type, data: Any = None) -> dict[str, Any]:
    """Read (unless `data` is given) and check one file against `model`; {} when empty."""
    data = read_yaml(path) if data is None else data
    if data is None:
        return {}
    try:
        check(data, model)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return data


def same_file(a: Path | None, b: Path | None) -> bool:
    """Whether two paths name the same file (a clinic pointing at the packaged copy)."""
    if a is None or b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


@functools.lru_cache(maxsize=8)
def _packaged_checked(name: str, model: type) -> dict[str, Any]:
    # Read once per process; callers never mutate it (merge copies what it changes).
    return checked(packaged(name), model)


def layered(name: str, model: type, clinic: Path | None) -> dict[str, Any]:
    """The packaged `config/<name>` with the clinic's file (if any) merged over it."""
    base_path = packaged(name)
    base = _packaged_checked(name, model)
    if clinic is None or same_file(clinic, base_path):
        return base
    return merge(base, checked(clinic, model), model)


__all__ = ["ConfigError", "checked", "layered", "packaged", "read_yaml", "same_file"]
