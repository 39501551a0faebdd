"""Loading a grammar: one YAML file or a folder of them, merged and checked as a whole.

``load_grammar`` either returns a complete :class:`~intents.model.Grammar` or raises
:class:`~intents.errors.GrammarErrors` listing every problem with its file:line:column. Given the
app's built-in actions (``known_actions``), an unknown action name, or an intent whose slots
cannot give an action what it needs, is one of those problems.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypeVar, assert_never

from intents.errors import Collector, GrammarError, GrammarErrors, Loc, Problem
from intents.grammar_file import FilePart, FileReader
from intents.model import REPLY_SLOT, Grammar, Intent, KnownActions, Rule
from intents.template import (
    Alternative,
    Literal,
    Node,
    Optional,
    RuleRef,
    Sequence,
    SlotRef,
    walk,
)
from intents.yamlnodes import compose_file

GRAMMAR_SUFFIXES = (".yaml", ".yml")
T = TypeVar("T")


def default_lists_dir(path: Path) -> Path:
    """``lists/`` inside a grammar folder, or beside a single grammar file."""
    return path / "lists" if path.is_dir() else path.parent / "lists"


def grammar_files(path: Path) -> list[Path]:
    """The YAML files of a grammar: the file itself, or every one under the folder."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise GrammarError(Loc(str(path), 1, 1), "no such grammar file or folder")
    files = sorted(p for p in path.rglob("*") if p.suffix in GRAMMAR_SUFFIXES and p.is_file())
    if not files:
        raise GrammarError(Loc(str(path), 1, 1), "no .yaml grammar files in this folder")
    return files


def load_grammar(path: str | Path, lists_dir: str | Path | None = None,
                 known_actions: KnownActions | None = None) -> Grammar:
    """The grammar at ``path``; ``known_actions``: check action names and the slots they need
    (None: any action name is accepted)."""
    path = Path(path)
    lists = Path(lists_dir) if lists_dir is not None else default_lists_dir(path)
    try:
        files = grammar_files(path)
    except GrammarError as exc:
        raise GrammarErrors([exc.problem]) from None
    problems = Collector()
    parts = []
    for file in files:
        try:
            root = compose_file(file)
        except GrammarError as exc:
            problems.add_error(exc)
            continue
        parts.append(FileReader(str(file), lists, problems).read(root))
    grammar = merge(parts, problems, tuple(files), lists)
    check(grammar, problems, {name for part in parts for name in part.broken_slots},
          known_actions)
    problems.raise_if_any()
    return grammar


def _unique(items: Iterable[tuple[str, Loc, T]], what: str, problems: Collector) -> dict[str, T]:
    out: dict[str, T] = {}
    first: dict[str, Loc] = {}
    for key, loc, item in items:
        if key in out:
            problems.add(loc, f"duplicate {what} {key!r}, first defined at {first[key]}",
                         key if what == "intent" else None)
            continue
        out[key], first[key] = item, loc
    return out


def merge(parts: list[FilePart], problems: Collector, files: tuple[Path, ...],
          lists_dir: Path) -> Grammar:
    rules = _unique(((r.name, r.template.loc, r) for p in parts for r in p.rules), "rule",
                    problems)
    slots = _unique(((s.name, s.loc, s) for p in parts for s in p.slots), "slot", problems)
    intents = _unique(((i.key, i.loc, i) for p in parts for i in p.intents), "intent", problems)
    language = "zh-CN"
    languages = [p.language for p in parts if p.language]
    if languages:
        language = languages[0][0]
        for other, loc in languages[1:]:
            if other != language:
                problems.add(loc, f"language {other!r} differs from {language!r} at "
                             f"{languages[0][1]}")
    skip = tuple(dict.fromkeys(w for p in parts for w in p.skip_words))
    if not intents and not problems.problems:
        problems.add(Loc(str(files[0]), 1, 1), "the grammar has no intents")
    synonyms = {w: c for p in parts for w, c in p.synonyms.items()}
    return Grammar(tuple(intents.values()), slots, rules, skip, language, files, lists_dir,
                   tuple(sorted(synonyms.items(), key=lambda wc: -len(wc[0]))))


def expand_rules(node: Node, rules: Mapping[str, Rule], stack: tuple[str, ...] = ()) -> Node:
    """``node`` with every ``<rule>`` replaced by its tree (rules must exist and not loop)."""
    match node:
        case RuleRef():
            if node.name in stack:
                raise GrammarError(node.loc, f"rule <{node.name}> refers to itself through "
                                   f"{' → '.join((*stack, node.name))}")
            rule = rules.get(node.name)
            if rule is None:
                raise GrammarError(node.loc, f"unknown rule <{node.name}>")
            return expand_rules(rule.template.node, rules, (*stack, node.name))
        case Sequence():
            return Sequence(tuple(expand_rules(i, rules, stack) for i in node.items), node.loc)
        case Alternative():
            return Alternative(tuple(expand_rules(o, rules, stack) for o in node.options),
                               node.loc)
        case Optional():
            return Optional(expand_rules(node.item, rules, stack), node.loc)
        case Literal() | SlotRef():
            return node
        case _:
            assert_never(node)


def slot_refs(node: Node) -> list[SlotRef]:
    """The slot references of an expanded tree."""
    return [n for n in walk(node) if isinstance(n, SlotRef)]


def _most(node: Node) -> dict[str, int]:
    """How often each capture can occur on one path through ``node`` (an expanded tree)."""
    out: dict[str, int] = {}
    match node:
        case SlotRef():
            out[node.key] = 1
        case Sequence():
            for child in node.items:
                for key, n in _most(child).items():
                    out[key] = out.get(key, 0) + n
        case Alternative():
            for child in node.options:
                for key, n in _most(child).items():
                    out[key] = max(out.get(key, 0), n)
        case Optional():
            out = _most(node.item)
        case Literal() | RuleRef():
            pass
        case _:
            assert_never(node)
    return out


def check_intent(grammar: Grammar, intent: Intent, problems: Collector,
                 broken: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """Problems of one intent's templates, replies and tests; returns its captures."""
    captures: set[str] = set()
    for template in intent.sentences:
        try:
            tree = expand_rules(template.node, grammar.rules)
        except GrammarError as exc:
            problems.add_error(exc, intent.key)
            continue
        for ref in slot_refs(tree):
            captures.add(ref.key)
            if grammar.slot(intent, ref.name) is None and ref.name not in broken:
                problems.add(ref.loc, f"unknown slot {{{ref.name}}}", intent.key)
        for key, count in _most(tree).items():
            if count > 1:
                problems.add(template.loc, f"slot {{{key}}} can occur {count} times in one "
                             "sentence; name the captures, e.g. {city:from} and {city:to}",
                             intent.key)
    for reply in intent.replies:
        for m in REPLY_SLOT.finditer(reply.text):
            if m.group(1) not in captures:
                problems.add(reply.loc, f"reply uses {{{m.group(1)}}}, which no sentence of the "
                             "intent captures", intent.key)
    for name, loc in intent.custom.slots if intent.custom else ():
        if name not in captures:
            problems.add(loc, f"action uses {{{name}}}, which no sentence of the intent "
                         "captures", intent.key)
    for test in intent.tests:
        for key in test.slots:
            if key not in captures:
                problems.add(test.loc, f"test expects slot {key!r}, which no sentence of the "
                             "intent captures", intent.key)
    return captures


def check(grammar: Grammar, problems: Collector,
          broken: set[str] | frozenset[str] = frozenset(),
          known_actions: KnownActions | None = None) -> None:
    """Unknown rules and slots, rule loops, replies or tests naming slots never captured
    (``broken``: slots whose definition already had a problem) and, with ``known_actions``,
    actions Lingyin does not have or cannot serve."""
    for rule in grammar.rules.values():
        try:
            expand_rules(rule.template.node, grammar.rules, (rule.name,))
        except GrammarError as exc:
            problems.add_error(exc)
    for intent in grammar.intents:
        captures = check_intent(grammar, intent, problems, broken)
        if known_actions is not None:
            problems.extend(action_problems(intent, captures, known_actions))


def intent_captures(grammar: Grammar, intent: Intent) -> set[str]:
    """The slot captures (``{slot}`` or ``{slot:name}`` names) of the intent's sentences."""
    captures: set[str] = set()
    for template in intent.sentences:
        try:
            tree = expand_rules(template.node, grammar.rules)
        except GrammarError:
            continue  # reported by check_intent
        captures.update(ref.key for ref in slot_refs(tree))
    return captures


def check_actions(grammar: Grammar, known_actions: KnownActions) -> list[Problem]:
    """:func:`action_problems` of every intent (for a grammar loaded without them)."""
    return [p for intent in grammar.intents
            for p in action_problems(intent, intent_captures(grammar, intent), known_actions)]


def action_problems(intent: Intent, captures: set[str],
                    known_actions: KnownActions) -> list[Problem]:
    """A built-in action name Lingyin does not have; an intent none of whose captures is a slot
    its action needs (it would ask 要打开哪个应用？ after every command); the same for an intent
    named like a built-in action, which the assistant asks about by its name."""
    name, key = intent.action, intent.key
    if intent.custom is not None or name is None:
        needs = {key: known_actions[key]} if key in known_actions else {}
    elif name not in known_actions:
        return [Problem(intent.loc, _unknown_action(name, known_actions), key)]
    else:
        needs = {name: known_actions[name]}
        if key != name and key in known_actions:
            needs[key] = known_actions[key]
    have = ", ".join(sorted(captures)) or "no slots"
    return [Problem(intent.loc, f"{who} needs one of the slots {', '.join(need.any_of)}; "
                    f"this intent has {have}", key)
            for who, need in needs.items() if need.any_of and not captures & set(need.any_of)]


def _unknown_action(name: str, known_actions: KnownActions) -> str:
    close = difflib.get_close_matches(name, list(known_actions), n=3, cutoff=0.75)
    domain = [k for k in known_actions if k.split(".")[0] == name.split(".")[0]]
    if close:
        hint = f"did you mean {' or '.join(close)}?"
    elif domain:
        hint = f"the {name.split('.')[0]} actions are {', '.join(domain)}"
    else:
        hint = "the built-in actions are listed in docs/grammar.md; a custom action is " \
            "written {run: [...]}, {open: ...} or {http: ...}"
    return f"unknown action {name!r} ({hint})"
