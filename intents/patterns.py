"""Templates compiled to regular expressions, one per matching stage ("mode").

Modes: ``text`` (normalised characters), ``skip`` (the same without skip words), ``plain``
(toneless pinyin: one token character per syllable, see :mod:`intents.textnorm`), ``fuzzy``
(pinyin fuzzy keys) and ``loose`` (fuzzy keys, list slots taking any few syllables, resolved
afterwards to the nearest list item). Lists and number forms become tries, so a 5,000-item list
is one quick alternation; slot patterns are built once and shared by the intents using them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from intents.model import SlotDef
from intents.nearest import NearestIndex
from intents.slots import DIGIT_CHARS, DigitsSlot, ListSlot, RangeSlot, WildcardSlot
from intents.template import Alternative, Literal, Node, Optional, Sequence, SlotRef
from intents.textnorm import fuzzy_token, norm, reading_combos, strip_text, token_readings

MODES = ("text", "skip", "plain", "fuzzy", "loose")
PINYIN_MODES = ("plain", "fuzzy", "loose")


def trie_regex(keys: Iterable[tuple[str, ...]]) -> str:
    """One regex matching exactly the given atom sequences (atoms are escaped)."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for key in keys:
        node = root
        for atom in key:
            node = node.setdefault(atom, {})
        node[""] = {}
    return _emit(root) if root else "(?!)"


def _emit(node: dict) -> str:  # type: ignore[type-arg]
    ends = "" in node
    branches = [re.escape(atom) + _emit(child) for atom, child in node.items() if atom]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return body + "?" if len(branches) == 1 and len(branches[0]) == 1 else f"(?:{body})?"
    return body


def literal_regex(text: str, mode: str, skip: tuple[str, ...]) -> str:
    if mode == "text":
        return re.escape(norm(text))
    chars = strip_text(text, skip)
    if mode == "skip":
        return re.escape(chars)
    return "".join(_token_class(token_readings(c), mode) for c in chars)


def _token_class(tokens: Iterable[str], mode: str) -> str:
    options = sorted({t if mode == "plain" else fuzzy_token(t) for t in tokens})
    if len(options) == 1:
        return re.escape(options[0])
    return "[" + "".join(re.escape(o) for o in options) + "]"


def _keys(spoken: str, mode: str, skip: tuple[str, ...]) -> list[str]:
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
class SlotPatterns:
    """A slot's regex and value table in every mode, built on first use."""

    slot_def: SlotDef
    skip: tuple[str, ...]
    _regex: dict[str, str] = field(default_factory=dict)
    _tables: dict[str, dict[str, object]] = field(default_factory=dict)
    _nearest: NearestIndex | None = None

    def entries(self) -> list[tuple[str, object]]:
        slot = self.slot_def.slot
        if isinstance(slot, ListSlot):
            return [(v.spoken, v.value) for v in slot.values]
        if isinstance(slot, RangeSlot):
            return [(spoken, value) for spoken, value in slot.forms()]
        return []

    def table(self, mode: str) -> dict[str, object]:
        """Key (in ``mode``) → value; the first entry wins for keys heard alike."""
        mode = "fuzzy" if mode == "loose" else mode
        if mode not in self._tables:
            out: dict[str, object] = {}
            for spoken, value in self.entries():
                for key in _keys(spoken, mode, self.skip):
                    if key:
                        out.setdefault(key, value)
            self._tables[mode] = out
        return self._tables[mode]

    def nearest(self) -> NearestIndex:
        if self._nearest is None:
            self._nearest = NearestIndex(self.table("fuzzy"))
        return self._nearest

    def regex(self, mode: str) -> str:
        if mode not in self._regex:
            self._regex[mode] = self._build(mode)
        return self._regex[mode]

    def _build(self, mode: str) -> str:
        slot = self.slot_def.slot
        pinyin = mode in PINYIN_MODES
        if isinstance(slot, WildcardSlot):
            return ".+?"
        if isinstance(slot, DigitsSlot):
            counts = f"{{{slot.min_len},{slot.max_len}}}"
            if not pinyin:
                return "[" + re.escape("".join(DIGIT_CHARS)) + "]" + counts
            tokens = {t for c in DIGIT_CHARS for t in token_readings(c)}
            return _token_class(tokens, mode) + counts
        if mode == "loose" and isinstance(slot, ListSlot):
            longest = max((len(k) for k in self.table("fuzzy")), default=0)
            return f".{{1,{longest + 1}}}?" if longest else "(?!)"
        return trie_regex(tuple(k) for k in self.table(mode))


@dataclass
class Compiled:
    """One intent's sentences as one regex in one mode; groups name the captured slots."""

    regex: re.Pattern[str]
    groups: dict[str, tuple[str, SlotPatterns]]  # group name → (capture key, slot patterns)
    literal_chars: int  # characters of literal text in the shortest sentence (for ranking)


class TemplateCompiler:
    def __init__(self, mode: str, skip: tuple[str, ...]) -> None:
        self.mode = mode
        self.skip = skip
        self.groups: dict[str, tuple[str, SlotPatterns]] = {}

    def compile(self, node: Node, slot_patterns: dict[str, SlotPatterns]) -> str:
        if isinstance(node, Literal):
            return literal_regex(node.text, self.mode, self.skip)
        if isinstance(node, Sequence):
            return "".join(self.compile(i, slot_patterns) for i in node.items)
        if isinstance(node, Alternative):
            return "(?:" + "|".join(self.compile(o, slot_patterns) for o in node.options) + ")"
        if isinstance(node, Optional):
            return "(?:" + self.compile(node.item, slot_patterns) + ")?"
        if isinstance(node, SlotRef):
            patterns = slot_patterns[node.name]
            name = f"g{len(self.groups)}"
            self.groups[name] = (node.key, patterns)
            return f"(?P<{name}>{patterns.regex(self.mode)})"
        raise ValueError(f"rules must be expanded before compiling: <{node.name}>")


def literal_length(node: Node) -> int:
    """Characters of literal text on the shortest path through ``node``."""
    if isinstance(node, Literal):
        return len(norm(node.text))
    if isinstance(node, Sequence):
        return sum(literal_length(i) for i in node.items)
    if isinstance(node, Alternative):
        return min(literal_length(o) for o in node.options)
    return 0
