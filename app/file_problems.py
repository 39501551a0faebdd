"""Problems found in the user's data files (app/datafiles.py), and who hears of them.

A ``FileProblem`` says which file, what was kept, what was set aside and where the original is
kept: ``notice`` in Chinese for the window, ``warning`` as one English line for the command line
(logged, so it reaches stderr). ``PROBLEMS`` holds each problem once per version of a file for
the life of the process; the window shows those found before it opened and subscribes to the
ones found later (a timer store read on a worker thread). No Qt here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("lingyin.datafiles")
Listener = Callable[["FileProblem"], None]


@dataclass(frozen=True)
class FileProblem:
    path: Path
    unit: str  # the parts, in Chinese with their measure word: 条记录, 项设置
    unit_en: str  # the parts, in English: entries, settings
    kept: int = 0
    bad: tuple[str, ...] = ()  # a short English note per part set aside
    unusable: str = ""  # why nothing in it could be used
    defaults: tuple[str, ...] = ()  # keys that fell back to their defaults
    backup: Path | None = None  # where the damaged version is kept
    copy_failed: str = ""  # why no copy could be kept
    unreadable: str = ""  # the file could not be read at all (permissions, I/O)

    @property
    def notice(self) -> str:
        """For the window: which file, what was kept, where the original is."""
        name = self.path.name
        if self.unreadable:
            return (f"{name} 无法读取（{self.unreadable}）：灵音暂时不会改写它，"
                    f"请检查文件权限（{self.path}）")
        head = f"{name} 无法读取" if self.unusable else f"{name} 有错误"
        text = f"{head}：已保留 {self.kept} {self.unit}"
        if self.defaults:
            text += f"，{'、'.join(self.defaults)} 改用默认值"
        elif self.bad:
            text += f"，略过 {len(self.bad)} {self.unit}"
        if self.backup is not None:
            return f"{text}，原文件另存为 {self.backup}"
        return f"{text}；原文件无法另存，在修好或移走 {self.path} 之前灵音不会改写它"

    @property
    def warning(self) -> str:
        """For the command line: one line naming the file and what was kept."""
        if self.unreadable:
            return f"{self.path}: cannot be read ({self.unreadable}); Lingyin will not write it"
        if self.unusable:
            what = f"cannot be used ({self.unusable})"
        elif self.defaults:
            what = f"using the defaults for {'; '.join(self.bad)}"
        else:
            what = f"set aside {len(self.bad)} bad {self.unit_en} ({'; '.join(self.bad[:3])})"
        kept = f"kept {self.kept} {self.unit_en}"
        if self.backup is not None:
            return f"{self.path}: {what}; {kept}; the original is saved as {self.backup}"
        return (f"{self.path}: {what}; {kept}; no copy could be kept ({self.copy_failed}), "
                "so Lingyin will not write over it")


class FileProblems:
    """Each problem once per version of a file; listeners hear of each new one on the thread
    that found it (a listener that raises is dropped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[Path, str], FileProblem] = {}
        self._listeners: list[Listener] = []

    def report(self, version: str, problem: FileProblem) -> FileProblem:
        key = (problem.path.absolute(), version)
        with self._lock:
            if key in self._found:
                return self._found[key]
            self._found[key] = problem
            listeners = list(self._listeners)
        log.warning("%s", problem.warning)
        for listener in listeners:
            try:
                listener(problem)
            except Exception:  # a window already closed, say: it hears no more
                self.unsubscribe(listener)
        return problem

    def found(self) -> list[FileProblem]:
        with self._lock:
            return list(self._found.values())

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)


PROBLEMS = FileProblems()
