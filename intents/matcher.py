"""Text → (domain, intent, slots, confidence): exact matching first, then fuzzy stages.

Stages (the table in :mod:`intents.stages`), tried in order until one matches (each on the text
as given, then on its inverse text normalisation when ``intents.itn`` is available):

===========  ==========  ==========================================================
stage        confidence  what it tolerates
===========  ==========  ==========================================================
``text``     1.00        nothing (case, spaces and punctuation aside)
``skip``     0.95        missing or extra skip words (请, 帮我, 一下, 吧…)
``plain``    0.85        homophones: the same toneless pinyin
``fuzzy``    0.75        near-homophones: zh/z, ch/c, sh/s, n/l, ing/in, eng/en
``loose``    0.80 × sim  list values heard wrongly: the nearest item by syllable distance
===========  ==========  ==========================================================

Every template of every intent is parsed completely (:mod:`intents.engine`) and the best parse
counts: more literal text and less free text. A free-text slot lowers the confidence (to 0.94,
less a tenth of the share of the text it took), so a sentence written out in full wins over a
catch-all, also one written out in full but for skip words: when the ``text`` stage has only
free-text parses, the ``skip`` stage is tried too and the better of both wins. Free text does not
take the skip words at its ends (打电话给妈妈吧 → 妈妈). Intents within ``margin`` of the best are
returned as alternatives; below ``threshold`` the text is rejected.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from intents.engine import Compiler, Parse, Shared, StageIndex, Template, slot_names
from intents.model import Grammar, Intent
from intents.prepared import Context, Prepared
from intents.sentence_kind import SentenceKind, allows, sentence_kind
from intents.slot_tables import SlotTable
from intents.slot_values import Near, OutOfRange
from intents.slots import ListSlot, WildcardSlot
from intents.stages import BASE, BY_NAME, MODES, TYPED_MODES
from intents.template import Literal, RuleRef, walk
from intents.textnorm import norm

WILDCARD = 0.94  # a free-text parse's confidence factor at most
# below this confidence a command is confirmed before it is performed (你是说…吗？): a list value
# heard wrongly (loose stage), near-homophones (fuzzy stage), a command found in one clause
UNSURE_BELOW = 0.8
# a list value heard wrongly must still be this similar (syllables) to its item: one syllable in
# three wrong (电脑锁屏 → 那些年) is a different sentence, not a mishearing
NEAR_MIN = 0.75
NEAR_SAME = 0.99  # a free-text value that sounds exactly like a list item (near-homophones)
CLAUSE = re.compile(r"[，,。.!！？?；;、…~～]+")
CLAUSE_FACTOR = 0.97  # a command found in one clause of several
# a clause that states how things are (太暗了, 我要睡觉了) rather than asks for something
STATEMENT = re.compile(r"^(我要|我想|我|太|好|有点|真|屋里|家里|天)")
MAX_TEXT = 200  # characters: longer input is not one command (and would cost seconds)


@dataclass(frozen=True)
class Candidate:
    domain: str
    intent: str
    slots: dict[str, object]
    confidence: float
    problems: tuple[OutOfRange, ...] = ()  # with their slot names in ``problem_slots``
    problem_slots: tuple[str, ...] = ()

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
    confirm: bool = False  # the intent asks before acting (grammar ``confirm: true``)
    out_of_range: dict[str, OutOfRange] = field(default_factory=dict)  # slot → the number said

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.intent}"

    @property
    def unsure(self) -> bool:
        """Too little confidence to act without asking (你是说…吗？)."""
        return self.confidence < UNSURE_BELOW

    @property
    def ambiguous(self) -> bool:
        """True when an alternative is as good as the match (the caller should ask)."""
        return any(a.confidence >= self.confidence - 0.02 for a in self.alternatives)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "domain": self.domain, "intent": self.intent,
                "slots": self.slots, "confidence": round(self.confidence, 3),
                "alternatives": [a.to_json() for a in self.alternatives],
                "stage": self.stage, "confirm": self.confirm or self.unsure,
                **({"out_of_range": {k: {"value": v.number, "min": v.slot.start,
                                         "max": v.slot.stop, "unit": v.slot.unit}
                                     for k, v in self.out_of_range.items()}}
                   if self.out_of_range else {})}


def _itn() -> Callable[[str], str] | None:
    try:
        module = importlib.import_module("intents.itn")
    except ImportError:
        return None
    normalize_text = getattr(module, "normalize", None)
    return normalize_text if callable(normalize_text) else None


class _Variants:
    """The text as heard, its inverse text normalisation, and both with the grammar's synonyms
    read (冷气 → 空调, light → 灯), each computed when first needed."""

    def __init__(self, text: str, skip: tuple[str, ...],
                 itn: Callable[[str], str] | None,
                 synonyms: Callable[[str], str] | None = None) -> None:
        self.skip = skip
        self.items: list[Prepared] = [Prepared(text, skip)]
        self.seen = {text}
        keep: Callable[[str], str] = lambda t: t  # noqa: E731 - the identity, for the list below
        read = synonyms or keep
        normal = itn or keep
        self.pending: list[Callable[[], str]] = [lambda: normal(text), lambda: read(text),
                                                 lambda: normal(read(text))]

    def get(self, index: int) -> Prepared | None:
        while index >= len(self.items) and self.pending:
            form = self.pending.pop(0)()
            if form not in self.seen:
                self.seen.add(form)
                self.items.append(Prepared(form, self.skip))
        return self.items[index] if index < len(self.items) else None


def _synonym_pattern(synonyms: tuple[tuple[str, str], ...]) -> re.Pattern[str] | None:
    """One pattern for every synonym, longest first; Latin words only as whole words
    (light, not lights… inside another word)."""
    if not synonyms:
        return None
    parts = [rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])" if w.isascii() else re.escape(w)
             for w, _ in synonyms]
    return re.compile("|".join(parts), re.IGNORECASE)


Found = dict[str, tuple[Candidate, str]]  # intent key → (best candidate, its stage)


class Matcher:
    def __init__(self, grammar: Grammar, threshold: float = 0.5, margin: float = 0.1,
                 itn: bool = True) -> None:
        self.grammar = grammar
        self.threshold = threshold
        self.margin = margin
        self.itn = _itn() if itn else None
        self.skip = tuple(grammar.skip_words)
        self.trim_words = tuple(sorted({norm(w) for w in self.skip if norm(w)},
                                       key=len, reverse=True))
        self.tables: dict[tuple[str, str], SlotTable] = {}
        self.stages: dict[str, StageIndex] = {}
        self._slots: dict[str, set[str]] = {}
        self._rule_slots: dict[str, frozenset[str]] = {}
        self._words: dict[str, str] = {}
        self._synonyms = dict(grammar.synonyms)
        self._synonym_re = _synonym_pattern(grammar.synonyms)

    def _table(self, intent: Intent, name: str) -> SlotTable:
        slot_def = self.grammar.slot(intent, name)
        if slot_def is None:
            raise ValueError(f"{intent.key}: unknown slot {name}")
        owner = intent.key if name in intent.slots else ""
        table = self.tables.get((owner, name))
        if table is None:
            table = self.tables[owner, name] = SlotTable(slot_def, self.skip)
        return table

    def _slot_names(self, intent: Intent) -> set[str]:
        found = self._slots.get(intent.key)
        if found is None:
            found = self._slots[intent.key] = {
                name for t in intent.sentences
                for name in slot_names(t.node, self.grammar.rules, self._rule_slots)}
        return found

    def _stage_index(self, mode: str) -> StageIndex:
        found = self.stages.get(mode)
        if found is not None:
            return found
        templates: list[Template] = []
        shared = Shared(rule_slots=self._rule_slots)
        for index, intent in enumerate(self.grammar.intents):
            if BY_NAME[mode].near_lists and not any(
                    isinstance(self._table(intent, name).slot_def.slot, ListSlot)
                    for name in self._slot_names(intent)):
                continue
            compiler = Compiler(mode, self.skip, self.grammar.rules,
                                functools.partial(self._table, intent), shared)
            templates.extend(Template.build(index, compiler.compile(t.node), shared)
                             for t in intent.sentences)
        found = self.stages[mode] = StageIndex(templates)
        return found

    def warm(self) -> None:
        """Compile every stage (and the near-miss indexes) now rather than on first use."""
        for mode in MODES:
            self._stage_index(mode)
        for table in self.tables.values():
            if isinstance(table.slot_def.slot, ListSlot):
                table.nearest()

    def candidates(self, text: str, refused: dict[str, str] | None = None,
                   typed: bool = False) -> tuple[str, list[Candidate]]:
        """The matches of the first stage that has any, best first, and that stage's name
        (``typed``: only the stages that compare characters, see ``TYPED_MODES``).

        The ``text`` and ``skip`` stages count as one when the ``text`` stage has only free-text
        parses: a sentence written out in full but for skip words beats free text."""
        variants = _Variants(text, self.skip, self.itn, self._read_synonyms)
        kind = sentence_kind(text)
        refused = {} if refused is None else refused
        found: Found = {}
        for mode in TYPED_MODES if typed else MODES:
            for index in range(4):
                prepared = variants.get(index)
                if prepared is None:
                    break
                if self._stage(mode, prepared, found, kind, refused):
                    break
            if self._settled(mode, found):
                break
        ranked = sorted(found.values(), key=lambda cs: -cs[0].confidence)
        return (ranked[0][1] if ranked else ""), [c for c, _ in ranked]

    @staticmethod
    def _settled(mode: str, found: Found) -> bool:
        """No later stage (or variant) is needed: ``text`` needs a parse better than any of
        the ``skip`` stage."""
        if mode != "text":
            return bool(found)
        return any(c.confidence >= BASE["skip"] for c, _ in found.values())

    def _stage(self, mode: str, prepared: Prepared, found: Found, kind: SentenceKind,
               refused: dict[str, str]) -> bool:
        """Add the parses of ``mode`` to ``found``; whether there were any. An intent that may
        not take a sentence of this ``kind`` goes to ``refused`` (intent key → why) instead."""
        ctx = Context(prepared, mode, self.trim_words)
        hit = False
        for template in self._stage_index(mode).candidates(ctx.subject):
            parse = template.parse(ctx)
            if parse is None:
                continue
            intent = self.grammar.intents[template.intent]
            why = self.refusal(kind, intent)
            if why:
                refused.setdefault(intent.key, why)
                continue
            candidate = self._candidate(mode, ctx, intent, parse)
            if candidate is None:
                continue
            hit = True
            old = found.get(intent.key)
            if old is None or candidate.confidence > old[0].confidence:
                found[intent.key] = (candidate, mode)
        return hit

    @staticmethod
    def _candidate(mode: str, ctx: Context, intent: Intent, parse: Parse) -> Candidate | None:
        literal, wild, score, captures = parse
        slots: dict[str, object] = {}
        problems: list[tuple[str, OutOfRange]] = []
        for key, value in captures:
            if isinstance(value, OutOfRange):
                slots[key] = value.number
                problems.append((key, value))
            elif isinstance(value, Near):
                near = value.resolve(ctx)
                if near is None or near[1] < NEAR_MIN:
                    return None
                slots[key], score = near[0], score / Near.PENDING * near[1]
            else:
                slots[key] = value
        confidence = BASE[mode] * score
        if wild:
            confidence *= WILDCARD - 0.1 * wild / max(ctx.n, 1)
        confidence *= 1 - 0.001 / (1 + literal)  # more literal text ranks first
        return Candidate(intent.domain, intent.name, slots, confidence,
                         tuple(p for _, p in problems), tuple(k for k, _ in problems))

    def _read_synonyms(self, text: str) -> str:
        if self._synonym_re is None:
            return text
        return self._synonym_re.sub(lambda m: self._synonyms.get(m.group(0))
                                    or self._synonyms.get(m.group(0).lower(), m.group(0)), text)

    def words(self, intent: Intent) -> str:
        """The literal text of ``intent``'s sentences and the rules they use, ``|``-joined."""
        found = self._words.get(intent.key)
        if found is None:
            parts: list[str] = []
            seen: set[str] = set()
            todo = [t.node for t in intent.sentences]
            while todo:
                for node in walk(todo.pop()):
                    if isinstance(node, Literal):
                        parts.append(node.text)
                    elif isinstance(node, RuleRef) and node.name not in seen:
                        seen.add(node.name)
                        rule = self.grammar.rules.get(node.name)
                        if rule is not None:
                            todo.append(rule.template.node)
            found = self._words[intent.key] = "|".join(parts) + "|"
        return found

    def refusal(self, kind: SentenceKind, intent: Intent) -> str:
        """Why ``intent`` may not take a sentence of ``kind`` ("" when it may)."""
        if kind.plain:
            return ""
        return allows(kind, intent.question, self.words(intent))

    def match(self, text: str, typed: bool = False) -> Match | None:
        return self.judge(text, typed)[0]

    def judge(self, text: str, typed: bool = False) -> tuple[Match | None, str]:
        """The match, or None and why: ``no_match``, ``low_confidence``, ``question:吗`` (asked
        as a question, and no question intent matched), ``negation:不要关`` (said not to),
        ``several_commands`` (two clauses, two different commands).

        A sentence no template matches whole is tried clause by clause (太黑了，开个灯 → 开个灯):
        the command of the last clause counts when every clause that is one is of the same
        domain; commands of two domains are refused (one command at a time)."""
        if len(text) > MAX_TEXT:
            return None, f"too_long: a command has at most {MAX_TEXT} characters"
        match, reason = self._judge_whole(text, typed)
        if match is not None:
            return match, reason
        clauses = [c for c in CLAUSE.split(text) if c.strip()]
        if len(clauses) < 2:
            return None, reason
        judged = [self._judge_whole(c, typed) for c in clauses]
        refused = next((why for m, why in judged
                        if m is None and why.startswith(("question:", "negation:"))), "")
        if refused:  # 别把冷气调到十六度，太冷了: no clause acts on its own
            return None, refused
        found = [m for m, _ in judged if m is not None]
        if not found:
            return None, reason
        if len({m.domain for m in found}) > 1:
            return None, "several_commands"
        # the same domain: a command over a statement (我要睡觉了，帮我把灯关掉), then the clause
        # that says the most (温度调到十八度吧，太热了), else the last (太暗了，把灯调亮点)
        commands = [m for m in found if not STATEMENT.match(m.text)] or found
        best = max(reversed(commands), key=lambda m: len(m.slots))
        return Match(text, best.domain, best.intent, best.slots, best.confidence * CLAUSE_FACTOR,
                     best.stage, best.alternatives, best.confirm, best.out_of_range), ""

    def _judge_whole(self, text: str, typed: bool = False) -> tuple[Match | None, str]:
        refused: dict[str, str] = {}
        stage, found = self.candidates(text, refused, typed)
        if not found or found[0].confidence < self.threshold:
            if found:
                return None, "low_confidence"
            kind = sentence_kind(text)  # nothing matched: say what the sentence is, if it says
            default = f"question:{kind.question}" if kind.question else \
                f"negation:{kind.negation}" if kind.negation else "no_match"
            return None, next(iter(refused.values()), default)
        top = found[0]
        alternatives = tuple(c for c in found[1:]
                             if c.confidence >= max(top.confidence - self.margin,
                                                    self.threshold))
        intent = self.grammar.intent(top.key)
        slots, confidence = top.slots, top.confidence
        if intent is not None:
            listed = self._listed_instead(intent, slots)
            if listed is not None:  # 给张山打电话 → the contact 张三, asked first
                slots, confidence = listed, min(confidence, UNSURE_BELOW - 0.01)
        return Match(text, top.domain, top.intent, slots, confidence, stage,
                     alternatives, intent is not None and intent.confirm,
                     dict(zip(top.problem_slots, top.problems, strict=True))), ""

    def _listed_instead(self, intent: Intent, slots: dict[str, object]
                        ) -> dict[str, object] | None:
        """``slots`` with a free-text value replaced by the list item it sounds like (the same
        syllables but for near-homophones: 张山 → 张三), or None when there is none."""
        for key, value in slots.items():
            slot_def = self.grammar.slot(intent, key)
            if slot_def is None or not isinstance(slot_def.slot, WildcardSlot) \
                    or not isinstance(value, str) or not value:
                continue
            heard = Prepared(value, self.skip).fuzzy
            best: tuple[float, str, object] | None = None
            for name in self._slot_names(intent):
                table = self._table(intent, name)
                if not isinstance(table.slot_def.slot, ListSlot):
                    continue
                near = table.nearest().best(heard)
                if near is not None and near[1] >= NEAR_SAME and (best is None or
                                                                  near[1] > best[0]):
                    best = (near[1], name, near[0])
            if best is not None:
                out = {k: v for k, v in slots.items() if k != key}
                out[best[1]] = best[2]
                return out
        return None
