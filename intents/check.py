"""Checking a loaded grammar: its test sentences, and sentences that two intents both match.

``check_grammar`` returns problems (with file:line:column and the intent) rather than raising:
a grammar can load and still have failing tests. Given the app's built-in actions it also reports
unknown action names and intents that cannot give their action the slots it needs.
"""

from __future__ import annotations

import itertools
from typing import assert_never

from intents.errors import Problem
from intents.grammar import check_actions, expand_rules
from intents.matcher import Matcher
from intents.model import Grammar, Intent, KnownActions, TestCase
from intents.slots import DigitsSlot, ListSlot, RangeSlot, spoken_number
from intents.template import Alternative, Literal, Node, Optional, RuleRef, Sequence, SlotRef

SAMPLES_PER_TEMPLATE = 24


def _same(expected: object, got: object) -> bool:
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(got, numbers):
        return float(expected) == float(got)
    return expected == got or str(expected) == str(got)


def check_test(matcher: Matcher, intent: Intent, test: TestCase) -> list[Problem]:
    where, key = test.loc, intent.key
    match = matcher.match(test.text)
    if match is None:
        return [Problem(where, f"test {test.text!r} is not understood", key)]
    if match.key != key:
        return [Problem(where, f"test {test.text!r} is understood as {match.key}", key)]
    problems = []
    for name, expected in test.slots.items():
        got = match.slots.get(name)
        if not _same(expected, got):
            problems.append(Problem(where, f"test {test.text!r}: slot {name} is {got!r}, "
                                    f"expected {expected!r}", key))
    rivals = [a.key for a in match.alternatives if a.confidence >= match.confidence - 0.02]
    if rivals:
        problems.append(Problem(where, f"test {test.text!r} matches {', '.join(rivals)} "
                                "equally well", key))
    return problems


def _sample_slot(grammar: Grammar, intent: Intent, ref: SlotRef) -> list[str]:
    slot_def = grammar.slot(intent, ref.name)
    slot = slot_def.slot if slot_def else None
    if isinstance(slot, ListSlot):
        return [v.spoken for v in slot.values[:2]] or []
    if isinstance(slot, RangeSlot):
        return [spoken_number(slot.values()[-1])[0]]
    if isinstance(slot, DigitsSlot):
        return [("幺三八零零一三八零零零" * 2)[: slot.min_len]]
    return ["明天上午开会"]


def samples(grammar: Grammar, intent: Intent, node: Node, limit: int) -> list[str]:
    """Up to ``limit`` sentences the (rule-expanded) tree produces, slots filled with samples."""
    match node:
        case Literal():
            return [node.text]
        case SlotRef():
            return _sample_slot(grammar, intent, node)
        case Optional():
            return ["", *samples(grammar, intent, node.item, limit)][:limit]
        case Alternative():
            parts = [samples(grammar, intent, o, limit) for o in node.options]
            return list(itertools.islice(itertools.chain(*parts), limit))
        case Sequence():
            out = [""]
            for item in node.items:
                tails = samples(grammar, intent, item, limit)
                out = [a + b for a, b in itertools.islice(itertools.product(out, tails), limit)]
            return out
        case RuleRef():
            return []  # the tree is expanded first: a rule reference produces nothing here
        case _:
            assert_never(node)


def overlaps(grammar: Grammar, matcher: Matcher) -> list[Problem]:
    """Sample sentences of one intent that another intent matches exactly as well."""
    problems: list[Problem] = []
    reported: set[tuple[str, str]] = set()
    for intent in grammar.intents:
        for template in intent.sentences:
            tree = expand_rules(template.node, grammar.rules)
            for sentence in samples(grammar, intent, tree, SAMPLES_PER_TEMPLATE):
                stage, found = matcher.candidates(sentence)
                if stage != "text" or not found:
                    continue
                top = found[0].confidence
                keys = [c.key for c in found if c.confidence >= top - 0.02]
                others = [k for k in keys if k != intent.key]
                if intent.key not in keys or not others:
                    continue
                pair = (intent.key, others[0])
                if pair in reported or pair[::-1] in reported:
                    continue
                reported.add(pair)
                other = grammar.intent(others[0])
                at = f" (defined at {other.loc})" if other else ""
                problems.append(Problem(template.loc, f"sentence {sentence!r} also matches "
                                        f"intent {others[0]}{at}", intent.key))
    return problems


def check_grammar(grammar: Grammar, matcher: Matcher | None = None,
                  known_actions: KnownActions | None = None) -> list[Problem]:
    """Failing tests and overlapping intents; with ``known_actions`` (the app's built-in
    actions), unknown actions and unserved action slots first."""
    matcher = matcher or Matcher(grammar)
    problems = check_actions(grammar, known_actions) if known_actions is not None else []
    problems += [p for intent in grammar.intents for test in intent.tests
                 for p in check_test(matcher, intent, test)]
    return problems + overlaps(grammar, matcher)
