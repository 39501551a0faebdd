"""Lingyin's phrasing test set (tests/data/phrasings/) scored through the text matcher.

Shared by ``bench/bench_phrasing.py`` (figures) and ``tests/test_phrasings.py`` (the floor).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from intents.matcher import Matcher
from intents.slots import WildcardSlot

ROOT = Path(__file__).resolve().parent.parent
PHRASINGS = ROOT / "tests" / "data" / "phrasings"


@dataclass(frozen=True)
class Case:
    text: str
    intent: str
    slots: dict[str, object]


@dataclass
class Score:
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[tuple[Case, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return sum(self.right.values()) / max(sum(self.total.values()), 1)


def load_commands(path: Path = PHRASINGS / "commands.yaml") -> list[Case]:
    data: dict[str, list[Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for intent, items in data.items():
        for item in items:
            text, slots = (item[0], item[1] if len(item) > 1 else {}) \
                if isinstance(item, list) else (item, {})
            out.append(Case(text, intent, dict(slots)))
    return out


def load_never(path: Path = PHRASINGS / "never.yaml") -> dict[str, list[str]]:
    data: dict[str, list[str]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return str(a) == str(b)


def verdict(matcher: Matcher, case: Case) -> str:
    """"" when ``case`` is understood with every slot right, else what came out."""
    match, reason = matcher.judge(case.text, typed=True)
    if match is None:
        return f"rejected ({reason})"
    got = f"{match.key} {match.slots}"
    if match.key != case.intent:
        return got
    slots = {k: v for k, v in match.slots.items() if v not in (None, "")}
    if not case.slots:  # a reminder written plain: its free-text slots are not compared
        slots = {k: v for k, v in slots.items() if not _free_text(matcher, match.key, k)}
    if set(slots) != set(case.slots) or not all(_same(slots[k], v)
                                                for k, v in case.slots.items()):
        return got
    return ""


def _free_text(matcher: Matcher, key: str, slot: str) -> bool:
    intent = matcher.grammar.intent(key)
    found = matcher.grammar.slot(intent, slot) if intent is not None else None
    return found is not None and isinstance(found.slot, WildcardSlot)


def score_commands(matcher: Matcher, cases: list[Case]) -> Score:
    score = Score()
    for case in cases:
        domain = case.intent.split(".")[0]
        score.total[domain] += 1
        why = verdict(matcher, case)
        if why:
            score.misses.append((case, why))
        else:
            score.right[domain] += 1
    return score


def performs(matcher: Matcher, text: str) -> str:
    """The intent a sentence that must not perform is taken as, or "" (a question intent —
    weather, time, a state question — may answer a question)."""
    match = matcher.match(text, typed=True)
    if match is None:
        return ""
    intent = matcher.grammar.intent(match.key)
    return "" if intent is not None and intent.question else match.key


def score_never(matcher: Matcher, never: dict[str, list[str]]) -> dict[str, list[tuple[str, str]]]:
    """Per group, the sentences that performed something (group ``other``: any match)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for group, texts in never.items():
        bad = []
        for text in texts:
            if group == "other":
                match = matcher.match(text, typed=True)
                if match is not None:
                    bad.append((text, match.key))
            elif found := performs(matcher, text):
                bad.append((text, found))
        out[group] = bad
    return out
