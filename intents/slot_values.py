"""Turning the text a slot captured into its value, in each matching stage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intents.patterns import SlotPatterns
from intents.slots import DIGIT_CHARS, DigitsSlot, ListSlot, RangeSlot, WildcardSlot
from intents.textnorm import Mapped, syllable_of

if TYPE_CHECKING:
    from intents.matcher import Prepared

# Readings of the digits as spoken one by one (幺 = 1, 洞 = 0, 拐 = 7, 两 = 2).
_DIGIT_READINGS = {
    "ling": "0", "dong": "0", "yi": "1", "yao": "1", "er": "2", "liang": "2", "san": "3",
    "si": "4", "wu": "5", "liu": "6", "qi": "7", "guai": "7", "ba": "8", "jiu": "9",
}  # fmt: skip
_TABLE_CHAIN = {
    "text": ("text",),
    "skip": ("skip",),
    "plain": ("skip", "plain"),
    "fuzzy": ("skip", "plain", "fuzzy"),
    "loose": ("skip", "plain", "fuzzy"),
}


def _digits(slot: DigitsSlot, chars: str, plain: str) -> str | None:
    heard = [syllable_of(t) for t in plain]
    if all(c in DIGIT_CHARS for c in chars):
        value = "".join(DIGIT_CHARS[c] for c in chars)
    elif plain and all(p in _DIGIT_READINGS for p in heard):
        value = "".join(_DIGIT_READINGS[p] for p in heard)
    else:
        return None
    return value if slot.min_len <= len(value) <= slot.max_len else None


def resolve(mode: str, patterns: SlotPatterns, prepared: Prepared, mapped: Mapped, start: int,
            end: int) -> tuple[object, float] | None:
    """(value, score) of the characters ``start:end`` of ``mapped``; None when they are not a
    value of the slot."""
    slot = patterns.slot_def.slot
    chars = mapped.text[start:end]
    if isinstance(slot, WildcardSlot):
        text = mapped.original_span(prepared.original, start, end).strip()
        return (text, 1.0) if text else None
    pinyin = mode not in ("text", "skip")
    plain = prepared.plain[start:end] if pinyin else ""
    if isinstance(slot, DigitsSlot):
        value = _digits(slot, chars, plain)
        return None if value is None else (value, 1.0)
    if not isinstance(slot, ListSlot | RangeSlot):
        return None
    keys = {"text": chars, "skip": chars, "plain": plain}
    if pinyin:
        keys["fuzzy"] = prepared.fuzzy[start:end]
    for table in _TABLE_CHAIN[mode]:
        found = patterns.table(table).get(keys[table], _MISSING)
        if found is not _MISSING:
            return found, 1.0
    if mode == "loose" and isinstance(slot, ListSlot):
        return patterns.nearest().best(prepared.fuzzy[start:end])
    return None


_MISSING = object()
