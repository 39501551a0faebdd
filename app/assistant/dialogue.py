"""The conversation as a pure state machine: understood turns in, steps out (perform an intent,
or say something), no I/O and no clock of its own (``t`` comes with each turn).

- **Slot prompts**: an intent without what it needs (resources/assistant: ``required``) asks for
  it (打电话 → 打给谁？ → 张三), reading the answer with the intent's own slot definitions.
- **Confirmation** for intents marked ``confirm`` (要打给张三吗？ → 对 / 不).
- **Questions lapse**: an answer counts only within ``question_seconds`` of the question (or
  until ``lapse()``, when the listener's answer window closed unanswered); later, the turn starts
  fresh, so a 好 an hour after 确定要关机吗？ shuts nothing down.
- **Cancel** at any point (算了, 取消), **repeat** (再说一遍) the last reply.
- **Follow-ups** that reuse the last command: 再大一点 / 再小一点 (the same direction, the right
  intent for what was changed last), and 明天呢 / 上海呢 / 那卧室呢 (the last command again with
  those slots replaced).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from app.assistant.answers import AnswerReader
from app.assistant.policy import Policy, normalise
from intents.model import Grammar, Intent


@dataclass(frozen=True)
class Heard:
    """One turn as understood: an intent with slots, or ``rejected`` with what was heard."""

    text: str
    domain: str = ""
    intent: str = ""
    slots: Mapping[str, object] = field(default_factory=dict)
    rejected: bool = False
    unsure: bool = False  # understood with little confidence: ask 你是说…吗？ before acting
    # slot → (value, min, max, unit) for a number outside the slot's range: say the range
    out_of_range: Mapping[str, tuple[object, object, object, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.intent}" if self.intent and not self.rejected else ""


@dataclass(frozen=True)
class Step:
    kind: str  # "perform" or "say"
    reply: str | None = None  # for "say"
    expect_reply: bool = False
    intent: Intent | None = None  # for "perform"
    slots: Mapping[str, object] = field(default_factory=dict)
    text: str = ""  # what the command was (for the action's request)


class Phase(StrEnum):
    READY = "ready"
    ASKING = "asking"  # for a missing slot
    CONFIRMING = "confirming"


@dataclass
class _Pending:
    intent: Intent
    slots: dict[str, object]
    text: str
    tries: int = 0
    confirmed: bool = False
    unsure: bool = False
    asked: float = 0.0  # when the question was (last) asked


@dataclass(frozen=True)
class _Last:
    intent: str
    slots: Mapping[str, object]
    t: float


class Dialogue:
    def __init__(self, policy: Policy, answers: AnswerReader | None = None) -> None:
        self.policy = policy
        self.answers = answers or AnswerReader()
        self.phase = Phase.READY
        self._pending: _Pending | None = None
        self._last: _Last | None = None
        self._last_reply: str | None = None

    # ---- what the assistant reports back ------------------------------------------------------
    def performed(self, intent_key: str, slots: Mapping[str, object], t: float) -> None:
        self._last = _Last(intent_key, dict(slots), t)

    def said(self, reply: str) -> None:
        self._last_reply = reply

    @property
    def confirming(self) -> tuple[Intent, Mapping[str, object], str] | None:
        """The intent, slots and text a confirmation question is pending for, else None."""
        pending = self._pending
        if self.phase is not Phase.CONFIRMING or pending is None:
            return None
        return pending.intent, dict(pending.slots), pending.text

    def lapse(self) -> None:
        """The question went unanswered (the listener's answer window closed): drop it."""
        self._reset()

    # ---- one turn -------------------------------------------------------------------------
    def turn(self, heard: Heard, grammar: Grammar, t: float) -> Step:
        if self._pending is not None and t - self._pending.asked > self.policy.question_seconds:
            self._reset()  # too late to be the answer: a fresh turn
        step = self._turn(heard, grammar, t)
        if step.expect_reply and self._pending is not None:
            self._pending.asked = t
        return step

    def _turn(self, heard: Heard, grammar: Grammar, t: float) -> Step:
        words = normalise(heard.text)
        if heard.key == "assistant.repeat":
            return self._say(self._last_reply or self.policy.text("nothing_to_repeat"), False,
                             remember=False)
        if heard.key == "assistant.cancel" or (self._pending and words in self.policy.cancel):
            return self._cancel()
        if self.phase is Phase.CONFIRMING:
            step = self._on_confirming(heard, words)
            if step is not None:
                return step
        elif self.phase is Phase.ASKING:
            step = self._on_asking(heard, grammar)
            if step is not None:
                return step
        return self._on_ready(heard, grammar, words, t)

    def _on_confirming(self, heard: Heard, words: str) -> Step | None:
        pending = self._pending
        assert pending is not None
        if words in self.policy.yes:
            pending.confirmed = True
            return self._proceed(pending)
        if words in self.policy.no:
            return self._cancel()
        if heard.key:  # something else entirely: that is the new command
            self._reset()
            return None
        pending.tries += 1
        if pending.tries >= 2:
            return self._cancel()
        return self._say(self.policy.text("ask_again"), True)

    def _on_asking(self, heard: Heard, grammar: Grammar) -> Step | None:
        pending = self._pending
        assert pending is not None
        required = self.policy.required[pending.intent.key]
        values = self.answers.read(grammar, pending.intent, required.any_of, heard.text)
        if values:
            pending.slots.update(values)
            return self._proceed(pending)
        if heard.key:
            self._reset()
            return None
        pending.tries += 1
        if pending.tries >= 2:
            self._reset()
            return self._say(self.policy.text("not_understood"), False)
        return self._say(required.ask, True)

    def _on_ready(self, heard: Heard, grammar: Grammar, words: str, t: float) -> Step:
        follow = self._follow_up(heard, grammar, words, t)
        if follow is not None:
            return self._proceed(follow)
        intent = grammar.intent(heard.key) if heard.key else None
        if intent is None:
            return self._say(self.policy.text("not_understood"), False)
        for slot, (value, low, high, unit) in heard.out_of_range.items():
            key = f"out_of_range_{slot}"
            key = key if key in self.policy.texts else "out_of_range"
            return self._say(self.policy.text(key, value=value, min=low, max=high, unit=unit),
                             False)
        return self._proceed(_Pending(intent, dict(heard.slots), heard.text,
                                      unsure=heard.unsure and not intent.question))

    def _follow_up(self, heard: Heard, grammar: Grammar, words: str,
                   t: float) -> _Pending | None:
        last = self._last
        if last is None or t - last.t > self.policy.follow_up_seconds:
            return None
        for direction in (self.policy.more, self.policy.less):
            target = direction.target(last.intent) if words in direction.phrases else None
            intent = grammar.intent(target) if target else None
            if intent is not None:
                return _Pending(intent, dict(last.slots), heard.text)
        intent = grammar.intent(last.intent)
        if intent is None or not (words.endswith("呢") or heard.text.rstrip("？?").endswith("呢")
                                  or words.startswith("那")):
            return None
        names = [n for n in last.slots] + [n for n in intent.slots if n not in last.slots]
        names += [n for n in grammar.slots if n not in names]
        values = self.answers.read(grammar, intent, names, heard.text)
        return _Pending(intent, {**last.slots, **values}, heard.text) if values else None

    def _proceed(self, pending: _Pending) -> Step:
        required = self.policy.required.get(pending.intent.key)
        if required is not None and not any(pending.slots.get(n) not in (None, "")
                                            for n in required.any_of):
            self._hold(pending, Phase.ASKING)
            return self._say(required.ask, True)
        if (pending.intent.confirm or pending.unsure) and not pending.confirmed:
            self._hold(pending, Phase.CONFIRMING)
            return self._say(self._confirm_question(pending), True)
        self._reset()
        return Step("perform", intent=pending.intent, slots=dict(pending.slots),
                    text=pending.text)

    def _confirm_question(self, pending: _Pending) -> str:
        if pending.unsure and not pending.intent.confirm:
            return self.policy.text("confirm", text=normalise(pending.text))
        for reply in pending.intent.replies:
            if reply.text.rstrip().endswith(("？", "?")):
                return reply.render(pending.slots)
        return self.policy.text("confirm", text=normalise(pending.text))

    def _hold(self, pending: _Pending, phase: Phase) -> None:
        if self._pending is not pending or self.phase is not phase:
            pending.tries = 0
        self._pending, self.phase = pending, phase

    def _cancel(self) -> Step:
        self._reset()
        return self._say(self.policy.text("cancelled"), False)

    def _reset(self) -> None:
        self._pending, self.phase = None, Phase.READY

    def _say(self, reply: str, expect: bool, remember: bool = True) -> Step:
        if remember:
            self._last_reply = reply
        return Step("say", reply=reply, expect_reply=expect)
