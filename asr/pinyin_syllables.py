"""Pinyin syllables for the Hanzi converter: grouping the model's initial/final tokens into
syllables, splitting tone marks off finals, and the "fuzzy" keys that tolerate common confusions.

A syllable is ``(initial, final, tone)``: ``("sh", "e", 4)`` for "sh è", ``("", "ai", 4)`` for a
bare final "ài", tone 5 for the neutral tone. Initials follow pypinyin ``Style.INITIALS`` with
``strict=False`` (y and w count as initials) and finals ``Style.FINALS_TONE`` with
``strict=False`` ("ué" after j/q/x/y, "ǜ" after l/n).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

INITIALS = frozenset(
    ["b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
     "zh", "ch", "sh", "r", "z", "c", "s", "y", "w"]
)
_TONE_MARKS = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}
# Initials and finals that recognisers (and many speakers) confuse; each maps to one key.
_FUZZY_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "n": "l"}
_FUZZY_FINALS = {"ing": "in", "eng": "en", "ueng": "uen"}
# Further pairs a recogniser slips between (one articulatory feature apart), tried at a cost.
_CONFUSABLE_INITIALS = (
    "b p", "b m", "d t", "d n", "g k", "j q", "q x", "j x", "z c", "c s", "z s", "f h", "l r",
    "zh ch", "ch sh", "zh sh", "z d", "n y", "l y",
)
_CONFUSABLE_FINALS = (
    "an ang", "ian iang", "uan uang", "eng ong", "en ong", "in ian", "i in", "i ing", "i ie",
    "ie ian", "u ou", "u uo", "ao ou", "ai an", "ai ei", "i e", "e uo", "ing ian", "un en",
    "a ai",
)


@dataclass(frozen=True)
class Syllable:
    initial: str
    final: str  # toneless, "ü" kept as written
    tone: int  # 1-4, 5 = neutral

    @property
    def fuzzy(self) -> str:
        """Tone-free key with confusable initials and finals merged."""
        initial = _FUZZY_INITIALS.get(self.initial, self.initial)
        return initial + _FUZZY_FINALS.get(self.final, self.final)

    def __str__(self) -> str:
        return f"{self.initial}{self.final}{self.tone}"


@dataclass(frozen=True)
class Unit:
    """One unit of converter input: a syllable, or a spelled Latin letter."""

    syllable: Syllable | None = None
    letter: str = ""


def _pair_map(pairs: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for pair in pairs:
        a, b = pair.split()
        table.setdefault(a, []).append(b)
        table.setdefault(b, []).append(a)
    return {key: tuple(values) for key, values in table.items()}


_INITIAL_NEIGHBOURS = _pair_map(_CONFUSABLE_INITIALS)
_FINAL_NEIGHBOURS = _pair_map(_CONFUSABLE_FINALS)


@functools.lru_cache(maxsize=4096)
def neighbours(syllable: Syllable) -> tuple[Syllable, ...]:
    """Syllables one confusable initial or final away, same tone, with a different fuzzy key.
    Not every one is a real syllable: lookups of impossible ones simply find nothing."""
    out = [Syllable(i, syllable.final, syllable.tone)
           for i in _INITIAL_NEIGHBOURS.get(syllable.initial, ())]
    out += [Syllable(syllable.initial, f, syllable.tone)
            for f in _FINAL_NEIGHBOURS.get(syllable.final, ())]
    return tuple({s.fuzzy: s for s in out if s.fuzzy != syllable.fuzzy}.values())


def split_final(final: str) -> tuple[str, int]:
    """"ìng" -> ("ing", 4); "ǜ" -> ("ü", 4); "en" -> ("en", 5)."""
    tone = 5
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", final):
        mark = _TONE_MARKS.get(char)
        if mark is None:
            kept.append(char)
        else:
            tone = mark
    return unicodedata.normalize("NFC", "".join(kept)), tone


def is_final(token: str) -> bool:
    """A final token: lower-case pinyin letters (ü included) with at most a tone mark."""
    if not token or token in INITIALS:
        return False
    base, _ = split_final(token)
    return bool(base) and all(c in "aeiouüvnrgm" for c in base) and base[0] in "aeiouüvnm"


def is_letter(token: str) -> bool:
    return len(token) == 1 and "A" <= token <= "Z"


def group_units(tokens: str) -> list[Unit]:
    """Group model tokens into syllables and letters. Never raises: an initial without a final,
    or a token that is neither initial, final nor letter, is dropped."""
    units: list[Unit] = []
    pending_initial = ""
    for token in tokens.split():
        if token in INITIALS:
            pending_initial = token  # a second initial replaces a dangling first one
        elif is_final(token):
            final, tone = split_final(token)
            units.append(Unit(syllable=Syllable(pending_initial, final, tone)))
            pending_initial = ""
        else:
            pending_initial = ""
            if is_letter(token):
                units.append(Unit(letter=token))
    return units


def syllable_from_pinyin(initial: str, final_tone: str) -> Syllable | None:
    """A lexicon syllable from pypinyin's INITIALS and FINALS_TONE (strict=False) outputs."""
    final, tone = split_final(final_tone)
    if not final or not is_final(final):
        return None
    return Syllable(initial if initial in INITIALS else "", final, tone)


def encode_reading(syllables: list[Syllable]) -> str:
    """Compact text form of a reading: "sh,e,4 d,ing,4"."""
    return " ".join(f"{s.initial},{s.final},{s.tone}" for s in syllables)


def decode_reading(text: str) -> tuple[Syllable, ...]:
    out: list[Syllable] = []
    for part in text.split():
        initial, final, tone = part.split(",")
        out.append(Syllable(initial, final, int(tone)))
    return tuple(out)
