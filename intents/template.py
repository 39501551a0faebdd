"""Sentence templates: syntax and the abstract syntax tree.

Syntax (no spaces needed between Chinese words)::

    (打开|开启)      alternatives            [把]      optional (also [a|b])
    {volume}        slot reference          {city:to} slot ``city`` captured as ``to``
    <打开>          shared rule             \\(        a literal bracket (backslash escape)

Every node carries the :class:`~intents.errors.Loc` of its first character, so errors found
later (an unknown slot or rule) point into the template string. Locations do not take part in
equality: two trees are equal when their structure is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import assert_never

from intents.errors import GrammarError, Loc

_SPECIAL = "()[]{}<>|\\"
_NAME_FORBIDDEN = set(_SPECIAL + ":") | {" ", "\t", "\n"}


@dataclass(frozen=True)
class Literal:
    text: str
    loc: Loc = field(compare=False)


@dataclass(frozen=True)
class Sequence:
    items: tuple[Node, ...]
    loc: Loc = field(compare=False)


@dataclass(frozen=True)
class Alternative:
    options: tuple[Node, ...]
    loc: Loc = field(compare=False)


@dataclass(frozen=True)
class Optional:
    item: Node
    loc: Loc = field(compare=False)


@dataclass(frozen=True)
class SlotRef:
    """``{name}`` or ``{name:capture}``: the slot definition ``name``, its value stored as
    ``capture`` (default: ``name``)."""

    name: str
    loc: Loc = field(compare=False)
    capture: str | None = None

    @property
    def key(self) -> str:
        return self.capture or self.name


@dataclass(frozen=True)
class RuleRef:
    name: str
    loc: Loc = field(compare=False)


Node = Literal | Sequence | Alternative | Optional | SlotRef | RuleRef
Locator = Callable[[int], Loc]


def line_locator(start: Loc) -> Locator:
    """Offsets inside a one-line string whose first character is at ``start``."""
    return start.shifted


def fixed_locator(start: Loc) -> Locator:
    """Every offset at ``start`` (multi-line or escaped strings, where columns are unknown)."""
    return lambda _offset: start


class _Parser:
    def __init__(self, text: str, locate: Locator) -> None:
        self.text = text
        self.pos = 0
        self.locate = locate

    def fail(self, message: str, offset: int | None = None) -> GrammarError:
        return GrammarError(self.locate(self.pos if offset is None else offset), message)

    def parse(self) -> Node:
        node = self.alternatives(closer=None)
        if self.pos < len(self.text):  # a stray closer
            raise self.fail(f"unbalanced {self.text[self.pos]!r}: nothing opened it")
        return node

    def alternatives(self, closer: str | None) -> Node:
        start = self.pos
        options = [self.sequence()]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            options.append(self.sequence())
        for option, at in options:
            if option is None:
                what = "template" if closer is None and len(options) == 1 else "alternative"
                raise self.fail(f"empty {what}", at)
        nodes = [node for node, _ in options if node is not None]
        if len(nodes) == 1:
            return nodes[0]
        return Alternative(tuple(nodes), self.locate(start))

    def sequence(self) -> tuple[Node | None, int]:
        start = self.pos
        items: list[Node] = []
        chars: list[str] = []
        chars_at = start
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in "|)]}>":
                break
            if c == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.fail("a backslash at the end escapes nothing")
                if not chars:
                    chars_at = self.pos
                chars.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if c in "([{<":
                if chars:
                    items.append(Literal("".join(chars), self.locate(chars_at)))
                    chars = []
                items.append(self.group(c))
                continue
            if not chars:
                chars_at = self.pos
            chars.append(c)
            self.pos += 1
        if chars:
            items.append(Literal("".join(chars), self.locate(chars_at)))
        if not items:
            return None, start
        if len(items) == 1:
            return items[0], start
        return Sequence(tuple(items), self.locate(start)), start

    def group(self, opener: str) -> Node:
        start = self.pos
        self.pos += 1
        if opener in "{<":
            return self.reference(opener, start)
        closer = ")" if opener == "(" else "]"
        if self.pos < len(self.text) and self.text[self.pos] == closer:
            raise self.fail(f"empty {'group' if opener == '(' else 'optional'} {opener}{closer}",
                            start)
        inner = self.alternatives(closer)
        if self.pos >= len(self.text) or self.text[self.pos] != closer:
            raise self.fail(f"unbalanced {opener!r}: no matching {closer!r}", start)
        self.pos += 1
        if opener == "(" and self.pos < len(self.text) and self.text[self.pos] in "?？":
            body = self.text[start + 1:self.pos - 1]
            raise self.fail(f"`?` after a group: write [{body}] for an optional part")
        if isinstance(inner, Alternative):  # located at its opening bracket
            inner = Alternative(inner.options, self.locate(start))
        return inner if opener == "(" else Optional(inner, self.locate(start))

    def reference(self, opener: str, start: int) -> Node:
        closer = "}" if opener == "{" else ">"
        end = self.text.find(closer, self.pos)
        if end < 0:
            raise self.fail(f"unbalanced {opener!r}: no matching {closer!r}", start)
        body = self.text[self.pos:end]
        what = "slot" if opener == "{" else "rule"
        name, _, capture = body.partition(":") if opener == "{" else (body, "", "")
        for part, label in ((name, what), (capture, "capture")):
            bad = next((c for c in part if c in _NAME_FORBIDDEN), None)
            if bad is not None:
                raise self.fail(f"{bad!r} not allowed in a {label} name {opener}{body}{closer}",
                                start)
        if not name or (":" in body and not capture):
            raise self.fail(f"empty {what if not name else 'capture'} name {opener}{body}{closer}",
                            start)
        self.pos = end + 1
        if opener == "<":
            return RuleRef(name, self.locate(start))
        return SlotRef(name, self.locate(start), capture or None)


def parse_template(text: str, locate: Locator) -> Node:
    """The tree of ``text``; raises :class:`GrammarError` at the offending column."""
    return _Parser(text, locate).parse()


def escape(text: str) -> str:
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def render(node: Node) -> str:
    """Template syntax for ``node`` (``parse_template(render(n))`` equals ``n``)."""
    match node:
        case Literal():
            return escape(node.text)
        case Sequence():
            parts = []
            for i, item in enumerate(node.items):
                glued = isinstance(item, Literal) and i > 0 \
                    and isinstance(node.items[i - 1], Literal)
                nested = isinstance(item, Sequence)
                parts.append("(" + render(item) + ")" if glued or nested else render(item))
            return "".join(parts)
        case Alternative():
            return "(" + "|".join(render(o) for o in node.options) + ")"
        case Optional():
            inner = node.item
            body = "|".join(render(o) for o in inner.options) \
                if isinstance(inner, Alternative) else render(inner)
            return "[" + body + "]"
        case SlotRef():
            return "{" + node.name + (":" + node.capture if node.capture else "") + "}"
        case RuleRef():
            return "<" + node.name + ">"
        case _:
            assert_never(node)


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly below ``node`` (a rule reference has none: its rule is elsewhere)."""
    match node:
        case Sequence():
            return node.items
        case Alternative():
            return node.options
        case Optional():
            return (node.item,)
        case Literal() | SlotRef() | RuleRef():
            return ()
        case _:
            assert_never(node)


def walk(node: Node) -> list[Node]:
    """``node`` and every node below it, depth first."""
    out: list[Node] = [node]
    for child in children(node):
        out.extend(walk(child))
    return out
