"""The assistant at run time: one worker thread takes every turn in order (spoken, typed, a timer
going off), so actions never run on the listener's thread and the conversation is never touched
by two threads at once.

Every turn ends in a reply: a turn that raises (a broken action table while the actions are
rebuilt, a bug) is answered with the friendly failure text and logged, so the listener is never
left waiting for a decision. Announcements are handed to the listener's ``say``, which holds
them until the command being heard, decided or answered is over.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from app.assistant.assistant import Assistant, TurnResult
from app.assistant.dispatcher import FAILED
from app.assistant.spoken import spoken_text

log = logging.getLogger("lingyin.assistant")
Reply = Any  # app.listener.runtime.Reply (the assistant does not import the listener)


class AssistantService:
    def __init__(self, assistant: Assistant, make_reply: Callable[..., Reply],
                 on_turn: Callable[[TurnResult], None] | None = None,
                 on_announce: Callable[[str], None] | None = None) -> None:
        self.assistant = assistant
        self.make_reply = make_reply
        self.on_turn = on_turn
        self.on_announce = on_announce  # told each announcement's text (the desktop notifies)
        self.say: Callable[[Reply], None] | None = None  # the listener's say(), once connected
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lingyin-assistant", daemon=True)
        self._thread.start()

    def decide(self, understanding: Any, done: Callable[[Reply], None]) -> None:
        """The listener's hook: understand → act → reply, off the listener's thread; ``done``
        is always called, with the failure text when the turn raised."""
        self._jobs.put(lambda: done(self._answer(self.assistant.speech_turn, understanding)))

    def lapse(self) -> None:
        """The listener's answer window closed unanswered: the question lapses."""
        self._jobs.put(self.assistant.lapse)

    def type_text(self, text: str) -> None:
        """A typed command: the same conversation; the reply is said like a spoken one's."""
        def job() -> None:
            reply = self._answer(self.assistant.text_turn, text)
            if self.say is not None:
                self.say(reply)

        self._jobs.put(job)

    def announce(self, shown: str) -> None:
        """Something Lingyin says unasked (a timer went off): shown at once, said when the
        listener is done with the command it may be hearing."""
        def job() -> None:
            if self.on_announce is not None:
                self.on_announce(shown)
            if self.say is not None:
                self.say(self.make_reply(shown, spoken_text(shown), False))

        self._jobs.put(job)

    def close(self, timeout: float = 5.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _answer(self, turn: Callable[[Any], TurnResult], heard: Any) -> Reply:
        """The turn's reply; the failure text when the turn raised."""
        try:
            result = turn(heard)
        except Exception:
            log.exception("a turn failed")
            return self.make_reply(FAILED, spoken_text(FAILED), False)
        if self.on_turn is not None:
            try:
                self.on_turn(result)
            except Exception:  # the history's trouble; the turn itself went well
                log.exception("reporting a turn failed")
        return self.make_reply(result.reply, result.spoken, result.expect_reply)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # one broken job must not end the conversation
                log.exception("a job failed")
