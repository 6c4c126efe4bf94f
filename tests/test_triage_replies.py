"""Reply understanding: use, yes/no, mood, session confirmation, and other messages."""

from __future__ import annotations

import pytest

from bot.triage import (
    looks_like_other_message,
    parse_confirmation,
    parse_craving,
    parse_mood,
    parse_use,
    parse_yes_no,
)


@pytest.mark.parametrize(
    ("text", "expect_use", "used"),
    [
        ("didn't use, went to a meeting", False, False),
        ("not using, don't worry", False, False),
        ("clean", False, False),
        ("sober today", False, False),
        ("no", True, False),
        ("nope", True, False),
        ("yes", True, True),
        ("yeah i did", True, True),
        ("no", False, None),
        ("used last night", False, True),
        ("picked up", False, True),
        ("slipped", False, True),
        ("relapsed", False, True),
        ("had a drink at the party", False, True),
        ("drank", False, True),
        ("got high", False, True),
        ("smoked crack", False, True),
        ("shot up", False, True),
        ("took a few pills", False, True),
        ("recaí", False, True),
        ("consumí", False, True),
        ("tomé", False, True),
        ("me drogué", False, True),
        ("fumé", False, True),
        ("no consumí", False, False),
        ("I used to drink a lot", False, None),
        ("used my inhaler", False, None),
        ("used the bathroom", False, None),
        ("shot some hoops", False, None),
        ("haven't used in 30 days", False, False),
        ("clean 30 days but used last night", False, True),
        ("no, I used", True, True),
        ("almost used but called my sponsor", False, False),
        ("I did not go to group", False, None),
    ],
)
def test_parse_use(text: str, expect_use: bool, used: bool | None) -> None:
    assert parse_use(text, expect_use=expect_use) is used


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", True),
        ("Yeah", True),
        ("yep!", True),
        ("y", True),
        ("sí", True),
        ("si", True),
        ("claro", True),
        ("ok", True),
        ("👍", True),
        ("no", False),
        ("nope", False),
        ("nah", False),
        ("n", False),
        ("not really", False),
        ("No.", False),
        ("maybe", None),
        ("idk", None),
        ("", None),
        ("I said no to drinks", None),
    ],
)
def test_parse_yes_no(text: str, answer: bool | None) -> None:
    assert parse_yes_no(text) is answer


@pytest.mark.parametrize(
    ("text", "expect_mood", "mood"),
    [
        ("great", False, 5),
        ("good", False, 4),
        ("ok", False, 3),
        ("meh", False, 3),
        ("bad", False, 2),
        ("awful", False, 1),
        ("bien", False, 4),
        ("mal", False, 2),
        ("regular", False, 3),
        ("muy bien", False, 5),
        ("muy mal", False, 1),
        ("😀", False, 5),
        ("🙂", False, 4),
        ("😐", False, 3),
        ("🙁", False, 2),
        ("😢", False, 1),
        ("not bad", False, 3),
        ("not good", False, 2),
        ("4", True, 4),
        ("4", False, None),
        ("9", True, None),
        ("pretty good, 4", True, 4),
        ("asdf", False, None),
    ],
)
def test_parse_mood(text: str, expect_mood: bool, mood: int | None) -> None:
    assert parse_mood(text, expect_mood=expect_mood) == mood


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("C", True),
        ("c", True),
        ("confirm", True),
        ("I'll be there", True),
        ("see you there", True),
        ("yes", True),
        ("sí", True),
        ("ahí estaré", True),
        ("Yes, no problem", True),
        ("N", False),
        ("can't make it tonight", False),
        ("no puedo", False),
        ("won't be there", False),
        ("sick, not coming", False),
        ("I'm not coming", False),
        ("what time?", None),
        ("", None),
    ],
)
def test_parse_confirmation(text: str, answer: bool | None) -> None:
    assert parse_confirmation(text) is answer


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("what time is group?", True),
        ("can I bring my wife?", True),
        ("running late", True),
        ("who is this", True),
        ("¿a qué hora es el grupo?", True),
        ("wrong number", True),
        ("is it ok if I leave early?", True),
        ("7", False),
        ("no", False),
        ("used last night", False),
        ("cravings at 8, what time is group?", False),
        ("I want to die", False),
        ("feeling good", False),
        ("clean", False),
    ],
)
def test_looks_like_other_message(text: str, other: bool) -> None:
    assert looks_like_other_message(text) is other


def test_bare_number_needs_the_craving_question() -> None:
    assert parse_craving("8", expect_craving=True) == 8
    assert parse_craving("8", expect_craving=False) is None
    assert parse_craving("cravings are at 8", expect_craving=False) == 8
