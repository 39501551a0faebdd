"""What the person sees and hears over time: the window's state label read every 0.2 s (each
change with its time), and what comes out of the speaker (the null sink's monitor)."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from desktop import require, stop_process


class StateLog:
    """The window's state label, read every ``every`` seconds on a thread: each change with its
    time, so a scenario can tell what the window went through (a wake, a capture, back)."""

    def __init__(self, read: Callable[[], str], every: float = 0.2) -> None:
        self.read = read
        self.every = every
        self.changes: list[tuple[float, str]] = []
        self.errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-log", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                text = self.read()
            except Exception:  # the window went away or is busy: counted, read again
                self.errors += 1
                text = ""
            with self._lock:
                if text and (not self.changes or self.changes[-1][1] != text):
                    self.changes.append((time.monotonic(), text))
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def current(self) -> str:
        with self._lock:
            return self.changes[-1][1] if self.changes else ""

    def since(self, t: float) -> list[str]:
        """The labels shown from time ``t`` on (the one showing at ``t`` first)."""
        with self._lock:
            before = [text for when, text in self.changes if when <= t][-1:]
            return before + [text for when, text in self.changes if when > t]

    def wait(self, word: str, timeout: float, since: float | None = None) -> float:
        """Until the label holds ``word`` (after ``since``); returns when it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                hit = next((when for when, text in self.changes
                            if word in text and (since is None or when >= since)), None)
                if since is not None and hit is None and self.changes and \
                        word in self.changes[-1][1]:
                    hit = self.changes[-1][0]
            if hit is not None:
                return hit
            time.sleep(0.05)
        raise AssertionError(f"the window did not show {word!r} within {timeout:.0f} s; "
                             f"it showed: {self.since(since or 0.0)}")


class SpeakerTap:
    """What comes out of the computer's speaker (the null sink's monitor), recorded by
    ``parec`` into a file: RMS per 50 ms window tells when Lingyin chimed or spoke."""

    RATE = 16000

    def __init__(self, monitor: str, path: Path) -> None:
        self.path = path
        self._started = time.monotonic()
        self._out = open(path, "wb")  # noqa: SIM115 (closed in stop)
        self._process = subprocess.Popen(
            [require("parec"), f"--device={monitor}", "--format=s16le", f"--rate={self.RATE}",
             "--channels=1", "--raw", "--latency-msec=50"],
            stdout=self._out, stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        stop_process(self._process)
        with contextlib.suppress(OSError):
            self._out.close()

    def levels(self) -> np.ndarray:
        data = np.frombuffer(self.path.read_bytes(), dtype="<i2").astype(np.float32) / 32768.0
        size = self.RATE // 20
        usable = len(data) // size * size
        return np.sqrt((data[:usable].reshape(-1, size) ** 2).mean(axis=1)) if usable else \
            np.zeros(0, np.float32)

    def seconds(self) -> float:
        return self.path.stat().st_size / 2 / self.RATE

    def loud_moments(self, threshold: float = 0.01) -> list[float]:
        """Seconds (from the start of the recording) where something was played."""
        levels = self.levels()
        return [round(i * 0.05, 2) for i in np.flatnonzero(levels > threshold)]

