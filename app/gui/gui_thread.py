"""Only the GUI thread touches Qt. Worker threads (the listener, the assistant, the loader, the
settings checks, the global hotkey) hand their news over as plain Python calls on a ``Mailbox``
(a thread-safe queue, no Qt); one QTimer on the GUI thread drains every mailbox and makes the
calls there: signals are emitted and widgets changed on the GUI thread only.

A value that only matters at its latest (the microphone level) is posted with ``post_latest``:
however often a worker posts it, the GUI thread sees only the newest, once per tick.

The one timer belongs to the application, not to the objects that post: a mailbox refers to its
owner weakly, so no Qt object of ours sits in a reference cycle that Python's collector might
break on a worker thread (a QObject, above all a running QTimer, destroyed off its thread brings
the process down). When the owner's Qt object is gone, its mailbox is dropped unread."""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QTimer

Call = Callable[[], None]
INTERVAL_MS = 20  # how often the GUI thread looks: 50 times a second, a free glance when empty
BATCH = 500  # calls made per mailbox and look at most: a flood never holds the GUI thread long


class Mailbox:
    """Calls waiting for the GUI thread; Qt-free, so any thread may post. Created on (and owned
    by) the thread that drains it; ``gui_mailbox`` makes one the GUI thread drains."""

    def __init__(self, owner: QObject | None = None) -> None:
        self.owner_thread = threading.get_ident()
        self._owner = weakref.ref(owner) if owner is not None else None
        self._calls: queue.SimpleQueue[Call] = queue.SimpleQueue()
        # no lock: setting and popping one key are atomic, and a lock the workers take all the
        # time would starve the GUI thread of it (threading.Lock is not fair)
        self._latest: dict[str, Call] = {}

    @property
    def on_owner_thread(self) -> bool:
        return threading.get_ident() == self.owner_thread

    @property
    def open(self) -> bool:
        """False once the owner's Qt object is gone (its calls are then never made)."""
        if self._owner is None:
            return True
        owner = self._owner()
        return owner is not None and shiboken6.isValid(owner)

    @property
    def waiting(self) -> int:
        return self._calls.qsize()

    def post(self, call: Call) -> None:
        """Make ``call`` on the owner thread, after the calls posted before it."""
        self._calls.put(call)

    def post_latest(self, key: str, call: Call) -> None:
        """Make ``call`` on the owner thread unless another call of the same ``key`` is posted
        before the next drain (only the newest of each key is made)."""
        self._latest[key] = call

    def call(self, call: Call) -> None:
        """Make ``call`` now when on the owner thread, else post it."""
        if self.on_owner_thread:
            call()
        else:
            self.post(call)

    def take(self, batch: int = BATCH) -> list[Call]:
        """What to call now: the newest of each key, then the calls posted so far, oldest
        first, at most ``batch`` of them (the rest wait for the next drain)."""
        calls = [call for key in list(self._latest)
                 if (call := self._latest.pop(key, None)) is not None]
        for _ in range(min(self._calls.qsize(), batch)):
            try:
                calls.append(self._calls.get_nowait())
            except queue.Empty:
                break
        return calls

    def drain(self) -> None:
        """Make the calls waiting (on the owner thread)."""
        for call in self.take():
            call()


class _Postman(QObject):
    """The application's one timer on the GUI thread, draining every open mailbox."""

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.mailboxes: list[Mailbox] = []
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.round)
        self.timer.start()

    def round(self) -> None:
        self.mailboxes = [box for box in self.mailboxes if box.open]
        for box in list(self.mailboxes):
            if box.open:  # a call may have closed another's owner
                box.drain()


_postman: _Postman | None = None
_shared: Mailbox | None = None


def _the_postman() -> _Postman:
    global _postman
    if _postman is None or not shiboken6.isValid(_postman):
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("create the QApplication before posting to the GUI thread")
        _postman = _Postman(app)
    return _postman


def gui_mailbox(owner: QObject | None = None) -> Mailbox:
    """A mailbox the GUI thread drains 50 times a second; call it on the GUI thread. With an
    ``owner``, the calls stop (unmade) once the owner's Qt object is gone."""
    box = Mailbox(owner)
    _the_postman().mailboxes.append(box)
    return box


def shared_mailbox() -> Mailbox:
    """The application's own mailbox (for short jobs with no owner of their own). The first call
    must come from the GUI thread, with the QApplication created."""
    global _shared
    if _shared is None or _shared not in _the_postman().mailboxes:
        _shared = gui_mailbox()
    return _shared
