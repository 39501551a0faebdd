"""Timers, alarms and reminders on disk: one JSON file in the user data directory.

Every entry holds an *absolute* end time (epoch seconds, wall clock), so a timer survives a
restart. Changes are read-modify-write under an exclusive lock on a sibling lock file (``fcntl``
on POSIX, ``msvcrt`` on Windows), so ``lingyin run`` in another process can add a timer that the
running Lingyin then fires; the file itself is replaced atomically (app/datafiles.py), so a
crash or ``kill -9`` at any moment leaves either the old or the new file, never half of one.
Readers need no lock: they see one whole version or the other. ``entries()`` re-reads the file
only when its signature (mtime, inode, size) changed. An entry of the wrong type is set aside
alone, and a damaged file is kept beside as ``timers.json.broken-<time>`` before it is written
over (and the user told, naming it).
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from app.datafiles import DataFile, FileKind, Salvage, salvage_list
from asr import settings
from asr.errors import LingyinError

FILE_NAME = "timers.json"
LOCK_NAME = "timers.lock"
FORMAT_VERSION = 1
T = TypeVar("T")


class Kind(StrEnum):
    TIMER = "timer"
    ALARM = "alarm"
    REMINDER = "reminder"


class StoreError(LingyinError):
    """The store could not be locked, read or written."""


@dataclass(frozen=True)
class Entry:
    id: str
    kind: Kind
    end: float  # epoch seconds when it goes off (while paused: meaningless, see paused_left)
    created: float
    name: str = ""  # a named timer's name: 披萨 (披萨计时器)
    label: str = ""  # a reminder's event (开会); an alarm's or reminder's time as said
    duration: float = 0.0  # the length asked for (timers), seconds
    paused_left: float | None = None  # seconds left while paused; None: running

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("an entry needs an id")
        if not isinstance(self.kind, Kind):
            object.__setattr__(self, "kind", Kind(self.kind))
        if not math.isfinite(self.end) or not math.isfinite(self.created):
            raise ValueError(f"entry {self.id}: times must be finite numbers")
        if self.paused_left is not None and self.paused_left < 0:
            raise ValueError(f"entry {self.id}: paused_left must not be negative")

    @staticmethod
    def new(kind: Kind, end: float, now: float, **fields: Any) -> Entry:
        return Entry(id=uuid.uuid4().hex[:12], kind=kind, end=end, created=now, **fields)

    @property
    def paused(self) -> bool:
        return self.paused_left is not None

    def left(self, now: float) -> float:
        """Seconds until it goes off (negative when overdue)."""
        return self.paused_left if self.paused_left is not None else self.end - now

    def due(self, now: float) -> bool:
        return not self.paused and self.end <= now

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @staticmethod
    def from_json(data: object) -> Entry:
        """An entry as saved; ValueError or TypeError when a field is missing or of the wrong
        type (an entry of the wrong type is set aside, never guessed at)."""
        if not isinstance(data, dict):
            raise ValueError("an entry must be a JSON object")
        values = {k: v for k, v in data.items() if k in _TEXTS or k in _NUMBERS}
        for key, value in values.items():
            if key in _TEXTS and not isinstance(value, str):
                raise TypeError(f"{key} must be text")
            if key in _NUMBERS and not _is_number(value, none=key == "paused_left"):
                raise TypeError(f"{key} must be a number")
        return Entry(**values)


_TEXTS = frozenset({"id", "kind", "name", "label"})
_NUMBERS = frozenset({"end", "created", "duration", "paused_left"})


def _is_number(value: object, none: bool = False) -> bool:
    if value is None:
        return none
    return isinstance(value, int | float) and not isinstance(value, bool)


def salvage_timers(raw: Any, damaged: bool) -> Salvage[list[Entry]]:
    """Every entry that is whole, soonest first; the others are set aside."""
    found = salvage_list(raw, "entries", Entry.from_json, damaged)
    return replace(found, value=sorted(found.value, key=_order))


TIMERS_FILE = FileKind(salvage_timers, list, "个计时、闹钟或提醒", "timers")


def default_path(data_dir: Path | None = None) -> Path:
    return (data_dir or settings.data_dir()) / FILE_NAME


Signature = tuple[int, int, int]


class TimerStore:
    """The entries in ``path`` (``<data>/timers.json``); safe across threads and processes."""

    def __init__(self, path: Path, lock_timeout: float = 5.0) -> None:
        self.path = path
        self.file = DataFile(path, TIMERS_FILE)
        self.lock_timeout = lock_timeout
        self._thread_lock = threading.Lock()
        self._cache: tuple[Signature | None, list[Entry]] | None = None

    @classmethod
    def default(cls, data_dir: Path | None = None) -> TimerStore:
        return cls(default_path(data_dir))

    # reading ---------------------------------------------------------------------------------
    def signature(self) -> Signature | None:
        """What changes whenever the file is replaced (None: there is no file)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot stat the timer store ({exc})") from exc
        return (st.st_mtime_ns, st.st_ino, st.st_size)

    def entries(self) -> list[Entry]:
        """All entries, soonest first (re-read only when the file changed)."""
        sig = self.signature()
        cached = self._cache
        if cached is not None and cached[0] == sig and sig is not None:
            return list(cached[1])
        entries = self._read()
        self._cache = (sig, entries)
        return list(entries)

    def _read(self) -> list[Entry]:
        """The whole entries, soonest first; a damaged file is kept beside as
        ``timers.json.broken-<time>`` and reported (app/datafiles.py), its bad entries set
        aside; a file that cannot be read at all is a StoreError."""
        entries, problem = self.file.load()
        if problem is not None and problem.unreadable:
            raise StoreError(f"{self.path}: cannot read the timer store ({problem.unreadable})")
        return entries

    # writing ---------------------------------------------------------------------------------
    def mutate(self, change: Callable[[list[Entry]], tuple[list[Entry] | None, T]]) -> T:
        """Apply ``change`` to the current entries under the lock; it returns the new entries
        (None: leave the file alone) and a result, which ``mutate`` returns."""
        with self._locked():
            current = self._read()
            new, result = change(list(current))
            if new is not None and new != current:
                self._write(new)
            return result

    def add(self, entry: Entry) -> Entry:
        return self.mutate(lambda entries: ([*entries, entry], entry))

    def update(self, entry_id: str, change: Callable[[Entry], Entry]) -> Entry | None:
        """Replace the entry ``entry_id`` by ``change(entry)`` (given the entry as it is now on
        disk); returns the new entry, or None when it is gone (fired or cancelled)."""
        def apply(entries: list[Entry]) -> tuple[list[Entry] | None, Entry | None]:
            old = next((e for e in entries if e.id == entry_id), None)
            if old is None:
                return None, None
            new = change(old)
            return [new if e.id == entry_id else e for e in entries], new
        return self.mutate(apply)

    def remove(self, ids: Sequence[str]) -> list[Entry]:
        """Remove these entries; returns the ones that were there."""
        wanted = set(ids)
        return self.mutate(lambda entries: (
            [e for e in entries if e.id not in wanted], [e for e in entries if e.id in wanted]))

    def pop_due(self, now: float) -> list[Entry]:
        """Remove and return every running entry whose end is at or before ``now``. Only one
        process gets each entry, so only one fires it."""
        return self.mutate(lambda entries: (
            [e for e in entries if not e.due(now)], [e for e in entries if e.due(now)]))

    def _write(self, entries: list[Entry]) -> None:
        """Atomically; never over a damaged version that could not be kept aside."""
        data = {"version": FORMAT_VERSION,
                "entries": [e.to_json() for e in sorted(entries, key=_order)]}
        try:
            self.file.write_json(data)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot write the timer store ({exc})") from exc
        self._cache = None

    def _remove_stale_temporaries(self) -> None:
        """Temporary files left by a writer killed mid-write (only the lock holder writes, so
        any temporary seen under the lock is stale)."""
        for tmp in self.path.parent.glob(f".{self.path.name}.*"):
            tmp.unlink(missing_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path.parent}: cannot create the folder ({exc})") from exc
        with self._thread_lock, _file_lock(self.path.with_name(LOCK_NAME), self.lock_timeout):
            self._remove_stale_temporaries()
            yield


def _order(entry: Entry) -> tuple[bool, float, float]:
    return (entry.paused, entry.end, entry.created)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def _file_lock(path: Path, timeout: float) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if missing); released by the OS when the holder
    dies, so a killed writer never leaves the store locked."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the lock file ({exc})") from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _try_lock(fd)
                break
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise StoreError(f"{path}: the timer store stayed locked for {timeout} s"
                                     ) from exc
                time.sleep(0.005)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
