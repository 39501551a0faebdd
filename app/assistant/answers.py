"""Reading a short answer as slot values: 张三 after 打给谁？, 明天 in 明天呢, 五分钟 after
要计时多久？. The answer is matched against a tiny grammar made of the intent's own slot
definitions (so lists, numbers, digit strings and free text are read exactly as in a command),
built once per intent and set of slots."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

from intents.grammar import expand_rules, slot_refs
from intents.matcher import Matcher
from intents.model import Grammar, Intent, Template
from intents.slots import WildcardSlot
from intents.template import RuleRef, fixed_locator, parse_template, walk

LEAD = "[那|那么|那就|就|是|还有|打给|给|我要|要|换成|改成|查|查一下]"
TAIL = "[的|呢|吧|啊|呀|吗|了]"
MAX_TOGETHER = 2  # "上海明天呢": two slots in one answer, in either order


class AnswerReader:
    def __init__(self, min_confidence: float = 0.6) -> None:
        self.min_confidence = min_confidence
        self._matchers: dict[tuple[int, str, tuple[str, ...]], Matcher] = {}

    def read(self, grammar: Grammar, intent: Intent, names: Sequence[str],
             text: str) -> dict[str, object]:
        """The slot values ``text`` gives for ``names`` of ``intent`` (empty if none)."""
        defined = {n: grammar.slot(intent, n) for n in names}
        usable = tuple(n for n, d in defined.items() if d is not None)
        closed = tuple(n for n, d in defined.items()
                       if d is not None and not isinstance(d.slot, WildcardSlot))
        usable = closed or usable  # free text answers only when nothing else is asked for
        if not usable or not text.strip():
            return {}
        matcher = self._matcher(grammar, intent, usable)
        match = matcher.match(text)
        if match is None or match.confidence < self.min_confidence:
            return {}
        return dict(match.slots)

    def _matcher(self, grammar: Grammar, intent: Intent, names: tuple[str, ...]) -> Matcher:
        key = (id(grammar), intent.key, names)
        found = self._matchers.get(key)
        if found is None:
            if len(self._matchers) > 64:
                self._matchers.clear()
            found = self._matchers[key] = Matcher(_answer_grammar(grammar, intent, names))
        return found


def _slot_rules(grammar: Grammar, intent: Intent, names: tuple[str, ...]) -> list[str]:
    """Rules of the intent's sentences made only of the wanted slots and words (<时长>)."""
    found: dict[str, None] = {}
    for template in intent.sentences:
        for node in walk(template.node):
            if not isinstance(node, RuleRef) or (rule := grammar.rules.get(node.name)) is None:
                continue
            refs = {r.key for r in slot_refs(expand_rules(rule.template.node, grammar.rules))}
            if refs and refs <= set(names):
                found[node.name] = None
    return list(found)


def _answer_grammar(grammar: Grammar, intent: Intent, names: tuple[str, ...]) -> Grammar:
    locate = fixed_locator(intent.loc)
    bodies = [f"{{{n}}}" for n in names] + [f"<{r}>" for r in _slot_rules(grammar, intent, names)]
    bodies += ["".join(f"{{{n}}}[的]" for n in combo)
               for size in range(2, min(MAX_TOGETHER, len(names)) + 1)
               for combo in itertools.permutations(names, size)]
    sentences = tuple(Template(text, parse_template(text, locate), intent.loc)
                      for text in (f"{LEAD}{body}{TAIL}" for body in bodies))
    answer = replace(intent, domain="answer", name="slots", sentences=sentences, tests=(),
                     replies=(), action=None, confirm=False)
    return replace(grammar, intents=(answer,))
