"""The grammar editor's work, without Qt: validating unsaved text, trying a sentence, saving.

Unsaved text is validated by writing the grammar folder — the edited buffers over the files on
disk — to a temporary copy and loading that, so the user's files are untouched until Save. The
problems are reported as `lingyin check-grammar` reports them for the real folder: the temporary
path is replaced by the real one. Both checks, like Save's, are given the app's built-in actions
(``known_actions``): an unknown action, or slots an action cannot use, is a problem here too.
Everything here may be slow (loading, the grammar's tests) and runs on a :class:`Worker` thread,
never on the GUI thread.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.config import atomic_write_text
from intents.check import check_grammar
from intents.errors import GrammarErrors, Loc, Problem
from intents.grammar import GRAMMAR_SUFFIXES, default_lists_dir, load_grammar
from intents.matcher import Match, Matcher
from intents.model import Grammar, KnownActions

log = logging.getLogger("lingyin.gui.editor")

OLD_GRAMMAR_KEPT = "语法有错误，仍在使用旧的语法"
NOT_UNDERSTOOD = "没听懂"


def grammar_file_names(folder: Path, lists_dir: Path) -> list[str]:
    """The grammar files of ``folder`` relative to it, as ``/``-separated names (the lists
    folder is not part of the grammar)."""
    names = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in GRAMMAR_SUFFIXES and path.is_file() and \
                not path.is_relative_to(lists_dir):
            names.append(path.relative_to(folder).as_posix())
    return names


def _moved(text: str, old: str, new: str) -> str:
    return text.replace(old, new) if old != new else text


def relocate(problem: Problem, old: Path, new: Path) -> Problem:
    """``problem`` as it would read had the grammar been loaded from ``new`` instead of
    ``old`` (the file of its location and any place named in its message)."""
    loc = Loc(_moved(problem.loc.file, str(old), str(new)), problem.loc.line, problem.loc.col)
    return Problem(loc, _moved(problem.message, str(old), str(new)), problem.intent)


@dataclass(frozen=True)
class Validation:
    """The edited grammar loaded from a temporary copy: the grammar and its matcher, or the
    problems (locations in the real folder)."""

    problems: tuple[Problem, ...] = ()
    grammar: Grammar | None = None
    matcher: Matcher | None = field(default=None, compare=False)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.grammar is not None


def validate(folder: Path, lists_dir: Path, edited: Mapping[str, str],
             known_actions: KnownActions | None = None) -> Validation:
    """Load the folder's grammar with ``edited`` (name → text) in place of those files."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lingyin-grammar-edit-") as tmp:
        copy = Path(tmp) / "grammar"
        for name in grammar_file_names(folder, lists_dir):
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            text = edited.get(name)
            if text is None:
                text = (folder / name).read_text(encoding="utf-8")
            target.write_text(text, encoding="utf-8")
        for name, text in edited.items():  # a file the user added in the editor
            target = copy / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        try:
            grammar = load_grammar(copy, lists_dir, known_actions)
        except GrammarErrors as exc:
            problems = tuple(relocate(p, copy, folder) for p in exc.problems)
            return Validation(problems, seconds=time.monotonic() - start)
    matcher = Matcher(grammar)
    return Validation((), grammar, matcher, time.monotonic() - start)


def describe(match: Match | None) -> str:
    """A parse as the editor shows it: ``domain.intent  slot=value …  置信度 0.95``, or 没听懂."""
    if match is None:
        return NOT_UNDERSTOOD
    slots = "  ".join(f"{k}={v}" for k, v in match.slots.items())
    parts = [match.key, slots, f"置信度 {match.confidence:.2f}"]
    return "  ".join(p for p in parts if p)


@dataclass(frozen=True)
class SaveResult:
    """After Save: the saved grammar's own problems (load errors or failing tests), what the
    app's reload reported (``None``: no callback), and a line for the person."""

    problems: tuple[Problem, ...]
    reload_problems: tuple[str, ...] | None
    summary: str

    @property
    def old_grammar_kept(self) -> bool:
        return bool(self.reload_problems)


def save_files(folder: Path, edited: Mapping[str, str]) -> None:
    """Write each edited file atomically (the rest stay as they are)."""
    for name, text in edited.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)


def after_save(folder: Path, lists_dir: Path, on_saved: Callable[[], list[str]] | None,
               known_actions: KnownActions | None = None) -> SaveResult:
    """Run the saved grammar's tests (as `lingyin check-grammar` does), then the app's reload."""
    try:
        grammar = load_grammar(folder, lists_dir, known_actions)
        problems = tuple(check_grammar(grammar))
        tests = sum(len(i.tests) for i in grammar.intents)
    except GrammarErrors as exc:
        grammar, problems, tests = None, tuple(exc.problems), 0
    reloaded: tuple[str, ...] | None = None
    if on_saved is not None:
        reloaded = tuple(str(p) for p in on_saved())
    if reloaded:
        summary = f"已保存。{OLD_GRAMMAR_KEPT}。"
    elif grammar is None:
        summary = "已保存，但语法有错误。"
    elif problems:
        summary = f"已保存并重新加载；{len(problems)} 个问题（测试未通过或句子有歧义）。"
    else:
        summary = (f"已保存并重新加载：{len(grammar.intents)} 个意图，"
                   f"{tests} 个测试全部通过。")
    return SaveResult(problems, reloaded, summary)


class WorkerState:
    """What only the worker thread touches: the matcher of the newest edited grammar."""

    def __init__(self) -> None:
        self.matcher: Matcher | None = None
        self.broken = False


class Worker:
    """One background thread running jobs in order; ``close`` joins it with a timeout."""

    def __init__(self, name: str = "lingyin-grammar-editor") -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                log.exception("a grammar editor job failed")

    def close(self, timeout: float = 5.0) -> bool:
        """Stop after the current job; True when the thread ended within ``timeout``."""
        while True:  # drop jobs not started yet
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        self._jobs.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()


def lists_folder(folder: Path, lists_dir: Path | None) -> Path:
    return lists_dir if lists_dir is not None else default_lists_dir(folder)
