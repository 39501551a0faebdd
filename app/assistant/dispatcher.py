"""Action name → handler, checked against the grammar at start, run off the caller's thread with a
timeout; a handler that fails, raises or hangs becomes a friendly reply and a log entry.

Each action runs on a thread of its own (a daemon). When it does not finish within ``timeout``
the caller gets its reply and the thread is abandoned: it can neither hold up the next action
(现在几点 is answered while a server hangs) nor keep the program from exiting. The actions
bound their own waits (requests and programs have deadlines), so abandoned threads end; at most
``max_running`` actions run at once, a limit only a pile of hung actions reaches.

An abandoned action never acts afterwards: giving up cancels the request's ``cancellation``,
and a handler takes each step it cannot take back (shut down, restart, sleep) only while that is
not cancelled. A step already under way at the timeout is waited for (programs are bounded by
their own deadline), so the reply never says 我先停下了 about something that then happens.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import replace

from app.actions._platform import RUN_TIMEOUT
from app.actions.base import ActionError, ActionRequest, ActionResult, Cancellation, Handler
from intents.errors import Problem
from intents.model import Grammar

log = logging.getLogger("lingyin.actions")
FAILED = "抱歉，刚才出了点问题，没能完成。"
TIMED_OUT = "抱歉，这件事花的时间太长了，我先停下了。"
BUSY = "抱歉，还有好几件事没做完，请稍后再试。"


def missing_handlers(grammar: Grammar, handlers: Mapping[str, Handler]) -> list[Problem]:
    """Every intent whose ``action`` has no handler, located at the intent (file:line)."""
    problems = []
    for intent in grammar.intents:
        name = intent.action
        if isinstance(name, str) and name not in handlers:
            problems.append(Problem(intent.loc, f"no action called {name!r} (check the "
                                    "spelling, or remove the action line)", intent.key))
    return problems


class Dispatcher:
    def __init__(self, handlers: Mapping[str, Handler], timeout: float = 8.0,
                 max_running: int = 16, step_grace: float = RUN_TIMEOUT + 2.0) -> None:
        self.handlers = dict(handlers)
        self.timeout = timeout
        self.step_grace = step_grace  # the longest a step under way at the timeout is awaited
        self._slots = threading.BoundedSemaphore(max_running)

    def run(self, request: ActionRequest) -> ActionResult:
        handler = self.handlers.get(request.action)
        if handler is None:
            log.error("no handler for action %s (%s.%s)", request.action, request.domain,
                      request.intent)
            return ActionResult.failed(FAILED, f"no handler for action {request.action!r}")
        if not self._slots.acquire(blocking=False):
            log.error("action %s not started: every action thread is still busy", request.action)
            return ActionResult.failed(BUSY, f"{request.action}: too many actions still running")
        request = replace(request, cancellation=Cancellation())
        box: queue.SimpleQueue[ActionResult] = queue.SimpleQueue()
        threading.Thread(target=self._work, args=(handler, request, box), daemon=True,
                         name=f"lingyin-action-{request.action}").start()
        try:
            result = box.get(timeout=self.timeout)
        except queue.Empty:
            result = self._give_up(request, box)
        if result.error:
            log.warning("action %s: %s", request.action, result.error)
        return result

    def _give_up(self, request: ActionRequest,
                 box: queue.SimpleQueue[ActionResult]) -> ActionResult:
        """Cancel the action; while it is in the middle of a step, wait for that step."""
        until = time.monotonic() + self.step_grace
        while not request.cancellation.cancel() and time.monotonic() < until:
            try:
                return box.get(timeout=0.05)
            except queue.Empty:
                continue
        try:
            return box.get_nowait()  # it finished as the time ran out
        except queue.Empty:
            pass
        log.error("action %s took longer than %g s; stopped, its result will be ignored",
                  request.action, self.timeout)
        return ActionResult.failed(TIMED_OUT, f"{request.action} timed out "
                                              f"after {self.timeout:g} s")

    def close(self) -> None:
        """Nothing to wait for: a running action's thread ends by itself or with the program."""

    def _work(self, handler: Handler, request: ActionRequest,
              box: queue.SimpleQueue[ActionResult]) -> None:
        try:
            box.put(_call(handler, request))
        finally:
            self._slots.release()


def _call(handler: Handler, request: ActionRequest) -> ActionResult:
    try:
        result = handler(request)
    except ActionError as exc:
        return ActionResult.failed(exc.reply, str(exc))
    except Exception as exc:  # a crashed action must never reach the listener
        log.exception("action %s crashed", request.action)
        return ActionResult.failed(FAILED, f"{request.action} crashed: {exc!r}")
    if not isinstance(result, ActionResult):
        return ActionResult.failed(FAILED, f"{request.action} returned {result!r}")
    return result
