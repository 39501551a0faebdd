"""The contract between the assistant and every action.

The dispatcher calls a handler with an ``ActionRequest`` (the intent, its slots, whether this is a
dry run, and the context the previous turn of the same domain left behind) on a worker thread,
with a timeout. The handler returns an ``ActionResult``; it never raises for an expected failure
(an offline weather service, a missing program): it returns ``performed=False`` with a friendly
Mandarin ``reply`` and the technical cause in ``error`` (logged). Anything it does raise becomes a
generic apology plus a log entry; it never reaches the listener.

Replies are written for the screen (digits: ``音量已调到30%``); the assistant turns them into
spoken Mandarin (百分之三十) for the voice. A handler either gives the whole ``reply`` or gives
``values`` that fill the grammar's reply template (``音量已调到{level}%``).

Slot values come from speech: handlers pass them to programs only as separate list arguments,
URL-encoded URL components or JSON strings; never through a shell.

A handler that cannot be taken back (shutting the computer down) takes each such step inside
``request.cancellation.step()``: once the dispatcher has given up waiting and told the user so,
no step starts; while a step runs, the dispatcher waits for it instead of giving up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

from asr.errors import LingyinError

EMPTY: Mapping[str, object] = MappingProxyType({})


class Cancellation:
    """Between the dispatcher and one running action: the dispatcher gives up (``cancel``) and
    the action asks before each step it cannot take back (``step``). No step starts after a
    cancel, and no cancel happens during a step."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._stepping = False

    def cancel(self) -> bool:
        """Give up on the action; False while it is in the middle of a step (wait for it)."""
        with self._lock:
            if self._stepping:
                return False
            self._cancelled = True
            return True

    @contextmanager
    def step(self) -> Iterator[bool]:
        """``with request.cancellation.step() as allowed:`` — act only when ``allowed``."""
        with self._lock:
            allowed = not self._cancelled
            self._stepping = allowed
        try:
            yield allowed
        finally:
            with self._lock:
                self._stepping = False


@dataclass(frozen=True)
class ActionRequest:
    action: str  # the intent's action name, e.g. "volume.set"
    domain: str
    intent: str
    slots: Mapping[str, object] = field(default_factory=dict)
    text: str = ""  # what was said or typed
    dry_run: bool = False  # describe what would be done (reply says so), do nothing
    context: Mapping[str, object] = field(default_factory=dict)  # what the last result left
    # the dispatcher's give-up, shared with the running handler (a fresh one per run)
    cancellation: Cancellation = field(default_factory=Cancellation, compare=False, repr=False)


@dataclass(frozen=True)
class ActionResult:
    performed: bool
    reply: str | None = None  # the whole reply; None: the grammar's template with ``values``
    values: Mapping[str, object] = field(default_factory=dict)  # extra template values
    expect_reply: bool = False  # the reply asks something: listen for the answer
    context: Mapping[str, object] = field(default_factory=dict)  # for follow-ups (再大一点)
    error: str | None = None  # the technical cause when something failed (for the log)
    description: str | None = None  # in a dry run: what would have been done

    @staticmethod
    def failed(reply: str, error: str) -> ActionResult:
        return ActionResult(False, reply=reply, error=error)

    @staticmethod
    def dry(description: str, reply: str | None = None) -> ActionResult:
        return ActionResult(False, reply=reply or f"（演练）{description}", description=description)


Handler = Callable[[ActionRequest], ActionResult]


class ActionError(LingyinError):
    """A handler's failure with a reply fit for the user (``reply``) and a cause for the log."""

    def __init__(self, reply: str, cause: str) -> None:
        super().__init__(cause)
        self.reply = reply


class Actions:
    """What an action module offers: a name → handler table (``handlers``), and optionally a
    ``close()`` for threads or connections it started."""

    def handlers(self) -> Mapping[str, Handler]:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release by default."""
