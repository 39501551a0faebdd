"""The one door between the window and the Qt-free core.

The listener calls ``on_event`` on its worker thread, the assistant calls ``on_turn`` on its
own, the level wrapper calls ``on_level`` on the listener's thread: none of them touches Qt. Each
puts a plain call on the bridge's mailbox (app/gui/gui_thread.py), and the GUI thread, draining it
with a timer, emits the signal: Qt objects are touched on the GUI thread only (emitting from a
Python thread crashes recent PySide6, PYSIDE-3124). Levels are coalesced: only the newest counts.
The window drives the core only through the methods below, and they only put commands on the
core's queues (nothing blocks). Loading the model runs in a worker thread; the listener runs in
its own ``threading.Thread``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from app.gui.gui_thread import gui_mailbox
from app.gui.history import HistoryEntry
from app.listener.events import ListenerEvent
from app.listener.machine import Mode

log = logging.getLogger("lingyin.gui")


@contextlib.contextmanager
def frozen_afterwards() -> Iterator[None]:
    """Build the model, grammar graph and tables without the garbage collector, then freeze
    what was built: millions of long-lived objects that a full collection would otherwise walk
    (about a second, holding the interpreter lock, which freezes the window)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


class LiveLike(Protocol):
    """What the bridge needs of app.assistant.live.Live (tests pass a fake)."""

    @property
    def listener(self) -> Any: ...

    service: Any

    def close(self) -> None: ...


Factory = Callable[["Bridge"], LiveLike]


class Bridge(QObject):
    loading = Signal()
    ready = Signal()
    failed = Signal(str)  # the core could not start: the message says what to do
    state = Signal(str)  # a listener State value
    partial = Signal(str)
    heard = Signal(str)  # the final text of an utterance (understood or not)
    reply = Signal(str)
    turn = Signal(object)  # HistoryEntry
    error = Signal(str)
    announced = Signal(str)  # something said unasked (a timer went off): a notification
    level = Signal(float)  # RMS, full scale 1.0
    stopped = Signal()  # the listener's thread ended
    applied = Signal(str)  # saved settings applied while running: '' done, else why not

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._live: LiveLike | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.mailbox = gui_mailbox(self)  # plain Python: what the core's threads post to

    # ---- start-up (the factory runs off the GUI thread) -----------------------------------
    def load(self, factory: Factory) -> threading.Thread:
        self.loading.emit()
        worker = threading.Thread(target=self._load, args=(factory,), name="lingyin-gui-load",
                                  daemon=True)
        worker.start()
        return worker

    def _load(self, factory: Factory) -> None:
        try:
            with frozen_afterwards():
                live = factory(self)
        except Exception as exc:  # shown in the window with what to do, not only logged
            log.exception("the assistant could not start")
            message = str(exc) or type(exc).__name__
            self.mailbox.call(lambda: self.failed.emit(message))
            return
        self.attach(live)

    def attach(self, live: LiveLike) -> None:
        """Take a built Live and start its listener thread (any thread may call this)."""
        with self._lock:
            if self._closed:
                live.close()
                return
            self._live = live
            live.service.on_turn = self.on_turn
            live.service.on_announce = self.on_announce  # also set by live_factory, earlier
            self._thread = threading.Thread(target=self._listen, name="lingyin-listener",
                                            daemon=True)
            self._thread.start()
        self.mailbox.call(lambda: self.ready.emit())

    def _listen(self) -> None:
        live = self._live
        try:
            if live is not None:
                live.listener.run()
        except Exception as exc:
            log.exception("the listener stopped")
            message = f"the listener stopped: {exc}"
            self.mailbox.post(lambda: self.error.emit(message))
        finally:
            self.mailbox.post(lambda: self.stopped.emit())

    # ---- the core's callbacks (core threads: plain Python only, posted to the GUI thread) ----
    def on_event(self, event: ListenerEvent) -> None:
        data = event.data
        if event.kind == "state":
            self._later("state", str(data.get("state", "")))
        elif event.kind == "partial":
            self._later("partial", str(data.get("text", "")))
        elif event.kind in ("intent", "rejected"):
            self._later("heard", str(data.get("text") or ""))
        elif event.kind == "reply":
            self._later("reply", str(data.get("text") or ""))
        elif event.kind == "error":
            self._later("error", str(data.get("message", "")))

    def on_turn(self, result: Any) -> None:
        """An assistant TurnResult (spoken or typed) → one history entry."""
        self._later("turn", HistoryEntry(
            text=str(result.text), domain=str(result.domain or ""),
            intent=str(result.intent or ""), slots=dict(result.slots or {}),
            reply=str(result.reply or ""), time=time.time()))

    def on_announce(self, text: str) -> None:
        self._later("announced", text)

    def on_level(self, value: float) -> None:
        self.mailbox.post_latest("level", lambda: self.level.emit(value))

    def _later(self, signal: str, value: object) -> None:
        """Emit the signal called ``signal`` with ``value`` on the GUI thread (only named here:
        even looking a signal up makes PySide build a Qt-side object)."""
        self.mailbox.post(lambda: getattr(self, signal).emit(value))

    # ---- the window's commands (GUI thread; each only queues work) ------------------------
    @property
    def is_ready(self) -> bool:
        return self._live is not None and not self._closed

    def press(self) -> None:
        if self._live is not None:
            self._live.listener.press()

    def release(self) -> None:
        if self._live is not None:
            self._live.listener.release()

    def set_mode(self, mode: Mode | str) -> None:
        """Tell the listener the mode (a Qt item's data comes back as a plain ``str``: the
        machine compares modes by identity, so it is made a Mode here)."""
        if self._live is not None:
            self._live.listener.set_mode(Mode(mode))

    @property
    def can_spot(self) -> bool:
        """Whether the running listener has wake phrases to listen for (wake mode needs them);
        False before the core is up."""
        listener = getattr(self._live, "listener", None)
        return getattr(listener, "watcher", None) is not None

    def mute(self, on: bool) -> None:
        if self._live is not None:
            self._live.listener.mute(on)

    def grammar_store(self) -> Any:
        """The running grammar's store (its folder and lists), or None before the core is up."""
        listened = getattr(self._live, "listened", None)
        live = getattr(listened, "live", None)
        return getattr(live, "store", None)

    def reload_grammar(self) -> list[str]:
        """Reload the grammar in force (from the editor's thread); its problems, if any: the
        old grammar then stays in force."""
        live = getattr(getattr(self._live, "listened", None), "live", None)
        if live is None:
            return []
        with frozen_afterwards():
            return [str(p) for p in live.refresh()]

    def type_text(self, text: str) -> None:
        if self._live is not None and text.strip():
            self._live.service.type_text(text.strip())

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop the listener, wait for its thread at most ``timeout`` seconds, close the core.
        A model still loading is closed by its loader as soon as it is built."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            live, thread = self._live, self._thread
        if live is None:
            return
        live.listener.stop()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the listener did not stop within %.1f s; leaving it", timeout)
        try:
            live.close()
        except Exception:
            log.exception("closing the assistant failed")

    # ---- settings applied while running (the settings dialog; additions) ------------------
    def apply_settings(self, settings: Any, previous: Any = None) -> threading.Thread | None:
        """Make saved settings (app.config.AppSettings) take effect without a restart, off the
        GUI thread: what the actions read and the voice at once, listening settings by
        building a new listener (app/gui/startup.py ``reconfigure`` decides). ``applied`` tells
        the outcome. None when the core is not running: it reads the settings when it starts."""
        with self._lock:
            live = None if self._closed else self._live
        if live is None:
            return None
        worker = threading.Thread(target=self._reconfigure, args=(live, settings, previous),
                                  name="lingyin-gui-apply", daemon=True)
        worker.start()
        return worker

    def _reconfigure(self, live: LiveLike, settings: Any, previous: Any) -> None:
        from app.gui.startup import reconfigure

        try:
            with frozen_afterwards():
                built = reconfigure(self, live, settings, previous)
            if built is not None:
                self.swap(built)
        except Exception as exc:  # the old core keeps running; the dialog says why
            log.exception("the settings could not be applied")
            message = str(exc) or type(exc).__name__
            self.mailbox.post(lambda: self.applied.emit(message))
            return
        self.mailbox.post(lambda: self.applied.emit(""))

    def swap(self, live: LiveLike, timeout: float = 2.0) -> None:
        """Replace the running core with ``live`` (any thread but the listener's): the old
        listener is stopped and its thread joined (at most ``timeout`` s), the old core closed,
        the new one attached."""
        with self._lock:
            old, thread = self._live, self._thread
            if self._closed:
                old = None
        if old is None:
            self.attach(live)  # closes ``live`` when the bridge has shut down
            return
        old.listener.stop()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the old listener did not stop within %.1f s; leaving it", timeout)
        with self._lock:
            closing = self._closed  # shutdown() came in meanwhile: it closes the old core
        if not closing:
            try:
                old.close()
            except Exception:
                log.exception("closing the old assistant failed")
        self.attach(live)

    def loaded_model(self) -> Any:
        """The running core's acoustic model (the settings dialog's wake test), or None."""
        listened = getattr(self._live, "listened", None)
        recognizer = getattr(listened, "recognizer", None)
        return getattr(recognizer, "model", None)
