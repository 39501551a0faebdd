"""Where the user's grammar lives, and the grammar currently in force.

The user's copy is ``<config>/grammar/`` (with its ``lists/`` folder), where ``<config>`` is
``settings.config_dir()``: ``$LINGYIN_CONFIG_DIR`` or the platform's user config directory. On
first run it is copied from the bundled ``resources/grammar/zh-CN/``, with a record of what each
file was (``.bundled.json``: sha256 per file); when a newer Lingyin brings a changed bundled file,
the user's copy of it is updated too, unless the user edited it (then it is left alone) — so an
upgrade brings new intents without ever overwriting the user's work. A :class:`GrammarStore`
reloads it while running; a reload that fails keeps the grammar that was in force.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from pathlib import Path

from asr import settings
from asr.errors import LingyinError
from intents.errors import GrammarErrors, Problem
from intents.grammar import default_lists_dir, load_grammar
from intents.matcher import Match, Matcher
from intents.model import Grammar

DEFAULT_LANGUAGE = "zh-CN"


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


class GrammarStore:
    """The grammar in force and its matcher; ``reload`` swaps them only on success."""

    def __init__(self, path: Path, lists_dir: Path | None = None) -> None:
        self.path = path
        self.lists_dir = lists_dir
        self._lock = threading.Lock()
        self._grammar: Grammar | None = None
        self._matcher: Matcher | None = None
        self._stamp: tuple[tuple[str, int, int], ...] = ()

    @property
    def grammar(self) -> Grammar | None:
        return self._grammar

    @property
    def matcher(self) -> Matcher | None:
        return self._matcher

    def reload(self) -> list[Problem]:
        """Load the grammar again; on problems keep the previous one and return them."""
        stamp = self.fingerprint()
        try:
            grammar = load_grammar(self.path, self.lists_dir)
        except GrammarErrors as exc:
            self._stamp = stamp  # do not retry a broken file until it changes again
            return list(exc.problems)
        matcher = Matcher(grammar)
        with self._lock:
            self._grammar, self._matcher, self._stamp = grammar, matcher, stamp
        return []

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """(path, size, mtime) of every grammar and list file: changes when the user edits one."""
        roots = [self.path, self.lists_dir or default_lists_dir(self.path)]
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
