"""The free-text pipeline: fillers, protected words, then the rules from specific to general."""

from __future__ import annotations

import re

from intents.itn.chars import CN_NUM
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

_ANY_NUMBER = re.compile(rf"[{CN_NUM}半]|[0-9][万亿]")
_LETTER = re.compile("[A-Za-z]")
_RULES: list[Rule] = [*CODE_RULES, *FRACTION_RULES, *TIME_RULES, *MONEY_RULES, *NUMBER_RULES]


def normalize(text: str) -> str:
    """Spoken Chinese with numbers written as digits, per the conventions in docs/itn.md."""
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
