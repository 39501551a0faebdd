"""How well free decoding backs what the grammar path claims.

The grammar-constrained search is forced to a sentence of the grammar: when the model drops one
digit of a repeated run (二二二 heard as 二二), a path through an 8-digit slot still has 8 digits
and puts one somewhere else — a *different* code, accepted with confidence. Free decoding has no
such constraint, so a value it did not hear is a value to confirm, never to act on silently.
"""

from __future__ import annotations

from asr.pinyin_syllables import group_units
from intents.textnorm import fuzzy, readings

# toneless syllables read as one digit inside a digit string
DIGIT_SYLLABLES = {
    "yi": "1", "yao": "1", "er": "2", "liang": "2", "san": "3", "si": "4", "wu": "5",
    "liu": "6", "qi": "7", "guai": "7", "ba": "8", "jiu": "9", "ling": "0", "dong": "0",
}  # fmt: skip


def syllables(pinyin: str) -> list[str]:
    """Model tokens ("y ī èr s ān") → toneless syllables ("yi", "er", "san")."""
    out = []
    for unit in group_units(pinyin):
        if unit.syllable is not None:
            out.append(unit.syllable.initial + unit.syllable.final)
    return out


def digit_runs(pinyin: str) -> list[str]:
    """The digit strings free decoding heard (maximal runs of digit syllables)."""
    runs: list[str] = []
    current = ""
    for syllable in syllables(pinyin):
        digit = DIGIT_SYLLABLES.get(syllable)
        if digit is None:
            if current:
                runs.append(current)
            current = ""
        else:
            current += digit
    if current:
        runs.append(current)
    return runs


def _key(syllable: str) -> str:
    return fuzzy(syllable.replace("ü", "u").replace("v", "u"))


def words_heard(written: str, pinyin: str) -> bool:
    """Whether free decoding heard ``written`` (a list item: a title, a name): its syllables,
    near-homophones alike, in a row — all of them for one or two syllables, all but one for
    longer ones."""
    wanted = [{_key(r) for r in readings(c)} for c in written if not c.isspace()]
    heard = [_key(s) for s in syllables(pinyin)]
    if not wanted or any(len(r) == 1 and next(iter(r)) == c for r, c in zip(wanted, written,
                                                                             strict=False)):
        return True  # not Han characters (Latin titles): nothing to compare here
    allowed = 0 if len(wanted) <= 2 else 1
    for start in range(len(heard) - len(wanted) + 1):
        misses = sum(heard[start + i] not in options for i, options in enumerate(wanted))
        if misses <= allowed:
            return True
    return False


def digits_heard(digits: str, pinyin: str) -> bool:
    """Whether free decoding heard exactly these digits, in one run (a run may be longer: the
    number said with a lead-in digit word)."""
    return any(digits in run for run in digit_runs(pinyin))
