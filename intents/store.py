"""Where the user's grammar lives, and the grammar currently in force.

The user's copy is ``<config>/grammar/`` (with its ``lists/`` folder), where ``<config>`` is
``settings.config_dir()``: ``$LINGYIN_CONFIG_DIR`` or the platform's user config directory. On
first run it is copied from the bundled ``resources/grammar/zh-CN/``, with a record of what each
file was (``.bundled.json``: sha256 per file); when a newer Lingyin brings a changed bundled file,
the user's copy of it is updated too, unless the user edited it (then it is left alone) — so an
upgrade brings new intents without ever overwriting the user's work. A :class:`GrammarStore`
reloads it while running; a reload that fails keeps the grammar that was in force. For the
user's grammar the store also keeps the last good copy (intents/last_good.py): when the user's
grammar cannot be used at start, that copy (else the bundled default) is loaded instead, and
``status`` names the user's problems, so Lingyin always starts and can show where to fix it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from asr import settings
from asr.errors import LingyinError
from intents.errors import GrammarErrors, Problem
from intents.grammar import default_lists_dir, load_grammar
from intents.last_good import LastGood
from intents.matcher import Match, Matcher
from intents.model import Grammar, KnownActions

DEFAULT_LANGUAGE = "zh-CN"
log = logging.getLogger("lingyin.grammar")


def user_grammar_dir(config_dir: Path | None = None) -> Path:
    return (config_dir or settings.config_dir()) / "grammar"


def bundled_grammar_dir(language: str = DEFAULT_LANGUAGE) -> Path:
    return settings.resource_path(f"grammar/{language}")


def ensure_user_grammar(config_dir: Path | None = None, source: Path | None = None) -> Path:
    """The user's grammar folder, copied from the bundled grammar if it does not exist yet.

    The copy goes to a temporary folder first, so an interrupted copy leaves nothing behind.
    """
    target = user_grammar_dir(config_dir)
    source = source or bundled_grammar_dir()
    if target.exists():
        if source.is_dir():
            upgrade_user_grammar(source, target)
        return target
    if not source.is_dir():
        raise LingyinError(f"the default grammar is missing: no folder {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".grammar-", dir=target.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        _write_record(staging, _digests(source))
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.exists():
            raise
    return target


RECORD = ".bundled.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _digest(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != RECORD}


def _write_record(folder: Path, digests: dict[str, str]) -> None:
    staging = folder / (RECORD + ".tmp")
    staging.write_text(json.dumps(digests, indent=1, sort_keys=True), encoding="utf-8")
    staging.replace(folder / RECORD)


def upgrade_user_grammar(source: Path, target: Path) -> list[str]:
    """Bring bundled files that changed into the user's copy where the user did not edit them
    (their file still matches what was copied); new bundled files are added, files the user
    deleted stay deleted. Returns the files
    updated. A copy made before the record existed is only given new files."""
    try:
        record: dict[str, str] = json.loads((target / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    bundled = _digests(source)
    updated: list[str] = []
    for name, digest in bundled.items():
        mine = target / name
        if record.get(name) == digest and mine.exists():
            continue
        untouched = mine.exists() and record.get(name) == _digest(mine)
        added = not mine.exists() and name not in record  # (a file the user deleted stays so)
        if added or untouched:
            mine.parent.mkdir(parents=True, exist_ok=True)
            staging = mine.with_name(f".{mine.name}.tmp")
            shutil.copyfile(source / name, staging)
            staging.replace(mine)
            updated.append(name)
            record[name] = digest
    if updated or not (target / RECORD).exists():
        _write_record(target, {**record, **{k: v for k, v in bundled.items()
                                             if k not in record and (target / k).exists()
                                             and _digest(target / k) == v}})
    return updated


class Fallback(StrEnum):
    """Which grammar is in force when the user's is not: none, the last good copy, the default."""

    NONE = ""
    LAST_GOOD = "last_good"
    BUNDLED = "bundled"


@dataclass(frozen=True)
class GrammarStatus:
    """The problems of the user's grammar as it is on disk (none: it is in force) and, while
    it has some, what is used instead: ``fallback`` at start, else its previous version."""

    problems: tuple[Problem, ...] = ()
    fallback: Fallback = Fallback.NONE


Listener = Callable[[GrammarStatus], None]


class GrammarStore:
    """The grammar in force and its matcher; ``reload`` swaps them only on success.

    ``known_actions``: check action names and the slots they need on every load (None: the
    actions declared beside the last good copy, if any). ``last_good`` (by default for the
    user's grammar folder only): keep a copy of each version that passed, and load it when the
    grammar cannot be used at start.
    """

    def __init__(self, path: Path, lists_dir: Path | None = None, *,
                 known_actions: KnownActions | None = None,
                 last_good: LastGood | None = None) -> None:
        self.path = path
        self.lists_dir = lists_dir
        self.known_actions = known_actions
        self.last_good = last_good if last_good is not None else _for_user_grammar(path)
        self._lock = threading.Lock()
        self._grammar: Grammar | None = None
        self._matcher: Matcher | None = None
        self._stamp: tuple[tuple[str, int, int], ...] = ()
        self._status = GrammarStatus()
        self._listeners: list[Listener] = []

    @property
    def grammar(self) -> Grammar | None:
        return self._grammar

    @property
    def matcher(self) -> Matcher | None:
        return self._matcher

    @property
    def status(self) -> GrammarStatus:
        return self._status

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` (on the reloading thread) whenever ``status`` changes; returns
        the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def actions(self) -> KnownActions | None:
        if self.known_actions is not None or self.last_good is None:
            return self.known_actions
        return self.last_good.declared()

    def reload(self) -> list[Problem]:
        """Load the grammar again; on problems keep the previous one (at start: a fallback)
        and return them."""
        stamp = self.fingerprint()
        known = self.actions()
        try:
            grammar = load_grammar(self.path, self.lists_dir, known)
        except GrammarErrors as exc:
            self._stamp = stamp  # do not retry a broken file until it changes again
            self._failed(tuple(exc.problems), known)
            return list(exc.problems)
        self._use(grammar, stamp, GrammarStatus())
        if known is not None and self.last_good is not None:
            self.last_good.save(self.path, self._lists())
        return []

    def _failed(self, problems: tuple[Problem, ...], known: KnownActions | None) -> None:
        if self._grammar is not None:  # the version in force stays
            self._set_status(GrammarStatus(problems, self._status.fallback))
            return
        found = self._fallback(known)
        if found is None:
            self._set_status(GrammarStatus(problems))
            return
        fallback, grammar = found
        log.warning("the grammar at %s cannot be used (%s); using %s", self.path, problems[0],
                    "the last good copy" if fallback is Fallback.LAST_GOOD
                    else "the default grammar")
        self._use(grammar, self._stamp, GrammarStatus(problems, fallback))

    def _fallback(self, known: KnownActions | None) -> tuple[Fallback, Grammar] | None:
        """The last good copy, else the bundled grammar, each with the user's lists first."""
        if self.last_good is None:
            return None
        places = [(Fallback.LAST_GOOD, self.last_good.grammar_dir, self.last_good.lists_dir),
                  (Fallback.BUNDLED, bundled_grammar_dir(), None)]
        for fallback, folder, own_lists in places:
            if folder is None or not folder.exists():
                continue
            for lists in dict.fromkeys((self._lists(), own_lists or default_lists_dir(folder))):
                try:
                    return fallback, load_grammar(folder, lists, known)
                except GrammarErrors as exc:
                    log.warning("the fallback grammar at %s cannot be used either: %s", folder,
                                exc.problems[0])
        return None

    def _use(self, grammar: Grammar, stamp: tuple[tuple[str, int, int], ...],
             status: GrammarStatus) -> None:
        matcher = Matcher(grammar)
        with self._lock:
            self._grammar, self._matcher, self._stamp = grammar, matcher, stamp
        self._set_status(status)

    def _set_status(self, status: GrammarStatus) -> None:
        changed = status != self._status
        self._status = status
        for listener in list(self._listeners) if changed else ():
            try:
                listener(status)
            except Exception:  # a listener must never stop a reload
                log.exception("a grammar status listener failed")

    def _lists(self) -> Path:
        return self.lists_dir or default_lists_dir(self.path)

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """(path, size, mtime) of every grammar and list file: changes when the user edits one."""
        roots = [self.path, self._lists()]
        files: list[Path] = []
        for root in roots:
            if root.is_file():
                files.append(root)
            elif root.is_dir():
                files.extend(p for p in root.rglob("*") if p.is_file())
        stamps = []
        for file in sorted(set(files)):
            try:
                info = file.stat()
            except OSError:
                continue
            stamps.append((str(file), info.st_size, info.st_mtime_ns))
        return tuple(stamps)

    def refresh(self) -> list[Problem]:
        """Reload when a grammar or list file changed since the last load (cheap otherwise)."""
        if self._grammar is not None and self.fingerprint() == self._stamp:
            return []
        return self.reload()

    def match(self, text: str, typed: bool = False) -> Match | None:
        matcher = self._matcher
        return matcher.match(text, typed) if matcher is not None else None


def _for_user_grammar(path: Path) -> LastGood | None:
    """The last good copy for the user's grammar folder; none for a grammar named explicitly."""
    try:
        mine = path.resolve() == user_grammar_dir().resolve()
    except OSError:
        return None
    return LastGood.default() if mine else None
