"""Turn a raw SMS into the plain lowercase form the rule patterns are written against."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# Characters that change nothing a reader sees but break matching: NUL, zero-width joiners,
# bidi controls, BOM, soft hyphen and emoji variation selectors.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\x00\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u202a\u202b\u202c\u202d\u202e"
        "\u2066\u2067\u2068\u2069\ufeff\ufe0e\ufe0f",
    ),
    None,
)
_INVISIBLE[ord("\U0001f51f")] = " 10 "  # the keycap ten emoji; 0-9 keycaps keep their digit
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})

_CONTROL = re.compile(r"[\x01-\x08\x0b-\x1f\x7f]")
# "OD'd", "o.d.", "OD'ing" would otherwise become "odd" or "o d".
_OD = re.compile(r"\bo\.?d\.?'?(?:d|ed|ing|s)?\b")
_APOSTROPHE_IN_WORD = re.compile(r"(?<=\w)'(?=\w)")
# Keep decimals (7.5), times (7:30), ratings (7/10) and ranges (7-8); everything else that
# ends a clause becomes " , " so patterns never run across two clauses by accident.
_CLAUSE = re.compile(r"(?<!\d)[.:](?!\d)|[.:](?=\s|$)|[,;!?¡¿()\[\]{}\"'\u2026|]")
_SPACE_PUNCT = re.compile(r"[_*~^=<>\\]|(?<!\d)/|/(?!\d)|-(?!\d)")
_SPACES = re.compile(r"\s+")
_COMMAS = re.compile(r"(?: ,)+")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
# "i w a n t to die": three or more single letters in a row are probably one spaced-out word.
_ONE_LETTER_WORDS = frozenset("iayou")
_SPACED = re.compile(r"(?<!\w)[a-z](?: [a-z](?!\w)){2,}")
# Emoji and pictographs end a clause ("slipped 😔", "🍺🍺 drunk"); they stay in the text for the
# emoji lists, set off by clause marks.
_EMOJI = re.compile("[\u2190-\u21ff\u2300-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]+")


def _fold(text: str) -> str:
    """Lowercase, strip accents and invisible characters."""
    text = text.translate(_INVISIBLE)
    text = _CONTROL.sub(" ", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = text.translate(_QUOTES)
    return text.lower()


def basic_form(text: str) -> str:
    """Return the folded text with punctuation reduced to clause marks and single spaces."""
    text = _fold(text)
    if not text.isascii():
        text = _EMOJI.sub(lambda m: f" , {m.group(0)} , ", text)
    text = _OD.sub("od", text)
    text = _APOSTROPHE_IN_WORD.sub("", text)
    text = text.replace("&", " and ")
    text = _CLAUSE.sub(" , ", text)
    text = _SPACE_PUNCT.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _COMMAS.sub(" ,", text)
    return text


def _join_spaced(match: re.Match[str]) -> str:
    letters = match.group(0).split()
    # A leading "i", "a" or "y" is usually a word of its own: "i w a n t" is "i want".
    if letters[0] in _ONE_LETTER_WORDS and len(letters) >= 4:
        return letters[0] + " " + "".join(letters[1:])
    return "".join(letters)


def letter_variants(text: str) -> tuple[str, ...]:
    """Return the text plus readings with letter runs cut ("killl") and spaced letters joined."""
    variants = [text]
    if _SPACED.search(text):
        variants.append(_SPACED.sub(_join_spaced, text))
    if _LONG_RUN.search(text):
        variants = [_LONG_RUN.sub(r"\1\1", v) for v in variants] + [
            _LONG_RUN.sub(r"\1", v) for v in variants
        ]
    return tuple(dict.fromkeys(variants))


_TOKEN = re.compile(r"[a-z]{5,14}")


def fuzzy_fix(text: str, index: Mapping[str, str], keep: frozenset[str]) -> str:
    """Rewrite words one typo away from a key word ("suicdal", "overdsed") to the key word.

    index maps each key word and each of its one-letter deletions to the key word, so a word
    matches when it, or one of its own one-letter deletions, is in the index: that covers one
    missing, extra, wrong or swapped letter. Words in keep (real words near a key word, and the
    key words themselves) are left alone.
    """

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in keep:
            return word
        hit = index.get(word)
        if hit is None:
            for i in range(len(word)):
                hit = index.get(word[:i] + word[i + 1 :])
                if hit is not None:
                    break
        return hit or word

    return _TOKEN.sub(fix, text)


_RUN_TOGETHER = re.compile(r"[a-z]{6,40}")


def split_run_together(
    text: str, words: frozenset[str], longest: int, skip: Mapping[str, str] | frozenset[str] = ()
) -> str:
    """Split words typed without spaces ("iwanttodie", "usedagain") into known words.

    A word is split only when it is not itself one of `words` and the whole of it is a
    sequence of two or more of them (the fewest pieces win), none of one letter except a
    leading "i" or "u", at least one of four letters or more ("friend" is not "fr i end",
    "weather" is not "we at her"); otherwise it is left alone.
    """
    if not words:
        return text

    def split(word: str) -> str | None:
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[n] = []
        for i in range(n - 1, -1, -1):
            for j in range(min(n, i + longest), i, -1):
                rest = best[j]
                if (
                    rest is not None
                    and word[i:j] in words
                    and (
                        best[i] is None or len(rest) + 1 < len(best[i])  # type: ignore[arg-type]
                    )
                ):
                    best[i] = [word[i:j], *rest]
        pieces = best[0]
        if not pieces or len(pieces) < 2 or max(map(len, pieces)) < 4:  # noqa: PLR2004
            return None
        if any(len(p) == 1 and (k or p not in "iu") for k, p in enumerate(pieces)):
            return None
        return " ".join(pieces)

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in words or word in skip:
            return word
        return split(word) or word

    return _RUN_TOGETHER.sub(fix, text)
