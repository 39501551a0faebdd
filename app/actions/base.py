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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from asr.errors import LingyinError

EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True)
class ActionRequest:
    action: str  # the intent's action name, e.g. "volume.set"
    domain: str
    intent: str
    slots: Mapping[str, object] = field(default_factory=dict)
    text: str = ""  # what was said or typed
    dry_run: bool = False  # describe what would be done (reply says so), do nothing
    context: Mapping[str, object] = field(default_factory=dict)  # what the last result left


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
