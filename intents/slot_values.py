"""Slot matchers: the spans a slot can take at a position of the text, with their values.

A matcher is built per slot and mode; ``spans(ctx, pos)`` returns ``(end, value, score, wild)``
for every span starting at ``pos`` that is a value of the slot (``score`` below 1 for list items
resolved by similarity in the loose stage; ``wild`` the characters taken as free text).

- lists and numbers: a table look-up for each key length;
- digit strings: a run of digit characters (or, in the pinyin modes, their readings);
- free text: any span, without the skip words (吧, 一下…) at either end of it;
- loose lists: any few syllables, resolved to the nearest list item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intents.slot_tables import SlotTable
from intents.slots import DIGIT_CHARS, DigitsSlot, ListSlot, RangeSlot, WildcardSlot
from intents.stages import PINYIN_MODES
from intents.textnorm import fuzzy_token, syllable_of, token_readings

if TYPE_CHECKING:
    from intents.prepared import Context

Span = tuple[int, object, float, int]  # end, value, score, free-text characters

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
_MISSING = object()
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
OUT_OF_RANGE_SCORE = 0.9  # below an in-range value, so a parse with one always wins


@dataclass(frozen=True)
class OutOfRange:
    """A number said for a range slot that the range does not hold (设定三十五度 for 16..32):
    the sentence is understood, and the reply gives the range instead of acting."""

    value: float
    slot: RangeSlot

    @property
    def number(self) -> int | float:
        return int(self.value) if self.value == int(self.value) else self.value


class SlotMatcher:
    """Base: free text (of at most ``max_chars`` characters, 0: any length)."""

    def __init__(self, mode: str, max_chars: int = 0) -> None:
        self.mode = mode
        self.max_chars = max_chars

    def firsts(self) -> frozenset[str] | None:
        """The characters a span can start with (None: any)."""
        return None

    def lasts(self) -> frozenset[str] | None:
        return None

    def spans(self, ctx: Context, pos: int) -> list[Span]:
        key = (id(self), pos)
        found = ctx.slot_memo.get(key)
        if found is None:
            found = ctx.slot_memo[key] = self._spans(ctx, pos)
        return found

    def _spans(self, ctx: Context, pos: int) -> list[Span]:
        out: list[Span] = []
        last = ctx.n if not self.max_chars else min(ctx.n, pos + self.max_chars + 4)
        for end in range(pos + 1, last + 1):
            start, stop = ctx.trim(pos, end)
            if self.max_chars and stop - start > self.max_chars:
                continue
            if start < stop:
                text = ctx.mapped.original_span(ctx.prepared.original, start, stop).strip()
                if text:
                    out.append((end, text, 1.0, stop - start))
        return out


class TableMatcher(SlotMatcher):
    """A list or range slot: look-ups of every key length."""

    def __init__(self, mode: str, table: SlotTable) -> None:
        super().__init__(mode)
        self.table = table
        self.keys = table.table(mode)
        self.lengths = table.lengths(mode)
        self.chain = [table.table(t) for t in _TABLE_CHAIN[mode]]

    def firsts(self) -> frozenset[str] | None:
        return frozenset(k[0] for k in self.keys)

    def lasts(self) -> frozenset[str] | None:
        return frozenset(k[-1] for k in self.keys)

    def _value(self, ctx: Context, start: int, end: int) -> object:
        if self.mode in PINYIN_MODES:  # the characters first, then the readings
            for table, subject in zip(self.chain, ctx.prepared.chain(self.mode), strict=False):
                found = table.get(subject[start:end], _MISSING)
                if found is not _MISSING:
                    return found
        return self.keys.get(ctx.subject[start:end], _MISSING)

    def _spans(self, ctx: Context, pos: int) -> list[Span]:
        out: list[Span] = []
        subject, keys = ctx.subject, self.keys
        for length in self.lengths:
            end = pos + length
            if end > ctx.n:
                break
            if subject[pos:end] in keys:
                out.append((end, self._value(ctx, pos, end), 1.0, 0))
        return out


class Near:
    """A span of a loose list slot, resolved to the nearest item only once a parse that uses
    it is chosen (ranked meanwhile as a little worse than an exact item)."""

    __slots__ = ("end", "start", "table")
    PENDING = 0.99

    def __init__(self, table: SlotTable, start: int, end: int) -> None:
        self.table = table
        self.start = start
        self.end = end

    def resolve(self, ctx: Context) -> tuple[object, float] | None:
        key = (id(self.table), -self.start - 1, self.end)
        found = ctx.near_memo.get(key, _MISSING)
        if found is _MISSING:
            found = ctx.near_memo[key] = self.table.nearest().best(
                ctx.subject[self.start:self.end])
        return found  # type: ignore[return-value]


class LooseMatcher(TableMatcher):
    """A list slot in the loose stage: a few syllables, resolved to the nearest item."""

    def firsts(self) -> frozenset[str] | None:
        return None

    def lasts(self) -> frozenset[str] | None:
        return None

    def _spans(self, ctx: Context, pos: int) -> list[Span]:
        out: list[Span] = []
        longest = self.lengths[-1] if self.lengths else 0
        for end in range(pos + 1, min(ctx.n, pos + longest + 1) + 1):
            value = self._value(ctx, pos, end)
            if value is not _MISSING:
                out.append((end, value, 1.0, 0))
                continue
            out.append((end, Near(self.table, pos, end), Near.PENDING, 0))
        return out


class DigitsMatcher(SlotMatcher):
    """Digits said one by one, or written."""

    def __init__(self, mode: str, slot: DigitsSlot) -> None:
        super().__init__(mode)
        self.slot = slot
        if mode in PINYIN_MODES:
            tokens = {t for c in DIGIT_CHARS for t in token_readings(c)}
            self.atoms = frozenset(fuzzy_token(t) if mode != "plain" else t for t in tokens)
        else:
            self.atoms = frozenset(DIGIT_CHARS)

    def firsts(self) -> frozenset[str] | None:
        return self.atoms

    def lasts(self) -> frozenset[str] | None:
        return self.atoms

    def _spans(self, ctx: Context, pos: int) -> list[Span]:
        out: list[Span] = []
        end = pos
        limit = min(ctx.n, pos + self.slot.max_len)
        while end < limit and ctx.subject[end] in self.atoms:
            end += 1
            if end - pos >= self.slot.min_len:
                value = self._digits(ctx, pos, end)
                if value is not None:
                    out.append((end, value, 1.0, 0))
        return out

    def _digits(self, ctx: Context, start: int, end: int) -> str | None:
        chars = ctx.mapped.text[start:end]
        if all(c in DIGIT_CHARS for c in chars):
            value = "".join(DIGIT_CHARS[c] for c in chars)
        else:
            heard = [syllable_of(t) for t in ctx.prepared.plain[start:end]]
            if not heard or not all(p in _DIGIT_READINGS for p in heard):
                return None
            value = "".join(_DIGIT_READINGS[p] for p in heard)
        return value if self.slot.min_len <= len(value) <= self.slot.max_len else None


class RangeMatcher(TableMatcher):
    """A range slot: its spoken forms, and (written as digits, after the number normaliser) any
    other number, as :class:`OutOfRange` with its unit."""

    def __init__(self, mode: str, table: SlotTable, slot: RangeSlot) -> None:
        super().__init__(mode, table)
        self.slot = slot
        self.units = sorted(slot.suffixes(), key=len, reverse=True)

    def firsts(self) -> frozenset[str] | None:
        return super().firsts() | frozenset("-0123456789")  # type: ignore[operator]

    def lasts(self) -> frozenset[str] | None:
        return super().lasts() | frozenset("0123456789") | frozenset(  # type: ignore[operator]
            u[-1] for u in self.units)

    def _spans(self, ctx: Context, pos: int) -> list[Span]:
        out = super()._spans(ctx, pos)
        found = _NUMBER.match(ctx.subject, pos)
        if found is None:
            return out
        value = OutOfRange(float(found.group()), self.slot)
        taken = {end for end, *_ in out}
        for unit in ("", *self.units):
            end = found.end() + len(unit)
            if ctx.subject.startswith(unit, found.end()) and end not in taken:
                out.append((end, value, OUT_OF_RANGE_SCORE, 0))
        return out


def slot_matcher(mode: str, table: SlotTable) -> SlotMatcher:
    slot = table.slot_def.slot
    if isinstance(slot, RangeSlot) and mode in ("text", "skip"):
        return RangeMatcher(mode, table, slot)
    if isinstance(slot, WildcardSlot):
        return SlotMatcher(mode, slot.max_chars)
    if isinstance(slot, DigitsSlot):
        return DigitsMatcher(mode, slot)
    if mode == "loose" and isinstance(slot, ListSlot):
        return LooseMatcher(mode, table)
    return TableMatcher(mode, table)
