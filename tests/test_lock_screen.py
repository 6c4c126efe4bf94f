"""Default wording is safe on a lock screen: no word that reveals what kind of program this is."""

from __future__ import annotations

import re

import pytest

from bot.program import load_program

REVEALING = re.compile(
    r"addict|\biop\b|intensive outpatient|recover|relaps|craving|treatment|rehab|substance|"
    r"sober|detox|opioid|methadone|suboxone|adicci|recupera|reca[ií]da|tratamiento|antojo|"
    r"sobriedad|\bdrug|alcohol|droga",
    re.IGNORECASE,
)
PROGRAM = load_program()


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_default_message_is_lock_screen_safe(language):
    table = PROGRAM.messages[language]
    assert len(table) > 50
    unsafe = {key: REVEALING.findall(text) for key, text in table.items() if REVEALING.search(text)}
    assert unsafe == {}


def test_checker_catches_a_revealing_text():
    assert REVEALING.search("Reminder: your recovery group at 6pm")
    assert REVEALING.search("¿Tuviste antojo hoy?")


def test_clinic_names_in_the_default_program_are_neutral():
    for name in (PROGRAM.clinic_name, PROGRAM.program_name):
        assert not REVEALING.search(name)


def test_every_english_message_has_a_spanish_one():
    missing = sorted(set(PROGRAM.messages["en"]) - set(PROGRAM.messages["es"]))
    assert missing == []
