"""Templates compiled to small matching trees, one per matching stage ("mode"), and the parser.

A template (rules expanded) becomes a tree of literal pieces, sequences, alternatives, optional
parts and slot matchers (:mod:`intents.slot_values`). Literal text is compared directly in the
``text`` and ``skip`` modes and token by token (each position a set of readings) in the pinyin
modes. ``ends(ctx, pos)`` returns, for every position a node can end at, the best parse of the
text between; a sequence advances a frontier of positions, so every node is tried once per
position and the work stays polynomial even with free text.

A parse is ``(literal characters, free-text characters, score, captures)``; parses are ranked by
:func:`rank`: fewer free-text characters, then more literal text (the best parse, not the first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import assert_never

from intents.model import Rule
from intents.prepared import Context
from intents.slot_tables import SlotTable
from intents.slot_values import SlotMatcher, slot_matcher
from intents.stages import PINYIN_MODES
from intents.template import Alternative, Literal, Node, Optional, RuleRef, Sequence, SlotRef, walk
from intents.textnorm import fuzzy_token, norm, strip_text, token_readings

Parse = tuple[int, int, float, tuple[tuple[str, object], ...]]
Ends = dict[int, Parse]
EMPTY: Parse = (0, 0, 1.0, ())


def rank(p: Parse) -> float:
    return p[2] - 0.01 * p[1] + 0.0001 * p[0]


def _keep(out: Ends, end: int, parse: Parse) -> None:
    old = out.get(end)
    if old is None or rank(parse) > rank(old):
        out[end] = parse


class Lit:
    __slots__ = ("sets", "size", "text")

    def __init__(self, text: str | None, sets: tuple[frozenset[str], ...]) -> None:
        self.text = text
        self.sets = sets
        self.size = len(text) if text is not None else len(sets)

    def ends(self, ctx: Context, pos: int) -> Ends:
        if self.text is not None:
            if not ctx.subject.startswith(self.text, pos):
                return {}
        else:
            if pos + self.size > ctx.n:
                return {}
            subject = ctx.subject
            for i, options in enumerate(self.sets):
                if subject[pos + i] not in options:
                    return {}
        return {pos + self.size: (self.size, 0, 1.0, ())}


class Seq:
    __slots__ = ("items",)

    def __init__(self, items: list[Matchable]) -> None:
        self.items = items

    def ends(self, ctx: Context, pos: int) -> Ends:
        frontier: Ends = {pos: EMPTY}
        for item in self.items:
            nxt: Ends = {}
            for p, a in frontier.items():
                for e, b in item.ends(ctx, p).items():
                    _keep(nxt, e, (a[0] + b[0], a[1] + b[1], a[2] * b[2], a[3] + b[3]))
            if not nxt:
                return nxt
            frontier = nxt
        return frontier


class Alt:
    __slots__ = ("options",)

    def __init__(self, options: list[Matchable]) -> None:
        self.options = options

    def ends(self, ctx: Context, pos: int) -> Ends:
        out: Ends = {}
        for option in self.options:
            for e, parse in option.ends(ctx, pos).items():
                _keep(out, e, parse)
        return out


class Opt:
    __slots__ = ("item",)

    def __init__(self, item: Matchable) -> None:
        self.item = item

    def ends(self, ctx: Context, pos: int) -> Ends:
        out = dict(self.item.ends(ctx, pos))
        _keep(out, pos, EMPTY)
        return out


class Slot:
    __slots__ = ("key", "matcher")

    def __init__(self, key: str, matcher: SlotMatcher) -> None:
        self.key = key
        self.matcher = matcher

    def ends(self, ctx: Context, pos: int) -> Ends:
        out: Ends = {}
        for end, value, score, wild in self.matcher.spans(ctx, pos):
            _keep(out, end, (0, wild, score, ((self.key, value),)))
        return out


Matchable = Lit | Seq | Alt | Opt | Slot
Atoms = frozenset[str] | None  # None: any character
EdgeMemo = dict[tuple[int, bool], tuple[Atoms, bool]]


@dataclass
class Shared:
    """What the templates of one mode share: literals, slot matchers and compiled rules."""

    literals: dict[str, Lit] = field(default_factory=dict)
    matchers: dict[int, SlotMatcher] = field(default_factory=dict)  # id(table) → matcher
    rules: dict[tuple[str, tuple[int, ...]], Matchable] = field(default_factory=dict)
    rule_slots: dict[str, frozenset[str]] = field(default_factory=dict)
    edges: EdgeMemo = field(default_factory=dict)
    needs: dict[int, frozenset[str]] = field(default_factory=dict)


def slot_names(node: Node, rules: Mapping[str, Rule],
               cache: dict[str, frozenset[str]]) -> frozenset[str]:
    """The slots ``node`` refers to, also through rules (``cache``: rule name → its slots)."""
    out: set[str] = set()
    for item in walk(node):
        if isinstance(item, SlotRef):
            out.add(item.name)
        elif isinstance(item, RuleRef):
            found = cache.get(item.name)
            rule = rules.get(item.name)
            if found is None and rule is not None:
                cache[item.name] = frozenset()  # a looping rule adds nothing more
                found = cache[item.name] = slot_names(rule.template.node, rules, cache)
            out |= found or frozenset()
    return frozenset(out)


class Compiler:
    """Template trees → matching trees in one mode; a rule is compiled once for all intents
    whose slots it uses alike."""

    def __init__(self, mode: str, skip: tuple[str, ...], rules: Mapping[str, Rule],
                 tables: Callable[[str], SlotTable], shared: Shared) -> None:
        self.mode = mode
        self.skip = skip
        self.rules = rules
        self.tables = tables
        self.shared = shared
        self.stack: list[str] = []

    def compile(self, node: Node) -> Matchable:
        match node:
            case Literal():
                found = self.shared.literals.get(node.text)
                if found is None:
                    found = self.shared.literals[node.text] = self.literal(node.text)
                return found
            case Sequence():
                return Seq([self.compile(i) for i in node.items])
            case Alternative():
                return Alt([self.compile(o) for o in node.options])
            case Optional():
                return Opt(self.compile(node.item))
            case SlotRef():
                table = self.tables(node.name)
                matcher = self.shared.matchers.get(id(table))
                if matcher is None:
                    matcher = self.shared.matchers[id(table)] = slot_matcher(self.mode, table)
                return Slot(node.key, matcher)
            case RuleRef():
                return self.rule(node.name)
            case _:
                assert_never(node)

    def rule(self, name: str) -> Matchable:
        rule = self.rules.get(name)
        if rule is None or name in self.stack:
            raise ValueError(f"unknown or looping rule <{name}>")
        slots = sorted(slot_names(rule.template.node, self.rules, self.shared.rule_slots))
        key = (name, tuple(id(self.tables(s)) for s in slots))
        found = self.shared.rules.get(key)
        if found is None:
            self.stack.append(name)
            found = self.shared.rules[key] = self.compile(rule.template.node)
            self.stack.pop()
        return found

    def literal(self, text: str) -> Lit:
        if self.mode == "text":
            return Lit(norm(text), ())
        chars = strip_text(text, self.skip)
        if self.mode not in PINYIN_MODES:
            return Lit(chars, ())
        fuzzy = self.mode != "plain"
        sets = tuple(frozenset(fuzzy_token(t) if fuzzy else t for t in token_readings(c))
                     for c in chars)
        if all(len(s) == 1 for s in sets):
            return Lit("".join(next(iter(s)) for s in sets), ())
        return Lit(None, sets)


def _union(a: Atoms, b: Atoms) -> Atoms:
    return None if a is None or b is None else a | b


def edge(node: Matchable, last: bool, memo: EdgeMemo) -> tuple[Atoms, bool]:
    """The characters ``node`` can start (``last``: end) with, and whether it can be empty."""
    key = (id(node), last)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _edge(node, last, memo)
    return found


def _edge(node: Matchable, last: bool, memo: EdgeMemo) -> tuple[Atoms, bool]:
    if isinstance(node, Lit):
        if node.size == 0:
            return frozenset(), True
        if node.text is not None:
            return frozenset(node.text[-1 if last else 0]), False
        return node.sets[-1 if last else 0], False
    if isinstance(node, Seq):
        out: Atoms = frozenset()
        for item in reversed(node.items) if last else node.items:
            atoms, empty = edge(item, last, memo)
            out = _union(out, atoms)
            if not empty:
                return out, False
        return out, True
    if isinstance(node, Alt):
        out, empty = frozenset(), False
        for option in node.options:
            atoms, option_empty = edge(option, last, memo)
            out, empty = _union(out, atoms), empty or option_empty
        return out, empty
    if isinstance(node, Opt):
        return edge(node.item, last, memo)[0], True
    return (node.matcher.lasts() if last else node.matcher.firsts()), False


def required(node: Matchable, memo: dict[int, frozenset[str]]) -> frozenset[str]:
    """Characters every parse of ``node`` contains."""
    found = memo.get(id(node))
    if found is not None:
        return found
    if isinstance(node, Lit):
        found = frozenset(node.text) if node.text is not None else \
            frozenset(next(iter(s)) for s in node.sets if len(s) == 1)
    elif isinstance(node, Seq):
        found = frozenset().union(*(required(i, memo) for i in node.items))
    elif isinstance(node, Alt):
        found = frozenset.intersection(*(required(o, memo) for o in node.options))
    else:
        found = frozenset()
    memo[id(node)] = found
    return found


@dataclass(frozen=True)
class Template:
    """One sentence template of one intent, compiled for one mode, with its prefilter."""

    intent: int  # index in the grammar's intents
    root: Matchable
    firsts: Atoms
    lasts: Atoms
    needs: frozenset[str]
    empty: bool

    @classmethod
    def build(cls, intent: int, root: Matchable, shared: Shared) -> Template:
        firsts, empty = edge(root, False, shared.edges)
        return cls(intent, root, firsts, edge(root, True, shared.edges)[0],
                   required(root, shared.needs), empty)

    def parse(self, ctx: Context) -> Parse | None:
        return self.root.ends(ctx, 0).get(ctx.n)


class StageIndex:
    """A mode's templates, indexed by the characters they can start with."""

    def __init__(self, templates: list[Template]) -> None:
        self.templates = templates
        self.by_first: dict[str, list[int]] = {}
        self.any_first: list[int] = []
        for i, template in enumerate(templates):
            if template.firsts is None or template.empty:
                self.any_first.append(i)
                continue
            for atom in template.firsts:
                self.by_first.setdefault(atom, []).append(i)

    def candidates(self, subject: str) -> list[Template]:
        """The templates that may match ``subject`` (in grammar order)."""
        if not subject:
            return [t for t in self.templates if t.empty]
        first = self.by_first.get(subject[0], [])
        ids = sorted(first + self.any_first) if self.any_first and first else \
            first or self.any_first
        chars = frozenset(subject)
        last = subject[-1]
        out = []
        for i in ids:
            template = self.templates[i]
            if template.lasts is not None and not template.empty and last not in template.lasts:
                continue
            if template.needs <= chars:
                out.append(template)
        return out
