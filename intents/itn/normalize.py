"""The free-text pipeline: fillers, protected words, then the rules from specific to general.

The text is cut into pieces at sentence and clause ends (and, past :data:`PIECE_CHARS`, at the
best place inside a long piece), and each piece is normalised on its own: the work per piece is
bounded, so the whole is linear in the length of the input. Past :data:`MAX_INPUT_CHARS` the
input is refused with :class:`ItnInputTooLong`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from asr.errors import LingyinError
from intents.itn.chars import CN_NUM, INVISIBLE
from intents.itn.general import FINAL_RULES, NUMBER_RULES
from intents.itn.protect import drop_fillers, protect, restore
from intents.itn.rules import (
    CODE_RULES,
    FRACTION_RULES,
    LETTER_GAP,
    LETTER_RULES,
    MONEY_RULES,
    TIME_RULES,
    Rule,
)

MAX_INPUT_CHARS = 200_000
PIECE_CHARS = 256
HARD_CUT_CHARS = 64  # a stretch with no quiet place to cut (a long digit string) is cut this short

_INVISIBLE = re.compile(f"[{INVISIBLE}]")
_INVISIBLE_CHARS = frozenset(INVISIBLE)
# Traditional forms of the characters that turn into signs (點 -> ., 負 -> -) next to a numeral.
_TRADITIONAL = re.compile(
    rf"(?<=[{CN_NUM}0-9])點(?=[{CN_NUM}0-9半整鐘钟])|負(?=的?[{CN_NUM}0-9])|(?<=[点點分刻])鐘"
)
_TRAD_MAP = {"點": "点", "負": "负", "鐘": "钟"}
_ANY_NUMBER = re.compile(rf"[{CN_NUM}半]|[0-9][万亿]")
_LETTER = re.compile("[A-Za-z]")
_PIECE_END = re.compile(r"[。！？!?；;，、\n…]+|[,:：](?![0-9])")
_NUMERIC = frozenset(CN_NUM + "0123456789点分之负又半.%~")
_RULES: list[Rule] = [*CODE_RULES, *FRACTION_RULES, *TIME_RULES, *MONEY_RULES, *NUMBER_RULES]


class ItnInputTooLong(LingyinError):
    """Text longer than the normaliser accepts."""

    def __init__(self, length: int) -> None:
        super().__init__(
            f"文本太长：{length} 个字符，数字规整（ITN）最多接受 {MAX_INPUT_CHARS} 个字符；"
            "请分段输入。"
        )
        self.length = length


def normalize(text: str) -> str:
    """Spoken Chinese with numbers written as digits, per the conventions in docs/itn.md.

    Raises :class:`ItnInputTooLong` for text longer than :data:`MAX_INPUT_CHARS` characters.
    """
    if len(text) > MAX_INPUT_CHARS:
        raise ItnInputTooLong(len(text))
    if not _INVISIBLE_CHARS.isdisjoint(text):
        text = _INVISIBLE.sub("", text)
    if "點" in text or "負" in text or "鐘" in text:
        text = _TRADITIONAL.sub(lambda m: _TRAD_MAP[m.group()], text)
    if len(text) <= PIECE_CHARS:
        return _normalize_piece(text)
    return "".join(_normalize_piece(piece) for piece in pieces(text))


def pieces(text: str) -> Iterator[str]:
    """``text`` cut after sentence and clause ends, no piece longer than PIECE_CHARS."""
    start = 0
    for m in _PIECE_END.finditer(text):
        yield from _bounded(text[start : m.end()])
        start = m.end()
    if start < len(text):
        yield from _bounded(text[start:])


def _bounded(piece: str) -> Iterator[str]:
    """A long piece cut where no number is touched, else into equal parts."""
    while len(piece) > PIECE_CHARS:
        cut = _quiet_cut(piece)
        if cut is None:
            parts = -(-len(piece) // HARD_CUT_CHARS)
            size = -(-len(piece) // parts)
            for i in range(0, len(piece), size):
                yield piece[i : i + size]
            return
        yield piece[:cut]
        piece = piece[cut:]
    if piece:
        yield piece


def _quiet_cut(piece: str) -> int | None:
    """The last place within PIECE_CHARS (in its second half) with no numeral within two
    characters before it and three after (so 早上|八点 is not cut), else the last place right
    after a one-character unit between two numbers; None when there is neither."""
    window = range(PIECE_CHARS, PIECE_CHARS // 2, -1)
    for i in window:
        if _NUMERIC.isdisjoint(piece[i - 2 : i + 3]):
            return i
    for i in window:  # else right after one number's unit, before the next (五人|六人)
        num = [c in _NUMERIC for c in piece[i - 2 : i + 1]]
        if num == [True, False, True]:
            return i
    return None


def _normalize_piece(text: str) -> str:
    text = drop_fillers(text)
    letters = _LETTER.search(text) is not None
    if letters:
        text = LETTER_GAP.sub("", text)
    if not _ANY_NUMBER.search(text):
        return text
    text, spans = protect(text)
    if letters:
        for pattern, fn in LETTER_RULES:
            text = pattern.sub(fn, text)
    for pattern, fn in _RULES:
        text = pattern.sub(fn, text)
    for pattern, fn in FINAL_RULES:
        text = pattern.sub(fn, text)
    return restore(text, spans)
