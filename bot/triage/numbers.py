"""Find rating numbers (craving 0-10, mood 1-5) in a reply, skipping times and counts."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.triage.matching import Prepared, contains
from bot.triage.rules import TriageRules

_RANGE = re.compile(r"(?<![\w.$#:/-])(\d{1,2})\s*(?:-|to|or|o|y|a|,)\s*(\d{1,2})(?![\w:/.-])")
# "4 yesterday but 6 today": the number said for now is the answer.
_NOW = re.compile(
    r"(?<![\w.$#:/-])(\d{1,2})\s+(?:today|now|right now|tonight|rn|currently|atm|ahora|hoy)(?!\w)"
)
_FROM_TO = re.compile(
    r"(?<!\w)(?:(?:from|de)\s+(\d{1,2})\s+(?:to|a)|(?:between|entre)\s+(\d{1,2})\s+(?:and|y))"
    r"\s+(\d{1,2})(?![\w:/.-])"
)
# "4ish", "4 ish", "4-ish" read as 4.
_ISH = re.compile(r"(?<=\d)\s?ish(?!\w)")
# "5, no, 6", "ocho... no, nueve", "6, maybe 7", "two, no wait, three": the participant
# corrected or hedged upward; the last number is the answer. Correction words may come in a
# run ("no wait", "wait no", "no, espera", "scratch that").
_CORRECTION_WORD = (
    r"(?:no|nah|nope|wait|actually|i mean|i meant|sorry|scratch that|make (?:it|that)|mejor|digo"
    r"|perdon|espera|maybe|probably|prob|or maybe|more like|quizas|tal vez)"
)
# "2... actually 4": the dots of an ellipsis right after a digit stay on it ("2. ,").
_CORRECTION = rf"\.*\s*(?:,\s*)?(?:{_CORRECTION_WORD}\s*(?:,\s*)?){{1,3}}"
# "Number three." as a whole answer is the rating, not a label like "room number 3".
_NUMBER_ALONE = re.compile(r"^number (?=\w+(?: ,)?\s*$)")
# Ratings just past the top of the scale ("11", "like a 12") read as the top.
_OVER_TOP = 15
# A rating sits this close to the craving word that names it.
_AFTER_WORD = 40
_BEFORE_WORD = 25
_MAX_ZERO_ANSWER_WORDS = 5
_AT = re.compile(r"(?<!\w)(?:at|around|about)\s*$")


@dataclass(frozen=True)
class Number:
    """A number written in the reply, where it sits and whether it was "out of 10"."""

    start: int
    end: int
    value: int
    out_of_ten: bool


@functools.lru_cache(maxsize=16)
def _number_regex(rules: TriageRules) -> re.Pattern[str]:
    words = "|".join(sorted(map(re.escape, rules.numbers), key=len, reverse=True))
    number = r"\d{1,3}(?:\.\d+)?" + (f"|{words}" if words else "")
    denominator = r"\s*(?:/|out of|outta|of|de|sobre)\s*(?:10|ten|diez)(?![\w.])"
    return re.compile(rf"(?<![\w$#.:/-])(?P<num>{number})(?P<den>{denominator})?(?![\w:]|[./-]\d)")


def _value(token: str, rules: TriageRules) -> int:
    if token in rules.numbers:
        return rules.numbers[token]
    value = int(float(token) + 0.5)  # 7.5 reads as 8: round toward concern
    return 10 if 10 < value <= _OVER_TOP else value


@functools.lru_cache(maxsize=16)
def _spoken_regexes(
    rules: TriageRules,
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    words = "|".join(sorted(map(re.escape, rules.numbers), key=len, reverse=True))
    number = r"\d{1,2}" + (f"|{words}" if words else "")
    ish = re.compile(rf"(?<!\w)({words or '(?!)'})\s?ish(?!\w)")
    correction = re.compile(rf"(?<![\w.])(?:{number})\s*{_CORRECTION}(?P<last>{number})(?![\w.])")
    # "cinco o seis", "one or two": a range in words, read like "5 or 6" (the higher number).
    word = words or "(?!)"
    spoken_range = re.compile(
        rf"(?<![\w.])(?P<low>{word})\s*(?:-|to|or|o|u|ou|,)\s*(?P<high>{word})(?![\w.])"
    )
    return ish, correction, spoken_range


def _spoken(text: str, rules: TriageRules) -> str:
    """Read "sevenish" as "seven" and a corrected rating ("5, no, 6") as its last number."""
    ish, correction, spoken_range = _spoken_regexes(rules)
    text = _NUMBER_ALONE.sub("", ish.sub(r"\1", text))

    def in_digits(m: re.Match[str]) -> str:
        low, high = rules.numbers[m.group("low")], rules.numbers[m.group("high")]
        return f"{low} or {high}" if 0 < high - low <= 3 else m.group(0)

    text = spoken_range.sub(in_digits, text)
    return correction.sub(lambda m: m.group("last"), text)


def _ends_with(regex: re.Pattern[str], text: str) -> bool:
    tail = text[-24:].rstrip()
    return any(m.end() == len(tail) for m in regex.finditer(tail))


def _collapse_ranges(text: str) -> str:
    """Read "7-8", "7 or 8" and "from 3 to 8" as their higher or final number."""

    def higher(m: re.Match[str]) -> str:
        low, high = int(m.group(1)), int(m.group(2))
        return m.group(2) if high <= 10 and 0 < high - low <= 3 else m.group(0)

    text = _ISH.sub("", text)
    text = _FROM_TO.sub(lambda m: m.group(3), text)
    return _RANGE.sub(higher, text)


def find_numbers(text: str, rules: TriageRules, *, after_at: bool = False) -> list[Number]:
    """Return every number 0-10 in matching-form text that is not a time, date or count.

    after_at keeps numbers after "at"/"by" ("cravings are at 8"); clock times still drop out.
    """
    found = []
    for m in _number_regex(rules).finditer(text):
        value = _value(m.group("num"), rules)
        if not 0 <= value <= 10:
            continue
        if not m.group("den"):
            before = text[: m.start()]
            if _ends_with(rules.phrases["time_before"], before) and not (
                after_at and _AT.search(before)
            ):
                continue
            if rules.phrases["count_after"].match(text[m.end() :].lstrip()):
                continue
        found.append(Number(m.start(), m.end(), value, bool(m.group("den"))))
    return found


def _near_craving_word(text: str, numbers: list[Number], rules: TriageRules) -> int | None:
    best: tuple[int, int] | None = None  # (distance, value); a number after the word wins ties
    for word in rules.phrases["craving_words"].finditer(text):
        for n in numbers:
            if 0 <= n.start - word.end() <= _AFTER_WORD:
                key = (n.start - word.end(), n.value)
            elif 0 <= word.start() - n.end <= _BEFORE_WORD:
                key = (word.start() - n.end + 1, n.value)
            else:
                continue
            if best is None or key < best:
                best = key
    return None if best is None else best[1]


def _zero_answer(text: str, rules: TriageRules) -> bool:
    first_clause = text.split(" ,", 1)[0]
    if len(first_clause.split()) > _MAX_ZERO_ANSWER_WORDS:
        return False
    return bool(rules.phrases["zero_answer"].search(first_clause))


def craving_in(prepared: Prepared, rules: TriageRules, *, expect_craving: bool) -> int | None:
    """Return the craving rating 0-10 in a prepared reply, or None."""
    for variant in prepared.variants:
        text = _collapse_ranges(_spoken(variant, rules))
        near = _near_craving_word(text, find_numbers(text, rules, after_at=True), rules)
        if near is not None:
            return near
        if rules.phrases["no_craving"].search(text):
            return 0
        if not expect_craving:
            continue
        numbers = find_numbers(text, rules)
        if numbers:
            rated = [n for n in numbers if n.out_of_ten]
            now = _NOW.search(text)
            if not rated and len(numbers) > 1 and now is not None:
                return next((n.value for n in numbers if n.start == now.start(1)), numbers[0].value)
            return (rated or numbers)[0].value
        if _zero_answer(text, rules):
            return 0
    if expect_craving and contains(rules.phrases["no_craving"], prepared):
        return 0
    return None


def mood_number_in(prepared: Prepared, rules: TriageRules) -> int | None:
    """Return the first number 1-5 in a prepared reply (the mood question is open), or None."""
    for variant in prepared.variants:
        for n in find_numbers(_collapse_ranges(variant), rules):
            if 1 <= n.value <= 5 and not n.out_of_ten:
                return n.value
    return None
