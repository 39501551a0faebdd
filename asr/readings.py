"""Readings of written Chinese as the model's tokens, with the variants speech produces.

Each syllable of a phrase becomes a list of alternative token pairs (initial, final): the reading
pypinyin picks in context first, then the other readings of a polyphone, then tone sandhi
(一 yí/yì, 不 bú, a third tone before a third tone read as second) and the neutral tone. Latin
letters become the model's A-Z tokens. Used by keyword spotting and grammar compilation.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from asr.errors import LingyinError

_TONES = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}
_MARKS = {1: "\u0304", 2: "\u0301", 3: "\u030c", 4: "\u0300"}
_SANDHI = {"一": ("yī", "yí", "yì"), "不": ("bù", "bú")}
Option = tuple[str, ...]  # the tokens of one reading of one unit: ("sh", "ì") or ("A",)


class ReadingError(LingyinError):
    """Text that the model's tokens cannot express."""


@dataclass(frozen=True)
class Unit:
    """One syllable or letter of a phrase: its alternative readings, the usual one first."""

    char: str
    options: tuple[Option, ...]
    word: bool = False  # an English word: no reading the model's tokens can spell


def tone_of(final: str) -> int:
    for char in unicodedata.normalize("NFD", final):
        if char in _TONES:
            return _TONES[char]
    return 5


@functools.lru_cache(maxsize=4096)
def with_tone(final: str, tone: int) -> str:
    """The final with its tone mark replaced (tone 5: no mark, the neutral tone)."""
    bare = unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", final) if c not in _TONES))
    if tone == 5:
        return bare
    for vowel in ("a", "e", "o"):
        if vowel in bare:
            return unicodedata.normalize("NFC", bare.replace(vowel, vowel + _MARKS[tone], 1))
    if "iu" in bare or "ui" in bare:  # the mark sits on the second vowel
        index = max(bare.find("iu"), bare.find("ui")) + 1
    else:
        index = max(bare.rfind(v) for v in "iuüv")
    if index < 0:
        return unicodedata.normalize("NFC", bare)
    return unicodedata.normalize("NFC", bare[: index + 1] + _MARKS[tone] + bare[index + 1 :])


def _split(syllable_initial: str, syllable_final: str) -> Option:
    return (syllable_initial, syllable_final) if syllable_initial else (syllable_final,)


@functools.lru_cache(maxsize=16384)
def _heteronyms(char: str) -> tuple[Option, ...]:
    """Every reading pypinyin knows for one character (cached: compiling long lists)."""
    from pypinyin import Style, pinyin

    syllables = pinyin(char, style=Style.TONE, strict=False, heteronym=True)[0]
    return tuple(_split(*split_syllable(s)) for s in syllables)


@functools.lru_cache(maxsize=16384)
def _char_options(char: str, initial: str, final: str, neutral: bool,
                  heteronyms: tuple[Option, ...]) -> tuple[Option, ...]:
    options = [_split(initial, final), *heteronyms]
    if char in _SANDHI:
        options.extend(_split(initial, final[:0] + s[1:]) for s in _SANDHI[char])
    if neutral:
        options.append(_split(initial, with_tone(final, 5)))
    return tuple(options)


_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q",
             "x", "r", "z", "c", "s", "y", "w")


def split_syllable(syllable: str) -> tuple[str, str]:
    """"zhōng" → ("zh", "ōng"); "ér" → ("", "ér") (y and w count as initials)."""
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return initial, syllable[len(initial):]
    return "", syllable


@functools.cache
def _phrases_dict() -> dict[str, list[list[str]]]:
    """pypinyin's phrase dictionary, imported once: an import statement run per phrase costs an
    import-hook call each time (PySide installs one), thousands of them per grammar."""
    from pypinyin.constants import PHRASES_DICT

    return PHRASES_DICT


def _contextual(hanzi: str) -> list[tuple[str, str]]:
    """(initial, final) per character: readings of the longest words of pypinyin's phrase
    dictionary found left to right (context picks a polyphone's reading), each remaining
    character's usual reading."""
    PHRASES_DICT = _phrases_dict()

    out: list[tuple[str, str]] = []
    index = 0
    while index < len(hanzi):
        for stop in range(min(len(hanzi), index + 8), index + 1, -1):
            readings = PHRASES_DICT.get(hanzi[index:stop])
            if readings is not None and len(readings) == stop - index:
                out.extend(split_syllable(r[0]) for r in readings)
                index = stop
                break
        else:
            usual = _heteronyms(hanzi[index])[0]
            out.append((usual[0], usual[1]) if len(usual) == 2 else ("", usual[0]))
            index += 1
    return out


def han_characters(text: str) -> str:
    """The characters of ``text`` that have pinyin readings here (CJK unified ideographs)."""
    return "".join(c for c in text if "\u4e00" <= c <= "\u9fff")


@dataclass(frozen=True)
class TextReadings:
    """What pypinyin says of the Han characters of one text (``han_characters``), in order:
    each one's reading in context as (initial, final), and every reading it has. This is all
    ``phrase_units`` needs from pypinyin, so it can be cached as data (asr/readings_cache.py)."""

    contextual: tuple[tuple[str, str], ...]
    heteronyms: tuple[tuple[Option, ...], ...]


def pinyin_readings(text: str) -> TextReadings:
    """The readings of ``text`` from pypinyin (imported here: a third of a second, ~55 MB)."""
    hanzi = han_characters(text)
    if not hanzi:
        return TextReadings((), ())
    return TextReadings(tuple(_contextual(hanzi)), tuple(_heteronyms(c) for c in hanzi))


# How Mandarin speakers name spelled Latin letters, as the model's tokens: the letter token
# itself comes first; these readings are the alternatives (first tone; tones are tolerated).
LETTER_NAMES: dict[str, tuple[str, ...]] = {
    "A": ("ēi",), "B": ("b ī",), "C": ("s ēi", "x ī"), "D": ("d ī",), "E": ("y ī",),
    "F": ("ēi f u", "ài f u"), "G": ("j ī",), "H": ("ēi q i", "ài q i"), "I": ("ài",),
    "J": ("zh ēi", "j iē"), "K": ("k ēi",), "L": ("ēi l ou", "è l"), "M": ("ēi m u", "ēn"),
    "N": ("ēn",), "O": ("ōu",), "P": ("p ī",), "Q": ("k iū",), "R": ("ā", "ā er"),
    "S": ("ēi s i", "ài s i"), "T": ("t ī",), "U": ("y ōu",), "V": ("w ēi", "w ī"),
    "W": ("d ā b u l iū",), "X": ("ài k e s i", "ēi k e s i"), "Y": ("w āi",),
    "Z": ("z ēi", "z èi"),
}  # fmt: skip
_LATIN = re.compile(r"[A-Za-z]+")
_SKIP = set("，。！？、,.!?·-'\"()（）：:；;")


def _latin_units(run: str) -> list[Unit]:
    """A run of Latin letters: capitals of up to 5 letters (QQ, GPS) and any run of up to 3
    (app, uc), which Mandarin speakers spell out, are spelled letter by letter; a longer word
    is a ``word`` unit (no reading in the model's tokens)."""
    if len(run) <= 3 or (run.isupper() and len(run) <= 5):
        return [Unit(c, ((c.upper(),), *(tuple(n.split()) for n in LETTER_NAMES[c.upper()])))
                for c in run]
    return [Unit(run, (), word=True)]


def phrase_units(text: str, vocabulary: set[str] | frozenset[str],
                 neutral: bool = True, words: bool = False,
                 readings: TextReadings | None = None) -> list[Unit]:
    """Units of ``text`` with every reading the vocabulary can spell; raises ReadingError.
    ``neutral``: add each syllable's neutral tone as a reading (callers that tolerate any tone
    at search time leave it out). ``words``: allow English words, as ``word`` units without
    readings (else they are an error). ``readings``: the text's ``pinyin_readings`` when the
    caller has them (from the cache), else pypinyin is asked."""
    units: list[Unit] = []
    pieces = [p for p in re.split(r"([A-Za-z]+)", text) if p]
    found = readings if readings is not None else pinyin_readings(text)
    context = iter(zip(found.contextual, found.heteronyms, strict=True))
    for piece in pieces:
        if _LATIN.fullmatch(piece):
            for unit in _latin_units(piece):
                if unit.word and not words:
                    raise ReadingError(f"{text!r}: the model cannot spell the English word "
                                       f"{piece!r}; write it in Chinese characters or capitals")
                units.append(unit if unit.word else
                             Unit(unit.char, _usable(unit.options, vocabulary, text)))
            continue
        for char in piece:
            if char.isspace() or char in _SKIP:
                continue
            if not "\u4e00" <= char <= "\u9fff":
                raise ReadingError(f"{text!r}: cannot say {char!r} with the model's pinyin "
                                   "tokens; write numbers and symbols as Chinese words")
            (initial, final), heteronyms = next(context)
            options = _char_options(char, initial, final, neutral, heteronyms)
            units.append(Unit(char, _usable(options, vocabulary, text)))
    _third_tone_sandhi(units, vocabulary)
    return units


def _usable(options: tuple[Option, ...], vocabulary: set[str] | frozenset[str],
            text: str) -> tuple[Option, ...]:
    kept = (_spellable(options, vocabulary) if isinstance(vocabulary, frozenset)
            else _spellable.__wrapped__(options, vocabulary))
    if not kept:
        raise ReadingError(f"{text!r}: no reading of {options[0]} is in the model's tokens")
    return kept


@functools.lru_cache(maxsize=32768)
def _spellable(options: tuple[Option, ...], vocabulary: frozenset[str] | set[str]
               ) -> tuple[Option, ...]:
    """The distinct options whose tokens are all in the vocabulary (cached per vocabulary)."""
    kept: list[Option] = []
    for option in options:
        if option not in kept and all(token in vocabulary for token in option):
            kept.append(option)
    return tuple(kept)


def _third_tone_sandhi(units: list[Unit], vocabulary: set[str] | frozenset[str]) -> None:
    """A third tone before a third tone is said as a second tone (你好 → ní hǎo)."""
    for index in range(len(units) - 1):
        if units[index].word or units[index + 1].word:
            continue
        here, after = units[index].options[0], units[index + 1].options[0]
        if tone_of(here[-1]) == 3 and tone_of(after[-1]) == 3:
            variant = (*here[:-1], with_tone(here[-1], 2))
            if variant not in units[index].options and variant[-1] in vocabulary:
                units[index] = Unit(units[index].char, (*units[index].options, variant))
