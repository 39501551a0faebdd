"""Text → (domain, intent, slots, confidence): exact matching first, then fuzzy stages.

Stages, tried in order until one matches (each on the text as given, then on its inverse text
normalisation when ``intents.itn`` is available):

===========  ==========  ==========================================================
stage        confidence  what it tolerates
===========  ==========  ==========================================================
``text``     1.00        nothing (case, spaces and punctuation aside)
``skip``     0.95        missing or extra skip words (请, 帮我, 一下, 吧…)
``plain``    0.85        homophones: the same toneless pinyin
``fuzzy``    0.75        near-homophones: zh/z, ch/c, sh/s, n/l, ing/in, eng/en
``loose``    0.80 × sim  list values heard wrongly: the nearest item by syllable distance
===========  ==========  ==========================================================

A free-text slot lowers the confidence a little (by a tenth of the share of the text it took),
so a sentence written out in full wins over a catch-all. Intents within ``margin`` of the best
are returned as alternatives; below ``threshold`` the text is rejected.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from intents.grammar import expand_rules, slot_refs
from intents.model import Grammar, Intent
from intents.patterns import MODES, Compiled, SlotPatterns, TemplateCompiler, literal_length
from intents.slot_values import resolve
from intents.slots import ListSlot, WildcardSlot
from intents.textnorm import Mapped, fuzzy_text, normalize, pinyin_text, strip_words

BASE = {"text": 1.0, "skip": 0.95, "plain": 0.85, "fuzzy": 0.75, "loose": 0.8}


@dataclass(frozen=True)
class Candidate:
    domain: str
    intent: str
    slots: dict[str, object]
    confidence: float

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.intent}"

    def to_json(self) -> dict[str, object]:
        return {"domain": self.domain, "intent": self.intent, "slots": self.slots,
                "confidence": round(self.confidence, 3)}


@dataclass(frozen=True)
class Match:
    text: str
    domain: str
    intent: str
    slots: dict[str, object]
    confidence: float
    stage: str
    alternatives: tuple[Candidate, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.intent}"

    @property
    def ambiguous(self) -> bool:
        """True when an alternative is as good as the match (the caller should ask)."""
        return any(a.confidence >= self.confidence - 0.02 for a in self.alternatives)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "domain": self.domain, "intent": self.intent,
                "slots": self.slots, "confidence": round(self.confidence, 3),
                "alternatives": [a.to_json() for a in self.alternatives]}


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


def _itn() -> Callable[[str], str] | None:
    try:
        module = importlib.import_module("intents.itn")
    except ImportError:
        return None
    normalize_text = getattr(module, "normalize", None)
    return normalize_text if callable(normalize_text) else None


class Matcher:
    def __init__(self, grammar: Grammar, threshold: float = 0.5, margin: float = 0.1,
                 itn: bool = True) -> None:
        self.grammar = grammar
        self.threshold = threshold
        self.margin = margin
        self.itn = _itn() if itn else None
        self.skip = tuple(grammar.skip_words)
        self.slot_patterns: dict[tuple[str, str], SlotPatterns] = {}
        self.compiled: dict[str, list[tuple[Intent, Compiled]]] = {}

    def _patterns(self, intent: Intent) -> dict[str, SlotPatterns]:
        out = {}
        for name in {r.name for t in intent.sentences
                     for r in slot_refs(expand_rules(t.node, self.grammar.rules))}:
            slot_def = self.grammar.slot(intent, name)
            if slot_def is None:
                raise ValueError(f"{intent.key}: unknown slot {name}")
            owner = intent.key if name in intent.slots else ""
            patterns = self.slot_patterns.get((owner, name))
            if patterns is None:
                patterns = self.slot_patterns[owner, name] = SlotPatterns(slot_def, self.skip)
            out[name] = patterns
        return out

    def _compile(self, mode: str) -> list[tuple[Intent, Compiled]]:
        if mode in self.compiled:
            return self.compiled[mode]
        out = []
        for intent in self.grammar.intents:
            patterns = self._patterns(intent)
            trees = [expand_rules(t.node, self.grammar.rules) for t in intent.sentences]
            if mode == "loose" and not any(isinstance(p.slot_def.slot, ListSlot)
                                           for p in patterns.values()):
                continue
            compiler = TemplateCompiler(mode, self.skip)
            body = "|".join(f"(?:{compiler.compile(t, patterns)})" for t in trees)
            out.append((intent, Compiled(re.compile(body), compiler.groups,
                                         min(literal_length(t) for t in trees))))
        self.compiled[mode] = out
        return out

    def warm(self) -> None:
        """Compile every stage (and the near-miss indexes) now rather than on first use."""
        for mode in MODES:
            self._compile(mode)
        for patterns in self.slot_patterns.values():
            if isinstance(patterns.slot_def.slot, ListSlot):
                patterns.nearest()

    def _variants(self, text: str) -> Iterator[Prepared]:
        first = Prepared(text, self.skip)
        yield first
        if self.itn is not None:
            normalized = self.itn(text)
            if normalized != text:
                yield Prepared(normalized, self.skip)

    def candidates(self, text: str) -> tuple[str, list[Candidate]]:
        """The matches of the first stage that has any, best first, and that stage's name."""
        variants: list[Prepared] = []
        source = self._variants(text)
        for mode in MODES:
            for index in range(2):
                if index >= len(variants):
                    nxt = next(source, None)
                    if nxt is None:
                        break
                    variants.append(nxt)
                found = self._stage(mode, variants[index])
                if found:
                    return mode, found
        return "", []

    def _stage(self, mode: str, prepared: Prepared) -> list[Candidate]:
        subject = prepared.subject(mode)
        best: dict[str, Candidate] = {}
        for intent, compiled in self._compile(mode):
            m = compiled.regex.fullmatch(subject)
            if m is None:
                continue
            candidate = self._candidate(mode, prepared, intent, compiled, m)
            if candidate is not None:
                best[intent.key] = candidate
        return sorted(best.values(), key=lambda c: -c.confidence)

    def _candidate(self, mode: str, prepared: Prepared, intent: Intent, compiled: Compiled,
                   m: re.Match[str]) -> Candidate | None:
        mapped = prepared.full if mode == "text" else prepared.stripped
        slots: dict[str, object] = {}
        confidence = BASE[mode]
        wild = 0
        for group, (key, patterns) in compiled.groups.items():
            start, end = m.span(group)
            if start < 0:
                continue
            resolved = resolve(mode, patterns, prepared, mapped, start, end)
            if resolved is None:
                return None
            slots[key], score = resolved
            confidence *= score
            if isinstance(patterns.slot_def.slot, WildcardSlot):
                wild += end - start
        if mapped.text:
            confidence *= 1 - 0.1 * wild / len(mapped.text)
        confidence *= 1 - 0.001 / (1 + compiled.literal_chars)  # longer literals rank first
        return Candidate(intent.domain, intent.name, slots, confidence)

    def match(self, text: str) -> Match | None:
        stage, found = self.candidates(text)
        if not found or found[0].confidence < self.threshold:
            return None
        top = found[0]
        alternatives = tuple(c for c in found[1:]
                             if c.confidence >= max(top.confidence - self.margin,
                                                    self.threshold))
        return Match(text, top.domain, top.intent, top.slots, top.confidence, stage,
                     alternatives)
