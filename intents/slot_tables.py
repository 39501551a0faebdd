"""A slot's values as lookup tables, one per matching stage ("mode").

Modes: ``text`` (normalised characters), ``skip`` (the same without skip words), ``plain``
(toneless pinyin: one token character per syllable, see :mod:`intents.textnorm`), ``fuzzy``
(pinyin fuzzy keys) and ``loose`` (fuzzy keys, list slots taking any few syllables, resolved
afterwards to the nearest list item). A table maps a key (a string in the mode's alphabet) to the
value; the matcher looks keys up at a position for each key length, so a 5,000-item list costs a
dozen dictionary look-ups. Tables are built once and shared by the intents using the slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intents.model import SlotDef
from intents.nearest import NearestIndex
from intents.slots import ListSlot, RangeSlot
from intents.stages import MODES, PINYIN_MODES
from intents.textnorm import fuzzy_token, norm, reading_combos, strip_text

__all__ = ["MODES", "PINYIN_MODES", "SlotTable", "keys_of"]


def keys_of(spoken: str, mode: str, skip: tuple[str, ...]) -> list[str]:
    """The keys a spoken form is looked up by in ``mode`` (polyphones give several)."""
    if mode == "text":
        return [norm(spoken)]
    chars = strip_text(spoken, skip)
    if mode == "skip":
        return [chars]
    combos = reading_combos(chars)
    if mode != "plain":
        combos = ["".join(map(fuzzy_token, c)) for c in combos]
    return list(dict.fromkeys(combos))


@dataclass
class SlotTable:
    """A list or range slot's value table in every mode, built on first use."""

    slot_def: SlotDef
    skip: tuple[str, ...]
    _tables: dict[str, dict[str, object]] = field(default_factory=dict)
    _lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _nearest: NearestIndex | None = None
    _entries: list[tuple[str, object]] | None = None

    def entries(self) -> list[tuple[str, object]]:
        if self._entries is None:
            slot = self.slot_def.slot
            self._entries = [(v.spoken, v.value) for v in slot.values] \
                if isinstance(slot, ListSlot) else list(slot.forms()) \
                if isinstance(slot, RangeSlot) else []
        return self._entries

    def table(self, mode: str) -> dict[str, object]:
        """Key (in ``mode``) → value; the first entry wins for keys heard alike."""
        mode = "fuzzy" if mode == "loose" else mode
        found = self._tables.get(mode)
        if found is None:
            found = self._tables[mode] = self._build(mode)
        return found

    def _build(self, mode: str) -> dict[str, object]:
        out: dict[str, object] = {}
        if mode == "fuzzy":  # the fuzzy keys of the plain keys, in the same order
            for key, value in self.table("plain").items():
                out.setdefault("".join(map(fuzzy_token, key)), value)
            return out
        for spoken, value in self.entries():
            for key in keys_of(spoken, mode, self.skip):
                if key:
                    out.setdefault(key, value)
        return out

    def lengths(self, mode: str) -> tuple[int, ...]:
        """The key lengths of ``mode``'s table, shortest first."""
        mode = "fuzzy" if mode == "loose" else mode
        found = self._lengths.get(mode)
        if found is None:
            found = self._lengths[mode] = tuple(sorted({len(k) for k in self.table(mode)}))
        return found

    def nearest(self) -> NearestIndex:
        if self._nearest is None:
            self._nearest = NearestIndex(self.table("fuzzy"))
        return self._nearest
