"""Find the plain strings a pattern cannot match without, to skip patterns a text cannot meet.

`required(pattern)` reads a pattern (its own small reader of the regex syntax the rules use;
only the public `re` API is used) and returns a set of strings such that every text the pattern
matches contains at least one of them, or None when it cannot tell. `prefilter(...)` indexes
many patterns by those strings: for a text, only the patterns whose strings occur in it are
run, and the answer is the same as searching the text with all of them.

Anything the reader does not know (a backreference, a flag, an escape it has no meaning for)
makes the answer None, never a guess: a prefilter may let through texts the patterns then
reject, but it must never hold back a text a pattern matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Largest set of strings kept for one part of a pattern ("(a|b) (c|d)" is 4 strings); past it
# the part only requires what its pieces require.
_MOST = 12
# Longest string a prefilter looks for: a longer one is cut, as finding its start is enough.
_LONGEST = 6
_QUANTIFIER = re.compile(r"\{(\d*)(,?)(\d*)\}")
_ZERO_WIDTH = frozenset("bBAZ")
# Characters that stand for themselves (everything but the syntax this reader knows).
_PLAIN = re.compile(r"[^\\()\[\]{}|?*+.^$]+")
_WORDS = re.compile(r"([^\\()\[\]{}?*+.^$]*)\)")
_SPECIAL = frozenset("wWsSdD")


class _Unknown(Exception):
    """A construct the reader does not vouch for: the pattern gets no requirement."""


@dataclass(frozen=True)
class _Info:
    """What one part of a pattern matches.

    exact: every match is one of these strings (None: too many or unknown).
    need: every match contains one of these strings (None: nothing is required).
    """

    exact: frozenset[str] | None
    need: frozenset[str] | None


_ANY = _Info(None, None)
_EMPTY = _Info(frozenset({""}), None)


def _best(*options: frozenset[str] | None) -> frozenset[str] | None:
    """The most selective requirement: its shortest string longest, then the fewest strings."""
    best, score = None, (0, 0)
    for option in options:
        if option and "" not in option:
            here = (min(map(len, option)), -len(option))
            if best is None or here > score:
                best, score = option, here
    return best


def _need(info: _Info) -> frozenset[str] | None:
    return _best(info.need, info.exact)


def _product(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _MOST:
        return None
    return frozenset(a + b for a in left for b in right)


def _sequence(parts: list[_Info]) -> _Info:
    """A concatenation: the strings of runs of exactly known parts, or a part's requirement."""
    options: list[frozenset[str] | None] = [p.need for p in parts]
    run: frozenset[str] | None = frozenset({""})
    whole: frozenset[str] | None = frozenset({""})
    for part in parts:
        whole = _product(whole, part.exact) if whole is not None and part.exact else None
        if part.exact is None:
            options.append(run)
            run = frozenset({""})
            continue
        joined = _product(run, part.exact) if run is not None else None
        if joined is None:  # too many: keep what the run had, start again from this part
            options.append(run)
            joined = part.exact
        run = joined
    options.append(run)
    return _Info(whole, _best(*options))


def _either(branches: list[_Info]) -> _Info:
    """An alternation: a match of any branch, so each branch must bring a requirement."""
    exact: frozenset[str] | None = frozenset()
    for branch in branches:
        if exact is None or branch.exact is None or len(exact) + len(branch.exact) > _MOST:
            exact = None
            break
        exact |= branch.exact
    needs = [_need(b) for b in branches]
    need = None if any(n is None for n in needs) else frozenset().union(*needs)
    return _Info(exact, need)


def _repeat(child: _Info, low: int, high: int | None) -> _Info:
    """child{low,high} (high None: no limit): the strings of each count, while few."""
    if child.exact == _EMPTY.exact:  # a repeated lookaround or empty group: still empty
        return _EMPTY
    exact: frozenset[str] | None = None
    if child.exact is not None and high is not None:
        exact, power = frozenset(), frozenset({""})
        for count in range(high + 1):
            if count >= low:
                exact = exact | power
            if len(exact) > _MOST:
                exact = None
                break
            if count < high:
                power = _product(power, child.exact)
                if power is None:
                    exact = None
                    break
    return _Info(exact, _need(child) if low >= 1 else None)


class _Reader:
    def __init__(self, pattern: str) -> None:
        self.text, self.at = pattern, 0

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        if not ch:
            raise _Unknown("unexpected end")
        self.at += 1
        return ch

    def alternation(self) -> _Info:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.at += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else _either(branches)

    def sequence(self) -> _Info:
        parts = []
        while self.peek() not in ("", "|", ")"):
            plain = _PLAIN.match(self.text, self.at)
            if plain is not None and plain.end() - plain.start() > 1:
                # A run of plain characters is one string (a repeat binds its last character).
                end = plain.end()
                if self.text[end : end + 1] in ("?", "*", "+", "{"):
                    end -= 1
                parts.append(_Info(frozenset({self.text[self.at : end]}), None))
                self.at = end
                continue
            atom = self.atom()
            parts.append(self.quantified(atom))
        return _sequence(parts)

    def quantified(self, atom: _Info) -> _Info:
        ch = self.peek()
        if ch in ("?", "*", "+"):
            self.at += 1
            low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}[ch]
        elif ch == "{":
            m = _QUANTIFIER.match(self.text, self.at)
            if m is None or m.group(0) == "{}":
                raise _Unknown("a brace that is not a repeat count")
            self.at = m.end()
            low = int(m.group(1) or 0)
            high = None if m.group(2) and not m.group(3) else int(m.group(3) or m.group(1) or 0)
            if high is not None and high < low:
                raise _Unknown("bad repeat count")
        else:
            return atom
        if self.peek() in ("?", "+"):  # lazy or possessive: the same strings, tried otherwise
            self.at += 1
        if self.peek() in ("?", "*", "+", "{"):
            raise _Unknown("repeat of a repeat")
        return _repeat(atom, low, high)

    def atom(self) -> _Info:
        ch = self.take()
        if ch == "(":
            return self.group()
        if ch == "[":
            return self.char_class()
        if ch == "\\":
            return self.escape()
        if ch in ("^", "$"):
            return _EMPTY
        if ch == ".":
            return _ANY
        if ch in ("?", "*", "+", "{", "}", "]"):
            raise _Unknown(f"{ch!r} where a character was expected")
        return _Info(frozenset({ch}), None)

    def group(self) -> _Info:
        lookaround = False
        if self.peek() == "?":
            self.at += 1
            if self.peek() == ":":
                self.at += 1
            elif self.peek() in ("=", "!"):
                self.at += 1
                lookaround = True
            elif self.text.startswith(("<=", "<!"), self.at):
                self.at += 2
                lookaround = True
            else:  # named groups, references, flags, conditionals, comments
                raise _Unknown("a group kind the reader does not read")
        words = None if lookaround else _WORDS.match(self.text, self.at)
        if words is not None:  # (a|b|c) of plain words, as word classes are: read at once
            self.at = words.end()
            found = frozenset(words.group(1).split("|"))
            return _Info(found if len(found) <= _MOST else None, None if "" in found else found)
        inner = self.alternation()
        if self.take() != ")":
            raise _Unknown("unclosed group")
        # A lookaround consumes nothing; what it asks of the text is not required here.
        return _EMPTY if lookaround else inner

    def escape(self) -> _Info:
        ch = self.take()
        if ch in _ZERO_WIDTH:
            return _EMPTY
        if ch in _SPECIAL:
            return _ANY
        if ch.isalnum():  # references, \n, \x41, \N{...}: not worth reading
            raise _Unknown(f"escape \\{ch}")
        return _Info(frozenset({ch}), None)

    def char_class(self) -> _Info:
        chars: set[str] = set()
        if self.peek() == "^":
            self.at += 1
            negated = True
        else:
            negated = False
        first = True
        while True:
            ch = self.take()
            if ch == "]" and not first:
                break
            first = False
            if ch == "\\":
                ch = self.take()
                if ch in _SPECIAL:
                    negated = True  # too wide to list: read as unknown below
                    continue
                if ch.isalnum():
                    raise _Unknown(f"escape \\{ch} in a class")
            if ch == "[" and self.peek() in (":", "=", "."):
                raise _Unknown("a class within a class")
            if self.peek() == "-" and self.text[self.at + 1 : self.at + 2] not in ("]", ""):
                self.at += 1
                end = self.take()
                if end == "\\":
                    raise _Unknown("escaped end of a range")
                if ord(end) < ord(ch) or ord(end) - ord(ch) > _MOST:
                    negated = True
                    continue
                chars.update(map(chr, range(ord(ch), ord(end) + 1)))
            else:
                chars.add(ch)
        if negated or not chars or len(chars) > _MOST:
            return _ANY
        return _Info(frozenset(chars), None)


def required(pattern: str) -> frozenset[str] | None:
    """Strings one of which every match of pattern contains, or None when none can be named."""
    reader = _Reader(pattern)
    try:
        info = reader.alternation()
        if reader.at != len(pattern):
            raise _Unknown("unbalanced parenthesis")
    except _Unknown:
        return None
    return _need(info)


def _cover(strings: Iterable[str]) -> dict[str, str]:
    """Map each string to the one looked for in its place: cut to its first _LONGEST
    characters, and to a shorter string it starts with, if any (finding that is enough).

    No string looked for starts with another, so at most one of them starts at any place.
    """
    strings = set(strings)
    out: dict[str, str] = {}
    last = None
    for s in sorted({s[:_LONGEST] for s in strings}):
        if last is None or not s.startswith(last):
            last = s
        out[s] = last
    return {s: out[s[:_LONGEST]] for s in strings}


def _trie(strings: list[str]) -> str:
    """A regex source matching exactly the strings, shaped as a trie (the engine tries one
    branch per next character rather than every string at every place)."""
    if not strings or strings == [""]:
        return ""
    heads: dict[str, list[str]] = {}
    for s in strings:
        heads.setdefault(s[:1], []).append(s[1:])
    branches = [re.escape(head) + _trie(tails) for head, tails in heads.items()]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


class _Finder:
    """Finds in one pass which looked-for strings start somewhere in a text (for every
    prefilter of a rule set at once), remembering the last few texts asked about."""

    _REMEMBER = 8  # a text's few spellings, asked about by each category in turn

    def __init__(self, strings: Iterable[str]) -> None:
        # A lookahead finds every place a string starts, even inside another one found.
        self._regex = re.compile("(?=(" + _trie(sorted(strings)) + "))")
        self._recent: dict[str, frozenset[str]] = {}

    def found(self, text: str) -> frozenset[str]:
        found = self._recent.get(text)
        if found is None:
            if len(self._recent) >= self._REMEMBER:
                self._recent.clear()
            found = self._recent[text] = frozenset(self._regex.findall(text))
        return found


class Prefilter:
    """Search for any of many patterns by trying only those whose required strings are in
    the text: `search(text)` is true exactly when one of the patterns matches text."""

    def __init__(
        self, sources: tuple[str, ...], owners: dict[str, tuple[int, ...]], finder: _Finder
    ) -> None:
        self._sources = sources
        self._owners = owners
        self._keys = frozenset(owners)
        self._finder = finder
        self._compiled: dict[int, re.Pattern[str]] = {}

    def candidates(self, text: str) -> list[int]:
        """The indexes (in order) of the patterns whose required strings occur in text."""
        found = self._finder.found(text) & self._keys
        if not found:
            return []
        owners = self._owners
        return sorted({i for s in found for i in owners[s]})

    def search(self, text: str) -> bool:
        """Whether any of the patterns matches somewhere in text."""
        for i in self.candidates(text):
            regex = self._compiled.get(i)
            if regex is None:  # compiled on first need: most patterns rarely are
                regex = self._compiled[i] = re.compile(self._sources[i])
            if regex.search(text):
                return True
        return False


Patterns = Iterable[tuple[str, frozenset[str] | None]]


def prefilters(groups: Iterable[Patterns]) -> list[Prefilter | None]:
    """One Prefilter per group of (source, required strings) pairs, all sharing one pass over
    a text; None for a group where some pattern requires nothing nameable (every text must go
    to that group's patterns) or that has no pattern."""
    kept: list[tuple[tuple[str, ...], list[frozenset[str]]] | None] = []
    for group in groups:
        sources, needs = [], []
        for source, need in group:
            if not need or "" in need:
                break
            sources.append(source)
            needs.append(need)
        else:
            kept.append((tuple(sources), needs) if sources else None)
            continue
        kept.append(None)
    cover = _cover(s for entry in kept if entry for need in entry[1] for s in need)
    finder = _Finder(set(cover.values()))
    out: list[Prefilter | None] = []
    for entry in kept:
        if entry is None:
            out.append(None)
            continue
        sources, needs = entry
        owners: dict[str, list[int]] = {}
        for i, need in enumerate(needs):
            for s in need:
                owners.setdefault(cover[s], []).append(i)
        ids = {s: tuple(dict.fromkeys(found)) for s, found in owners.items()}
        out.append(Prefilter(sources, ids, finder))
    return out


def prefilter(patterns: Patterns) -> Prefilter | None:
    """A Prefilter over one group of (source, required strings) pairs (see prefilters)."""
    return prefilters([patterns])[0]
