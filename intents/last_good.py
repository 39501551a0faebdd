"""The last good copy of the user's grammar, so that a broken edit never stops Lingyin starting.

Whenever the user's grammar (``<config>/grammar``) loads and passes every check — its actions
included — :class:`~intents.store.GrammarStore` copies it, lists and all, to
``<data>/grammar-last-good/current/``. When the user's grammar cannot be used at start, the store
loads that copy instead (without one, the bundled default grammar) and reports the user's
problems with their file:line.

The app declares its built-in actions here too (``actions.json``: each name and the slots it
needs): intents/ never imports app/, so a store built anywhere checks actions as the app would.
A copy is replaced atomically (staged beside it, then renamed); one left half-swapped by a crash
is found under ``old/``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
from pathlib import Path

from asr import settings
from intents.grammar import default_lists_dir
from intents.model import ActionNeeds, KnownActions

log = logging.getLogger("lingyin.grammar")
ACTIONS = "actions.json"
DIGEST = "digest"


def last_good_dir() -> Path:
    return settings.data_dir() / "grammar-last-good"


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def digest_of(*roots: Path) -> str:
    """One sha256 over the names (relative to their root) and bytes of every file."""
    digest = hashlib.sha256()
    for index, root in enumerate(roots):
        for path in _files(root):
            name = path.name if path == root else path.relative_to(root).as_posix()
            digest.update(f"{index}:{name}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class LastGood:
    """The copy in ``folder``: ``current/grammar/`` (and ``current/lists/`` when the lists
    live outside the grammar folder), and the declared actions."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> LastGood:
        return cls(last_good_dir())

    # ---- the copy --------------------------------------------------------------------------
    def _current(self) -> Path | None:
        for name in ("current", "old"):  # old: a swap interrupted between its two renames
            if (self.folder / name / "grammar").exists():
                return self.folder / name
        return None

    @property
    def grammar_dir(self) -> Path | None:
        current = self._current()
        return current / "grammar" if current is not None else None

    @property
    def lists_dir(self) -> Path | None:
        current = self._current()
        if current is None:
            return None
        own = current / "lists"
        return own if own.is_dir() else default_lists_dir(current / "grammar")

    def save(self, grammar: Path, lists: Path) -> bool:
        """Keep a copy of ``grammar`` and ``lists`` (unless this very version is kept already);
        False when nothing was written (unchanged, or the folder is not writable: logged)."""
        try:
            digest = digest_of(grammar, lists)
            with self._lock:
                current = self._current()
                if current is not None and _read(current / DIGEST) == digest:
                    return False
                self._replace(grammar, lists, digest)
        except OSError as exc:
            log.warning("could not keep a copy of the grammar at %s in %s: %s", grammar,
                        self.folder, exc)
            return False
        return True

    def _replace(self, grammar: Path, lists: Path, digest: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=self.folder))
        try:
            if grammar.is_dir():
                shutil.copytree(grammar, staging / "grammar")
            else:
                (staging / "grammar").mkdir()
                shutil.copy2(grammar, staging / "grammar" / grammar.name)
            inside = grammar.is_dir() and lists.resolve().is_relative_to(grammar.resolve())
            if lists.is_dir() and not inside:
                shutil.copytree(lists, staging / "lists")
            (staging / DIGEST).write_text(digest, encoding="utf-8")
            current, old = self.folder / "current", self.folder / "old"
            if current.exists():
                shutil.rmtree(old, ignore_errors=True)
                current.rename(old)
            staging.rename(current)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # ---- the declared actions --------------------------------------------------------------
    def declare(self, actions: KnownActions) -> None:
        """Record the built-in actions (written only when they changed; failures logged)."""
        text = json.dumps({name: {"any": list(need.any_of)} for name, need in
                           sorted(actions.items())}, ensure_ascii=False, indent=1)
        path = self.folder / ACTIONS
        try:
            if _read(path) == text:
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            staging = path.with_name(f".{ACTIONS}.tmp")
            staging.write_text(text, encoding="utf-8")
            staging.replace(path)
        except OSError as exc:
            log.warning("could not record the built-in actions in %s: %s", path, exc)

    def declared(self) -> KnownActions | None:
        """The actions the app declared; None when it never did (or the file is unreadable)."""
        text = _read(self.folder / ACTIONS)
        if text is None:
            return None
        try:
            raw = json.loads(text)
            return {str(name): ActionNeeds(tuple(str(s) for s in need["any"]))
                    for name, need in raw.items()}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring %s: %s", self.folder / ACTIONS, exc)
            return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
