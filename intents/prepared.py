"""One input in every form the matching stages compare (:class:`Prepared`), and one input in one
stage while it is parsed (:class:`Context`). Their own module: the matcher, the template engine
and the slot matchers all use them, and none of those needs another to do so."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from intents.textnorm import Mapped, fuzzy_text, normalize, pinyin_text, strip_words


@dataclass
class Prepared:
    """One input in every form the stages compare."""

    original: str
    skip: tuple[str, ...]
    full: Mapped = field(init=False)

    def __post_init__(self) -> None:
        self.full = normalize(self.original)

    @cached_property
    def stripped(self) -> Mapped:
        return strip_words(self.full, self.skip)

    @cached_property
    def plain(self) -> str:
        return pinyin_text(self.stripped.text)

    @cached_property
    def fuzzy(self) -> str:
        return fuzzy_text(self.plain)

    def subject(self, mode: str) -> str:
        """The string ``mode`` matches, one character per character of the text."""
        if mode == "text":
            return self.full.text
        if mode == "skip":
            return self.stripped.text
        return self.plain if mode == "plain" else self.fuzzy

    def chain(self, mode: str) -> tuple[str, ...]:
        """The subjects a pinyin mode looks slot values up in: characters first."""
        forms = (self.stripped.text, self.plain, self.fuzzy)
        return forms[:2] if mode == "plain" else forms


@dataclass
class Context:
    """One input in one mode while it is parsed."""

    prepared: Prepared
    mode: str
    trim_words: tuple[str, ...]
    subject: str = field(init=False)
    n: int = field(init=False)
    slot_memo: dict[tuple[int, int], list[tuple[int, object, float, int]]] = field(
        default_factory=dict)
    near_memo: dict[tuple[int, int, int], object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.subject = self.prepared.subject(self.mode)
        self.n = len(self.subject)
        self.mapped = self.prepared.full if self.mode == "text" else self.prepared.stripped

    def trim(self, start: int, end: int) -> tuple[int, int]:
        """``start:end`` without skip words at either end (the text stage keeps them)."""
        if self.mode != "text":
            return start, end
        text = self.subject
        moved = True
        while moved and start < end:
            moved = False
            for word in self.trim_words:
                if end - start >= len(word) and text.startswith(word, start):
                    start, moved = start + len(word), True
                    break
                if end - start >= len(word) and text.startswith(word, end - len(word)):
                    end, moved = end - len(word), True
                    break
        return start, end
