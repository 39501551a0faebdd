"""Action name → handler, checked against the grammar at start, run off the caller's thread with a
timeout; a handler that fails, raises or hangs becomes a friendly reply and a log entry."""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Mapping

from app.actions.base import ActionError, ActionRequest, ActionResult, Handler
from intents.errors import Problem
from intents.model import Grammar

log = logging.getLogger("lingyin.actions")
FAILED = "抱歉，刚才出了点问题，没能完成。"
TIMED_OUT = "抱歉，这件事花的时间太长了，我先停下了。"


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
                 workers: int = 2) -> None:
        self.handlers = dict(handlers)
        self.timeout = timeout
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, "lingyin-action")

    def run(self, request: ActionRequest) -> ActionResult:
        handler = self.handlers.get(request.action)
        if handler is None:
            log.error("no handler for action %s (%s.%s)", request.action, request.domain,
                      request.intent)
            return ActionResult.failed(FAILED, f"no handler for action {request.action!r}")
        future = self._pool.submit(_call, handler, request)
        try:
            result = future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            log.error("action %s took longer than %.0f s; its result will be ignored",
                      request.action, self.timeout)
            return ActionResult.failed(TIMED_OUT, f"{request.action} timed out "
                                                  f"after {self.timeout:g} s")
        if result.error:
            log.warning("action %s: %s", request.action, result.error)
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


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
