"""A turn that fails never leaves Lingyin deaf (issue 15, item 9): a turn that raises is answered
with the failure text, a decision that never comes is given up, and an action the user was told
had been stopped never acts afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from listen_helpers import intents_of, listen, silence

from app.actions._platform import RunResult
from app.actions.base import ActionRequest
from app.actions.system import SystemActions
from app.assistant.assistant import TurnResult
from app.assistant.dispatcher import FAILED, TIMED_OUT, Dispatcher
from app.assistant.service import AssistantService
from app.listener.events import ListenerEvent
from app.listener.runtime import Listener, ListenerConfig, Reply
from asr.audio import load_audio


@pytest.fixture(scope="module")
def grammar(dev_grammar: Path) -> Path:
    return dev_grammar  # written once for the session (tests/conftest.py); only read here


class Assistant:
    """Stands for the real one: its first ``broken`` turns raise (the actions being rebuilt)."""

    def __init__(self, broken: int = 1) -> None:
        self.broken = broken

    def speech_turn(self, understanding: Any) -> TurnResult:
        return self._turn(understanding.text)

    def text_turn(self, text: str) -> TurnResult:
        return self._turn(text)

    def _turn(self, text: str) -> TurnResult:
        if self.broken:
            self.broken -= 1
            raise RuntimeError("the actions are being rebuilt")
        return TurnResult(text, reply="好的", spoken="好的")


def test_a_turn_that_raises_is_answered_with_the_failure_text() -> None:
    service = AssistantService(Assistant(broken=1), Reply)  # type: ignore[arg-type]
    replies: list[Reply] = []
    done = threading.Event()

    def got(reply: Reply) -> None:
        replies.append(reply)
        if len(replies) == 2:
            done.set()

    heard = type("Heard", (), {"text": "设定二十九度"})()
    service.decide(heard, got)
    service.decide(heard, got)
    assert done.wait(5.0), replies
    assert [r.shown for r in replies] == [FAILED, "好的"]  # and the next turn is taken
    said: list[Reply] = []
    service.assistant = Assistant(broken=1)  # type: ignore[assignment]
    service.say = said.append
    service.type_text("打开计算器")
    service.close()
    assert [r.shown for r in said] == [FAILED]


def commands(clip) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.concatenate([silence(0.5), load_audio(clip("W0001")), silence(1.5),
                           load_audio(clip("W0005")), silence(2.0)])


def replies_of(events: list[ListenerEvent]) -> list[str]:
    return [str(e.data["text"]) for e in events if e.kind == "reply"]


def test_the_listener_rests_after_a_failed_turn(grammar: Path, recognizer, to_hanzi,  # type: ignore[no-untyped-def]
                                                clip) -> None:
    """The assistant raises on the first command: the failure text is the reply, the listener
    goes back to rest, and the second command is decided as usual."""
    service = AssistantService(Assistant(broken=1), Reply)  # type: ignore[arg-type]
    events = listen(commands(clip), grammar, recognizer, to_hanzi, hold=False, follow_up=3.0,
                    decide=service.decide, limit=30)
    service.close()
    assert replies_of(events) == [FAILED, "好的"], events
    assert len(intents_of(events)) == 2


def test_a_decide_hook_that_raises_or_never_answers_is_given_up(grammar: Path, recognizer,  # type: ignore[no-untyped-def]
                                                                to_hanzi, clip) -> None:
    """Push-to-talk (toggle): the first decision raises at once, the second never comes (its
    answer arrives only after it was given up, and is ignored); each time the listener says the
    failure text and rests, and the next press is heard."""
    answers: list[Callable[[Reply], None]] = []

    def decide(understanding, done) -> None:  # type: ignore[no-untyped-def]
        answers.append(done)
        if len(answers) == 1:
            raise RuntimeError("broken hook")
        if len(answers) == 3:
            answers[1](Reply("太晚了"))  # the hung one, long after
            done(Reply("好的"))

    def setup(listener: Listener) -> None:
        sink = listener.on_event

        def on_event(event: ListenerEvent) -> None:
            sink(event)
            if event.kind == "state" and event.data["state"] == "idle" and event.data[
                    "previous"] in ("deciding", "speaking"):
                listener.press()  # the person presses again: heard

        listener.on_event = on_event

    audio = np.concatenate([commands(clip), load_audio(clip("W0001")), silence(2.0)])
    started = time.monotonic()
    events = listen(audio, grammar, recognizer, to_hanzi, hold=False, decide=decide,
                    setup=setup, config=lambda c: _quick(c, 0.5), limit=30)
    assert time.monotonic() - started < 20
    assert replies_of(events) == [FAILED, FAILED, "好的"], events
    assert len(intents_of(events)) == 3
    errors = [str(e.data["message"]) for e in events if e.kind == "error"]
    assert len(errors) == 2 and "no decision within 0.5 s" in errors[1], errors


def _quick(config: ListenerConfig, seconds: float) -> ListenerConfig:
    from dataclasses import replace

    return replace(config, decide_timeout=seconds)


# ---- an abandoned action never acts ------------------------------------------------------
class Runner:
    """Records each command; each takes ``seconds``."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.ran: list[tuple[float, str]] = []

    def __call__(self, argv: Sequence[str]) -> RunResult:
        time.sleep(self.seconds)
        self.ran.append((time.monotonic(), " ".join(argv)))
        return RunResult(0)


SHUTDOWN = {"shutdown": [("systemctl", "poweroff"), ("loginctl", "poweroff")]}


def shutdown(runner: Runner, which: Callable[[str], str | None],
             timeout: float) -> tuple[Dispatcher, ActionRequest]:
    actions = SystemActions(Path("/nonexistent"), runner=runner, which=which, commands=SHUTDOWN)
    request = ActionRequest("system.shutdown", "system", "shutdown")
    return Dispatcher(actions.handlers(), timeout=timeout), request


def test_a_shutdown_given_up_never_happens_later() -> None:
    """The action is slow to get going (finding its program takes 0.5 s, the dispatcher waits
    0.1 s): the user is told it was stopped, and nothing is run afterwards."""
    def slow_which(name: str) -> str:
        time.sleep(0.5)
        return f"/usr/bin/{name}"

    runner = Runner()
    dispatcher, request = shutdown(runner, slow_which, timeout=0.1)
    result = dispatcher.run(request)
    assert result.reply == TIMED_OUT and not result.performed
    time.sleep(1.5)  # the abandoned thread has long reached its command
    assert runner.ran == []


def test_a_shutdown_under_way_at_the_timeout_is_waited_for() -> None:
    """The command itself takes 0.4 s (the dispatcher waits 0.1 s): it is not reported as
    stopped while it happens; its own outcome is the reply."""
    runner = Runner(0.4)
    dispatcher, request = shutdown(runner, lambda name: f"/usr/bin/{name}", timeout=0.1)
    result = dispatcher.run(request)
    assert result.performed and result.reply == "好的，正在关机"
    assert [argv for _t, argv in runner.ran] == ["systemctl poweroff"]


def test_a_harmless_action_still_times_out_on_time() -> None:
    runner = Runner(0.6)
    actions = SystemActions(Path("/nonexistent"), runner=runner, which=lambda n: n,
                            commands={"lock": [("loginctl", "lock-session")]})
    started = time.monotonic()
    result = Dispatcher(actions.handlers(), timeout=0.1).run(
        ActionRequest("system.lock", "system", "lock"))
    assert result.reply == TIMED_OUT and time.monotonic() - started < 0.4
