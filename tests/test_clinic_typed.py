"""The small typed checker behind every clinic file: what it refuses and how layers merge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from bot.clinic.files import EscalationFile, ProgramFile, TriageFile
from bot.clinic.typed import ConfigError, Phrases, check, merge, schema


@dataclass
class Inner:
    """An inner block."""

    words: Phrases = None
    level: Literal["low", "high"] = None


@dataclass
class Outer:
    """A file."""

    name: str = None
    count: int = None
    ratio: float = None
    on: bool = None
    steps: list[str] = None
    inner: Inner = None
    blocks: dict[str, Inner] = None
    either: list[str] | Inner = None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nme": "x"}, "unknown key 'nme' (did you mean 'name'?)"),
        ({"inner": {"wrds": []}}, "unknown key 'inner.wrds' (did you mean 'words'?)"),
        ({"blocks": {"a": {"levl": "low"}}}, "unknown key 'blocks.a.levl' (did you mean 'level'?)"),
        ({"either": {"word": []}}, "unknown key 'either.word' (did you mean 'words'?)"),
        ({"count": "3"}, "count: expected a whole number, not '3'"),
        ({"count": True}, "count: expected a whole number, not True"),
        ({"on": "yes"}, "on: expected true or false, not 'yes'"),
        ({"ratio": "half"}, "ratio: expected a number, not 'half'"),
        ({"name": False}, "name: expected a quoted string, not False"),
        ({"steps": "a, b"}, "steps: expected a list of quoted strings"),
        ({"steps": ["a", None]}, "steps[1]: empty entry"),
        ({"inner": {"words": ["ok", True]}}, "inner.words[1]: expected a quoted string, not True"),
        ({"inner": {"level": "mid"}}, "inner.level: expected one of 'low', 'high', not 'mid'"),
        ({"inner": ["x"]}, "inner: expected a mapping of settings"),
        ([1, 2], "the top level: expected a mapping of settings"),
        ({"zzz": 1}, "unknown key 'zzz'"),  # nothing close: no guess
    ],
)
def test_check_refuses_with_one_line_naming_the_key(data, message):
    with pytest.raises(ConfigError) as caught:
        check(data, Outer)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "data",
    [{}, {"name": "x", "count": 3, "ratio": 2, "on": False, "steps": []},
     {"name": 5551234}, {"inner": None}, {"either": ["a"]}, {"either": {"words": ["a"]}},
     {"blocks": {"a": {"words": ["x"], "level": "high"}}}],
)
def test_check_accepts(data):
    check(data, Outer)


@pytest.mark.parametrize(
    ("base", "over", "merged"),
    [
        ({"name": "a", "count": 1}, {"count": 2}, {"name": "a", "count": 2}),
        ({"steps": ["a", "b"]}, {"steps": ["c"]}, {"steps": ["c"]}),  # plain lists replace
        ({"inner": {"words": ["a"], "level": "low"}}, {"inner": {"words": ["b", "a"]}},
         {"inner": {"words": ["a", "b"], "level": "low"}}),  # phrases add, without repeats
        ({"inner": {"level": "low"}}, {"inner": {"level": "high"}}, {"inner": {"level": "high"}}),
        ({"blocks": {"a": {"words": ["x"]}}}, {"blocks": {"b": {"words": ["y"]}}},
         {"blocks": {"a": {"words": ["x"]}, "b": {"words": ["y"]}}}),
        ({"blocks": {"a": {"words": ["x"]}}}, {"blocks": {"a": {"words": ["y"]}}},
         {"blocks": {"a": {"words": ["x", "y"]}}}),
        ({"either": {"words": ["x"]}}, {"either": {"words": ["y"]}},
         {"either": {"words": ["x", "y"]}}),
        ({"name": "a"}, {"name": None}, {"name": "a"}),  # an empty value is "not set"
        ({"name": "a"}, {}, {"name": "a"}),
    ],
)
def test_merge_lays_the_clinic_over_the_packaged(base, over, merged):
    assert merge(base, over, Outer) == merged
    assert base == merge(base, {}, Outer)  # the packaged layer is never changed in place


def test_merge_never_changes_the_packaged_layer():
    base = {"inner": {"words": ["a"]}}
    merge(base, {"inner": {"words": ["b"]}}, Outer)
    assert base == {"inner": {"words": ["a"]}}


@pytest.mark.parametrize("model", [ProgramFile, TriageFile, EscalationFile])
def test_every_field_of_the_real_files_has_a_schema_and_a_description(model):
    node = schema(model)
    assert node["additionalProperties"] is False
    assert all("description" in p for p in node["properties"].values())
