"""The program file: wording lookup, languages, styles and the texting window."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.program import load_program, parse_hhmm, parse_timezone

FORBIDDEN = ("addiction", "iop", "recovery", "relapse", "craving", "treatment", "rehab",
             "substance", "sober", "drug", "alcohol")
CORE_KEYS = ("optin.confirm", "optout.confirm", "optin.again", "help", "unknown_sender",
             "fallback")


@pytest.fixture(scope="module")
def program():
    """The shipped program file."""
    return load_program()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("key", CORE_KEYS)
def test_core_wording_exists_in_both_languages_and_is_lock_screen_safe(program, key, language):
    assert key in program.messages[language]
    text = program.text(key, language).lower()
    for word in FORBIDDEN:
        assert word not in text.split() and f" {word}" not in f" {text}", (key, word)


def test_placeholders_are_filled(program):
    assert program.text("help", "en") == (
        "Riverside Health: call +1 555-555-0100 for help. Reply STOP to stop texts. "
        "Msg & data rates may apply.")


def test_unknown_language_falls_back_and_unknown_key_raises(program):
    assert program.text("help", "fr") == program.text("help", "en")
    with pytest.raises(KeyError):
        program.text("no.such.key")


def test_quiet_window(program):
    assert program.in_quiet_window(time(9, 0))
    assert program.in_quiet_window(time(19, 59))
    assert not program.in_quiet_window(time(20, 0))
    assert not program.in_quiet_window(time(3, 0))


def test_overnight_window(program):
    from dataclasses import replace

    night = replace(program, quiet_start=time(22, 0), quiet_end=time(6, 0))
    assert night.in_quiet_window(time(23, 0)) and night.in_quiet_window(time(5, 59))
    assert not night.in_quiet_window(time(12, 0))


@pytest.mark.parametrize("text", ["9:00", "24:00", "12:60", "noon", "", "12:00:00"])
def test_parse_hhmm_rejects(text):
    with pytest.raises(ValueError):
        parse_hhmm(text)


@pytest.mark.parametrize("name", ["Mars/Base", "", " America/Chicago", "../etc/passwd"])
def test_parse_timezone_rejects(name):
    with pytest.raises(ValueError):
        parse_timezone(name)


def test_parse_timezone_accepts_iana_names():
    assert str(parse_timezone("America/Chicago")) == "America/Chicago"


def test_packaged_program_file_is_found_outside_the_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    program = load_program()
    assert program.clinic_name
    assert Path(program.path).name == "program.yaml"
