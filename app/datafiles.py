"""The user's own data files (settings, history, timers, contacts, the window's state), read so
that one bad part never costs the rest, and written so that nothing unread is ever lost.

``DataFile.read`` decodes the file as UTF-8 (bytes that are not become U+FFFD, and a part holding
one is bad), parses the JSON and hands it to the file's ``salvage`` function, which keeps every
good entry (or key) and notes the bad ones. When anything was bad, the file's exact bytes are
first copied beside it as ``NAME.broken-<time>`` (once per version of the file) and the problem
is reported once: a warning line (stderr from the command line) and a notice the window shows
(``PROBLEMS``). ``DataFile.write`` writes atomically and never over a version it has not read:
it reads an unknown version first, and refuses (``OSError``) while a damaged version could not
be copied aside.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from app.file_problems import PROBLEMS, FileProblem, FileProblems
from asr.durable import fsync_dir

log = logging.getLogger(__name__)
T = TypeVar("T")
E = TypeVar("E")
REPLACEMENT = "\ufffd"
PART_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError)


@dataclass(frozen=True)
class Salvage(Generic[T]):
    """What could be used of a file: the value, how many entries (or keys) it kept, a short
    note for each part set aside, and why nothing could be used ("": the file's shape was fine)."""

    value: T
    kept: int
    bad: tuple[str, ...] = ()
    unusable: str = ""
    defaults: tuple[str, ...] = ()  # keys that fell back to their defaults (settings)

    @property
    def clean(self) -> bool:
        return not self.bad and not self.unusable


Salvager = Callable[[Any, bool], Salvage[T]]  # (parsed JSON, decoding was damaged) → Salvage


# ---- writing ------------------------------------------------------------------------------------
def atomic_write_bytes(path: Path, data: bytes, temp_prefix: str = "") -> None:
    """Write to a temporary sibling (``.NAME.*``), flush it to disk, then rename over ``path``:
    a crash (or ``kill -9``) leaves either the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix or f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def keep_copy(path: Path, data: bytes) -> Path:
    """``data`` (the bytes of ``path`` as read) kept beside it as ``NAME.broken-<time>``; an
    existing copy with the same bytes is reused, so one damaged version is kept once."""
    for copy in sorted(path.parent.glob(f"{path.name}.broken-*")):
        try:
            if copy.stat().st_size == len(data) and copy.read_bytes() == data:
                return copy
        except OSError:
            continue
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, number = path.with_name(f"{path.name}.broken-{stamp}"), 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.broken-{stamp}-{number}")
    atomic_write_bytes(target, data, temp_prefix=f".broken.{path.name}.")  # not a writer's
    return target


# ---- the versions this process has read or written ---------------------------------------------
class _Versions:
    """Per path, the digest of the version last read or written and whether it may be written
    over (it was whole, or it is kept as a broken copy)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[Path, tuple[str, bool]] = {}

    def note(self, path: Path, digest: str, safe: bool) -> None:
        with self._lock:
            self._seen[path.absolute()] = (digest, safe)

    def safe(self, path: Path, digest: str) -> bool:
        with self._lock:
            return self._seen.get(path.absolute()) == (digest, True)


_VERSIONS = _Versions()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- reading ------------------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, bool]:
    """The text, and whether some bytes were not UTF-8 (they are U+FFFD in the text)."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace").removeprefix("\ufeff"), True


def holds_replacement(value: Any) -> bool:
    """Whether a parsed JSON value holds U+FFFD anywhere (a key or a string inside it)."""
    if isinstance(value, str):
        return REPLACEMENT in value
    if isinstance(value, dict):
        return any(holds_replacement(k) or holds_replacement(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_replacement(v) for v in value)
    return False


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def salvage_list(raw: Any, key: str, parse: Callable[[Any], E],
                 damaged: bool = False) -> Salvage[list[E]]:
    """``raw[key]`` as a list, each item through ``parse``; an item ``parse`` refuses (or that
    holds bytes that were not UTF-8) is set aside and the others are kept."""
    items = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return Salvage([], 0, unusable=f"no list of {key!r} in it")
    good: list[E] = []
    bad: list[str] = []
    for number, item in enumerate(items, start=1):
        try:
            if damaged and holds_replacement(item):
                raise ValueError("holds bytes that are not UTF-8")
            good.append(parse(item))
        except PART_ERRORS as exc:
            bad.append(f"{key} #{number}: {one_line(exc)}")
    return Salvage(good, len(good), tuple(bad))


def salvage_object(raw: Any, damaged: bool) -> Salvage[dict[str, Any]]:
    """A JSON object, every key kept but one holding bytes that were not UTF-8."""
    if not isinstance(raw, dict):
        return Salvage({}, 0, unusable="the file does not hold a JSON object")
    good = {k: v for k, v in raw.items()
            if not damaged or not (holds_replacement(k) or holds_replacement(v))}
    bad = tuple(f"{k}: holds bytes that are not UTF-8" for k in raw if k not in good)
    return Salvage(good, len(good), bad)


@dataclass(frozen=True)
class FileKind(Generic[T]):
    """What a data file holds: how to salvage it, its empty value, and the words for its parts
    (Chinese with the measure word for the window: 条记录; English for the command line)."""

    salvage: Salvager[T]
    empty: Callable[[], T]
    unit: str
    unit_en: str


OBJECT_FILE: FileKind[dict[str, Any]] = FileKind(salvage_object, dict, "项", "keys")


class DataFile(Generic[T]):
    """One user data file of a kind. ``problem`` is the last read's (None: it was whole)."""

    def __init__(self, path: Path, kind: FileKind[T], problems: FileProblems = PROBLEMS) -> None:
        self.path = path
        self.kind = kind
        self.problems = problems
        self.problem: FileProblem | None = None

    def read(self) -> T:
        """The usable part of the file (its kind's empty value when it is missing)."""
        value, self.problem = self.load()
        return value

    def load(self) -> tuple[T, FileProblem | None]:
        """The usable part of the file and what was wrong with it (None: nothing)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return self.kind.empty(), None
        except OSError as exc:
            why = one_line(exc.strerror or exc)
            return self.kind.empty(), self._report(f"unreadable:{exc.errno}", unreadable=why)
        return self._salvage(data)

    def write_json(self, data: Any, indent: int | None = 1) -> None:
        self.write_bytes((json.dumps(data, ensure_ascii=False, indent=indent) + "\n").encode())

    def write_bytes(self, data: bytes) -> None:
        """Atomically, once the version on disk is known to be safe to replace."""
        self._guard()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, data)
        _VERSIONS.note(self.path, _digest(data), True)

    def _guard(self) -> None:
        try:
            current = self.path.read_bytes()  # OSError: what cannot be read is not replaced
        except FileNotFoundError:
            return
        digest = _digest(current)
        if _VERSIONS.safe(self.path, digest):
            return
        self._salvage(current)  # an unknown version: read it, keeping a copy if it is damaged
        if not _VERSIONS.safe(self.path, digest):
            raise OSError(f"{self.path}: not writing over it: it is damaged and no copy of it "
                          "could be kept beside it")

    def _salvage(self, data: bytes) -> tuple[T, FileProblem | None]:
        text, damaged = decode(data)
        result = self._parse(text, damaged)
        if damaged and result.clean:
            result = Salvage(result.value, result.kept, ("bytes that are not UTF-8",))
        digest = _digest(data)
        if result.clean:
            _VERSIONS.note(self.path, digest, True)
            return result.value, None
        backup, failed = self._keep(data)
        _VERSIONS.note(self.path, digest, backup is not None)
        return result.value, self._report(digest, result, backup, failed)

    def _parse(self, text: str, damaged: bool) -> Salvage[T]:
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return Salvage(self.kind.empty(), 0, unusable=f"not JSON: {one_line(exc)}")
        try:
            return self.kind.salvage(raw, damaged)
        except PART_ERRORS as exc:  # a shape the salvage did not foresee: nothing is guessed
            return Salvage(self.kind.empty(), 0, unusable=one_line(exc))

    def _keep(self, data: bytes) -> tuple[Path | None, str]:
        try:
            return keep_copy(self.path, data), ""
        except OSError as exc:
            log.warning("%s: cannot keep a copy of the damaged file (%s)", self.path, exc)
            return None, one_line(exc)

    def _report(self, version: str, result: Salvage[Any] | None = None,
                backup: Path | None = None, failed: str = "",
                unreadable: str = "") -> FileProblem:
        problem = FileProblem(
            path=self.path, unit=self.kind.unit, unit_en=self.kind.unit_en,
            kept=result.kept if result else 0, bad=result.bad if result else (),
            unusable=result.unusable if result else "", defaults=result.defaults if result else (),
            backup=backup, copy_failed=failed, unreadable=unreadable)
        return self.problems.report(version, problem)
