"""Fires timers, alarms and reminders when they are due, on a thread of its own.

The thread sleeps on a condition variable until the next entry is due, or at most
``check_interval`` seconds: then it looks at the store's signature (one ``stat``), so an entry
that another process (``lingyin run``) added is seen within that interval, and a change of the
wall clock (suspend, NTP) within it too. A change made in this process calls ``wake()`` and is
seen at once. A due entry is removed from the store under its lock before ``on_fire`` is called,
so it fires exactly once even with two Lingyin processes. Entries that became due while Lingyin
was closed are not fired: ``start()`` takes them out and ``missed()`` reports them, once.

The clock is injectable (tests pass a fake one and call ``run_due()`` or ``wake()``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.actions.timer_store import Entry, StoreError, TimerStore

log = logging.getLogger(__name__)
Clock = Callable[[], float]


class Scheduler:
    def __init__(self, store: TimerStore, on_fire: Callable[[Entry], None],
                 clock: Clock = time.time, check_interval: float = 1.0) -> None:
        if check_interval <= 0:
            raise ValueError(f"check_interval must be positive, got {check_interval}")
        self.store = store
        self.on_fire = on_fire
        self.clock = clock
        self.check_interval = check_interval
        self._cond = threading.Condition()
        self._woken = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._missed: list[Entry] = []

    # life cycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Take out what became due while Lingyin was closed (see ``missed``), then run."""
        if self._thread is not None:
            return
        try:
            self._missed = self.store.pop_due(self.clock())
        except StoreError as exc:
            log.warning("cannot read the missed timers: %s", exc)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="lingyin-timers", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def missed(self) -> list[Entry]:
        """The entries that went off while Lingyin was closed; reported once (then empty)."""
        with self._cond:
            missed, self._missed = self._missed, []
        return missed

    def wake(self) -> None:
        """Look at the store now (after a change made in this process, or a clock change)."""
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    # firing ----------------------------------------------------------------------------------
    def run_due(self) -> list[Entry]:
        """Fire every entry due now; returns them. Errors of ``on_fire`` are logged."""
        now = self.clock()
        if not any(e.due(now) for e in self.store.entries()):
            return []
        fired = self.store.pop_due(now)
        for entry in fired:
            try:
                self.on_fire(entry)
            except Exception:  # the callback's failure must not stop the timers
                log.exception("firing %s %s failed", entry.kind.value, entry.id)
        return fired

    def next_delay(self) -> float:
        """Seconds to sleep: until the next entry is due, at most ``check_interval``."""
        now = self.clock()
        ends = [e.end for e in self.store.entries() if not e.paused]
        if not ends:
            return self.check_interval
        return min(max(0.0, min(ends) - now), self.check_interval)

    def _run(self) -> None:
        while True:
            try:
                self.run_due()
                delay = self.next_delay()
            except StoreError as exc:
                log.warning("timer store: %s", exc)
                delay = self.check_interval
            except Exception:
                log.exception("the timer scheduler failed; retrying")
                delay = self.check_interval
            with self._cond:
                if self._stopping:
                    return
                if not self._woken:
                    self._cond.wait(delay)
                self._woken = False
                if self._stopping:
                    return
