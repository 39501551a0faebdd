"""One conversation: a turn (typed text or an understood utterance) → dialogue → action → reply,
shown with digits and spoken in words. The same path for ``lingyin run``, the listener and the
desktop app."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.actions.base import ActionRequest, ActionResult
from app.assistant.dialogue import Dialogue, Heard, Step
from app.assistant.dispatcher import Dispatcher
from app.assistant.spoken import spoken_text
from intents.model import Grammar, Intent

log = logging.getLogger("lingyin.assistant")


@dataclass(frozen=True)
class TurnResult:
    text: str
    domain: str = ""
    intent: str = ""
    slots: Mapping[str, object] = field(default_factory=dict)
    action: str | None = None
    performed: bool = False
    reply: str | None = None  # as shown
    spoken: str | None = None  # as said
    expect_reply: bool = False
    error: str | None = None
    description: str | None = None  # what a dry run would have done

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "domain": self.domain, "intent": self.intent,
                "slots": dict(self.slots), "action": self.action, "performed": self.performed,
                "reply": self.reply, "expect_reply": self.expect_reply}


class Assistant:
    def __init__(self, grammar: Callable[[], Grammar], match: Callable[..., Any],
                 dispatcher: Dispatcher, dialogue: Dialogue, *, dry_run: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.grammar = grammar
        self.match = match
        self.dispatcher = dispatcher
        self.dialogue = dialogue
        self.dry_run = dry_run
        self.clock = clock
        self._context: dict[str, Mapping[str, object]] = {}

    def text_turn(self, text: str) -> TurnResult:
        found = self.match(text, typed=True)  # typed text is matched as written
        if found is None:
            return self.turn(Heard(text, rejected=True))
        ranges = {k: (v.number, v.slot.start, v.slot.stop, v.slot.unit)
                  for k, v in getattr(found, "out_of_range", {}).items()}
        return self.turn(Heard(text, found.domain, found.intent, dict(found.slots),
                               unsure=bool(getattr(found, "unsure", False)),
                               out_of_range=ranges))

    def speech_turn(self, understanding: Any) -> TurnResult:
        u = understanding
        return self.turn(Heard(u.text, u.domain, u.intent, dict(u.slots), bool(u.rejected),
                               bool(getattr(u, "unsure", False))))

    def lapse(self) -> None:
        """A question went unanswered: the next turn is a new command."""
        self.dialogue.lapse()

    def turn(self, heard: Heard) -> TurnResult:
        grammar = self.grammar()
        step = self.dialogue.turn(heard, grammar, self.clock())
        if step.kind == "say" or step.intent is None:
            return self._precheck(heard) or self._said(heard, step)
        return self._perform(heard, step, step.intent)

    def _said(self, heard: Heard, step: Step) -> TurnResult:
        reply = step.reply
        return TurnResult(heard.text, heard.domain, heard.intent, heard.slots, None, False,
                          reply, spoken_text(reply) if reply else None, step.expect_reply)

    def _precheck(self, heard: Heard) -> TurnResult | None:
        """Before asking 要打给张三吗？, try the action as a dry run: when it cannot be done at
        all (an empty address book, no such contact), say so now instead of asking first."""
        confirming = self.dialogue.confirming
        if confirming is None or self.dry_run:
            return None
        intent, slots, text = confirming
        if not intent.confirm or not isinstance(intent.action, str):
            return None
        request = ActionRequest(intent.action, intent.domain, intent.name, dict(slots), text,
                                True, self._context.get(intent.domain, {}))
        result = self.dispatcher.run(request)
        if result.error is None or not result.reply:
            return None
        self.dialogue.lapse()
        self.dialogue.said(result.reply)
        return TurnResult(heard.text, intent.domain, intent.name, dict(slots), intent.action,
                          False, result.reply, spoken_text(result.reply), False, result.error)

    def _perform(self, heard: Heard, step: Step, intent: Intent) -> TurnResult:
        action = intent.action if isinstance(intent.action, str) else None
        result = ActionResult(False)
        if action is not None:
            request = ActionRequest(action, intent.domain, intent.name, dict(step.slots),
                                    step.text, self.dry_run, self._context.get(intent.domain, {}))
            result = self.dispatcher.run(request)
            if result.context:
                self._context[intent.domain] = dict(result.context)
        reply = result.reply or self._template(intent, {**step.slots, **result.values})
        if result.performed or self.dry_run:
            self.dialogue.performed(intent.key, step.slots, self.clock())
        self.dialogue.said(reply)
        return TurnResult(heard.text, intent.domain, intent.name, dict(step.slots), action,
                          result.performed, reply, spoken_text(reply), result.expect_reply,
                          result.error, result.description)

    def _template(self, intent: Intent, values: Mapping[str, object]) -> str:
        for reply in intent.replies:
            if not reply.text.rstrip().endswith(("？", "?")):  # not the confirmation question
                return reply.render(values)
        return self.dialogue.policy.text("done")
