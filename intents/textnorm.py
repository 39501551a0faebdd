"""Text as the matcher compares it: normalised characters, and toneless pinyin syllables.

- ``normalize``: NFKC, lower case, no spaces or punctuation (``%``, ``.`` and ``-`` stay for
  numbers), with a map from each kept character back to the original text.
- ``strip_words``: the same with skip words (请, 帮我, 一下…) removed.
- Readings: every character is one token; a Han character's tokens are its toneless readings
  (pypinyin, all of them for polyphones), anything else stands for itself. The fuzzy key merges
  what recognisers and accents confuse: zh/z, ch/c, sh/s, n/l, ing/in, eng/en.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_KEEP = frozenset("%.-")
_FUZZY_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "n": "l"}
_FUZZY_FINALS = {"ing": "in", "eng": "en"}


@dataclass(frozen=True)
class Mapped:
    """Normalised text and, for each of its characters, the index in the original text."""

    text: str
    origin: tuple[int, ...]

    def original_span(self, original: str, start: int, end: int) -> str:
        if start >= end:
            return ""
        return original[self.origin[start]: self.origin[end - 1] + 1]


def _kept(c: str) -> bool:
    category = unicodedata.category(c)
    if category[0] in "ZC":
        return False
    return category[0] != "P" or c in _KEEP


@lru_cache(maxsize=65536)
def _normal_char(c: str) -> str:
    """The kept characters one character normalises to."""
    return "".join(d for d in unicodedata.normalize("NFKC", c).lower() if _kept(d))


def normalize(text: str) -> Mapped:
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        for d in _normal_char(c):  # private-use characters (category Co) are dropped
            chars.append(d)
            origin.append(i)
    return Mapped("".join(chars), tuple(origin))


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    return normalize(text).text


@lru_cache(maxsize=64)
def skip_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    keys = sorted({norm(w) for w in words if norm(w)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys))) if keys else None


def strip_words(mapped: Mapped, words: tuple[str, ...]) -> Mapped:
    """``mapped`` without the skip words (longest first, wherever they occur)."""
    pattern = skip_pattern(words)
    if pattern is None:
        return mapped
    keep = [True] * len(mapped.text)
    for m in pattern.finditer(mapped.text):
        for i in range(m.start(), m.end()):
            keep[i] = False
    if all(keep):
        return mapped
    return Mapped("".join(c for c, k in zip(mapped.text, keep, strict=True) if k),
                  tuple(o for o, k in zip(mapped.origin, keep, strict=True) if k))


@lru_cache(maxsize=65536)
def strip_text(text: str, words: tuple[str, ...]) -> str:
    return strip_words(normalize(text), words).text


def _is_han(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or c == "〇"


@lru_cache(maxsize=1)
def _reading_table() -> dict[str, str] | None:
    """pypinyin's character table (code point → toned readings), read without importing
    pypinyin (whose phrase tables take a third of a second to load); None if not found."""
    spec = importlib.util.find_spec("pypinyin")
    path = Path(spec.origin).parent / "pinyin_dict.json" if spec and spec.origin else None
    if path is None or not path.is_file():
        return None
    table = json.loads(path.read_text(encoding="utf-8"))
    return table if isinstance(table, dict) else None


def _toneless(reading: str) -> str:
    """lǘ → lv, ê̄ → ê, zhāng → zhang (as pypinyin's ``Style.NORMAL``)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    decomposed = decomposed.replace("e\u0302", "ê")
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@lru_cache(maxsize=65536)
def readings(c: str) -> tuple[str, ...]:
    """Toneless readings of one character, the usual one first."""
    if not _is_han(c):
        return (c,)
    table = _reading_table()
    if table is not None:
        toned = table.get(str(ord(c)))
        options = tuple(dict.fromkeys(_toneless(r) for r in toned.split(",") if r)) \
            if toned else ()
        return options or (c,)
    from pypinyin import Style, pinyin

    found = pinyin(c, style=Style.NORMAL, heteronym=True, errors="ignore")
    options = tuple(dict.fromkeys(r for r in (found[0] if found else []) if r))
    return options or (c,)


@lru_cache(maxsize=4096)
def fuzzy(syllable: str) -> str:
    """The syllable's fuzzy key (zhang → zan, ning → lin)."""
    initial = syllable[:2] if syllable[:2] in ("zh", "ch", "sh") else syllable[:1]
    if initial not in _FUZZY_INITIALS and initial not in "bpmfdtlgkhjqxrzcsyw":
        initial = ""
    final = syllable[len(initial):]
    return _FUZZY_INITIALS.get(initial, initial) + _FUZZY_FINALS.get(final, final)


# Each syllable is written as one private-use character (a "token"), so pinyin text is a plain
# string with one character per syllable: patterns stay small and spans need no mapping.
_TOKEN_BASE = 0xF0000
_TOKENS: dict[str, str] = {}
_SYLLABLES: dict[str, str] = {}


def token(syllable: str) -> str:
    found = _TOKENS.get(syllable)
    if found is None:
        found = _TOKENS[syllable] = chr(_TOKEN_BASE + len(_TOKENS))
        _SYLLABLES[found] = syllable
    return found


def syllable_of(tok: str) -> str:
    """The syllable a token stands for (a character that is not a token stands for itself)."""
    return _SYLLABLES.get(tok, tok)


@lru_cache(maxsize=65536)
def token_readings(c: str) -> tuple[str, ...]:
    """The tokens of a character's readings, the usual one first."""
    return tuple(token(r) for r in readings(c)) if _is_han(c) else (c,)


@lru_cache(maxsize=8192)
def fuzzy_token(tok: str) -> str:
    return token(fuzzy(_SYLLABLES[tok])) if tok in _SYLLABLES else tok


def pinyin_text(text: str) -> str:
    """One token per character: the usual reading of Han characters, others unchanged."""
    return "".join(token_readings(c)[0] for c in text)


def fuzzy_text(tokens: str) -> str:
    return "".join(fuzzy_token(t) for t in tokens)


def reading_combos(text: str, limit: int = 4) -> list[str]:
    """Token strings of a whole word: the usual reading first, then polyphone variants."""
    combos = [""]
    for c in text:
        options = token_readings(c)
        combos = [combo + r for combo in combos for r in options][:limit]
    return combos
