"""Pinyin of Chinese names, so a roster sorts by pinyin and "hh" or "huahong" finds 华虹."""

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from pypinyin import Style, lazy_pinyin, load_phrases_dict, pinyin

# Place names pypinyin's phrase list reads wrongly: 长三角 (the Yangtze River Delta) is
# cháng, not zhǎng, so 长三角新就业产业园 sorts among the c's.
load_phrases_dict({"长三角": [["cháng"], ["sān"], ["jiǎo"]]})

# Letters and digits of a non-Chinese run ("ABC", "3M"); punctuation is dropped.
WORD = re.compile(r"[a-z0-9]+")
# What people put between syllables when they type pinyin: spaces, apostrophes, dashes.
SEPARATORS = re.compile(r"[\s'’·\-_]+")
# Longer than any name's pinyin needs; keeps a pasted essay from costing anything.
MAX_QUERY = 60


@dataclass(frozen=True)
class Spelling:
    """A name spelt in pinyin: its syllables (no tones), their initials, and every reading.

    `syllables` and `initials` are the usual reading (pypinyin's choice, phrases considered)
    and order names; `readings` adds the other readings of polyphonic characters, so the
    search finds 宏晟 by "hs" although pypinyin reads 晟 chéng first.
    """

    syllables: tuple[str, ...]
    initials: tuple[str, ...]
    readings: tuple[tuple[str, ...], ...]  # per syllable: the usual reading first

    @property
    def full(self) -> str:
        return "".join(self.syllables)

    @property
    def abbreviation(self) -> str:
        return "".join(self.initials)


def _words(run: str) -> list[str]:
    # A run that is not Chinese: each latin word or number counts as one syllable, which is
    # also its own initial (people type "abc" for ABC, not "a").
    return WORD.findall(run.lower())


def _is_syllable(item: str) -> bool:
    return item.isascii() and item.isalpha() and item.islower()


@lru_cache(maxsize=8192)
def spell(name: str) -> Spelling:
    """The pinyin of a name: full syllables, initials and all readings; latin words kept whole."""
    syllables: list[str] = []
    initials: list[str] = []
    readings: list[tuple[str, ...]] = []
    usual = lazy_pinyin(name)
    first = lazy_pinyin(name, style=Style.FIRST_LETTER)
    every = pinyin(name, style=Style.NORMAL, heteronym=True)
    # The three calls cut the name the same way, one item per Chinese character and one per
    # run of anything else; should they ever not, the usual reading alone is enough.
    if len(every) != len(usual):
        every = [[u] for u in usual]
    for whole, letter, alternatives in zip(usual, first, every, strict=True):
        if _is_syllable(whole):
            syllables.append(whole)
            initials.append(letter.lower())
            others = [r for r in alternatives if _is_syllable(r) and r != whole]
            readings.append((whole, *dict.fromkeys(others)))
            continue
        for word in _words(whole):
            syllables.append(word)
            initials.append(word)
            readings.append((word,))
    return Spelling(tuple(syllables), tuple(initials), tuple(readings))


def sort_key(name: str) -> tuple[tuple[str, ...], str]:
    """Orders names by their pinyin, as a Chinese reader expects; the name breaks ties."""
    return spell(name).syllables, name


def normalise(query: str) -> str:
    """A typed query as the matcher compares it: lower case, without separators."""
    return SEPARATORS.sub("", query.strip().lower())


def _spells(sp: Spelling, q: str, readings: tuple[tuple[str, ...], ...]) -> bool:
    """Whether q spells the syllables from some character on, each typed in full or by its
    initial, the last one possibly cut short ("hh", "huahong", "huah", "hhong" spell 华虹)."""
    # A Chinese syllable may be typed by its initial; a latin word or a number only whole.
    chinese = tuple(ini != rd[0] for ini, rd in zip(sp.initials, readings, strict=True))

    @cache
    def rest(j: int, i: int) -> bool:
        # Memoised on (position in q, syllable): linear work even for a pathological query.
        if j == len(q):
            return True
        if i == len(readings):
            return False
        tail = q[j:]
        for r in readings[i]:
            if r.startswith(tail):
                return True
            if tail.startswith(r) and rest(j + len(r), i + 1):
                return True
            if chinese[i] and tail[0] == r[0] and rest(j + 1, i + 1):
                return True
        return False

    return any(rest(0, i) for i in range(len(readings)))


USUAL = 0  # found by the usual reading of every character
OTHER = 1  # found only through another reading of a polyphonic character (越 huò, 无 mó)


def pinyin_match(name: str, query: str) -> int | None:
    """How the query spells part of the name in pinyin, from any of its characters: USUAL,
    OTHER, or None when it does not.

    Starting anywhere matters: nearly every name begins with its town (无锡…), which
    nobody types. Other readings widen the net ("hs" finds 宏晟), so their matches rank after.
    """
    q = normalise(query)[:MAX_QUERY]
    if not q or not q.isascii():
        return None
    sp = spell(name)
    if _spells(sp, q, tuple((s,) for s in sp.syllables)):
        return USUAL
    if _spells(sp, q, sp.readings):
        return OTHER
    return None


def matches_pinyin(name: str, query: str) -> bool:
    """Whether the query spells part of the name in pinyin (in any reading)."""
    return pinyin_match(name, query) is not None
