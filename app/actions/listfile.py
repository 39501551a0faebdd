"""A block of a grammar list file (``lists/NAME.txt``) that Lingyin writes itself.

The user's own lines stay as they are; what Lingyin finds (imported contacts, installed apps)
goes between two marker comments and is rewritten on every update. A spoken form the user's
lines already give wins: the generated entry is left out (``skipped``). Writes are atomic, so
the grammar store never reads half a list (it reloads when the file changes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.config import atomic_write_text

BEGIN = "# >>> 灵音自动生成"
END = "# <<< 灵音自动生成结束"
_UNSAFE = re.compile(r"[\t\r\n\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Entry:
    spoken: str
    value: str

    def line(self) -> str:
        return self.spoken if self.spoken == self.value else f"{self.spoken}\t{self.value}"


@dataclass
class ListUpdate:
    path: Path
    written: list[Entry] = field(default_factory=list)
    skipped: list[tuple[Entry, str]] = field(default_factory=list)  # (entry, why)
    changed: bool = False


def clean(text: str) -> str:
    """One line of list text: no tabs or control characters, no leading ``#``, trimmed."""
    return _UNSAFE.sub(" ", text).strip().lstrip("#").strip()


def split_manual(text: str) -> tuple[list[str], list[str]]:
    """(the user's lines, the generated block's lines) of a list file."""
    manual: list[str] = []
    generated: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith(BEGIN):
            inside = True
        elif line.startswith(END):
            inside = False
        elif inside:
            generated.append(line)
        else:
            manual.append(line)
    return manual, generated


def manual_spoken(lines: Iterable[str]) -> dict[str, str]:
    """spoken form → value of the user's own list lines."""
    out: dict[str, str] = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        spoken, tab, value = raw.partition("\t")
        out.setdefault(spoken.strip(), value.strip() if tab else spoken.strip())
    return out


def read_generated(path: Path) -> list[Entry]:
    """The entries of the generated block (what an earlier update wrote)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError:
        return []
    out = []
    for line in split_manual(text)[1]:
        if line.strip() and not line.startswith("#"):
            spoken, tab, value = line.partition("\t")
            out.append(Entry(spoken.strip(), value.strip() if tab else spoken.strip()))
    return out


def write_generated(path: Path, entries: Iterable[Entry], title: str) -> ListUpdate:
    """Replace the generated block of ``path`` with ``entries`` (file created if missing).

    Entries with an empty spoken form, a spoken form the user's lines give, or a spoken form
    already taken by another value in ``entries`` are skipped and reported."""
    try:
        old = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        old = ""
    manual, _ = split_manual(old)
    mine = manual_spoken(manual)
    update = ListUpdate(path)
    taken: dict[str, str] = {}
    for entry in entries:
        entry = Entry(clean(entry.spoken), clean(entry.value))
        if not entry.spoken or not entry.value:
            continue
        if entry.spoken in mine:
            if mine[entry.spoken] != entry.value:
                update.skipped.append((entry, f"your own line says {mine[entry.spoken]}"))
            continue
        if entry.spoken in taken:
            if taken[entry.spoken] != entry.value:
                update.skipped.append((entry, f"also the name of {taken[entry.spoken]}"))
            continue
        taken[entry.spoken] = entry.value
        update.written.append(entry)
    head = "\n".join(manual).rstrip("\n")
    block = [f"{BEGIN}（{title}）：每次更新都会重写这一段，要修改请写在这一段之外", *(
        e.line() for e in update.written), END]
    text = (head + "\n\n" if head else "") + "\n".join(block) + "\n"
    if text != old:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        update.changed = True
    return update
