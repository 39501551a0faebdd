"""List files: ``lists/NAME.txt``, one item a line, or ``spoken<TAB>value``.

Blank lines and lines starting with ``#`` are skipped. The standard lists (contacts, apps, songs,
cities, rooms, devices) may be missing or empty: they count as empty lists, to be filled by the
user or, later, from the system. Any other list name must have its file.
"""

from __future__ import annotations

import re
from pathlib import Path

from intents.errors import Collector, GrammarError, Loc
from intents.slots import ListValue
from intents.yamlnodes import decode_text

STANDARD_LISTS = ("contacts", "apps", "songs", "cities", "rooms", "devices")
_NAME = re.compile(r"^[^/\\.\s][^/\\\s]*$")


def list_path(name: str, lists_dir: Path) -> Path:
    return lists_dir / f"{name}.txt"


def valid_list_name(name: str) -> bool:
    return bool(_NAME.match(name))


def parse_list(text: str, file: str, problems: Collector) -> list[ListValue]:
    values: list[ListValue] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        spoken, tab, written = raw.partition("\t")
        spoken, written = spoken.strip(), written.strip()
        col = raw.index(line[0]) + 1
        if not spoken:
            problems.add(Loc(file, number, col), "a list item needs a spoken form before the tab")
            continue
        if tab and not written:
            problems.add(Loc(file, number, len(raw) + 1), f"no value after the tab for {spoken!r}")
            continue
        values.append(ListValue(spoken, written if tab else spoken))
    return values


def load_list(name: str, lists_dir: Path, where: Loc, problems: Collector) -> list[ListValue]:
    """The items of list ``name``; problems go to ``problems`` (``where`` is the reference)."""
    if not valid_list_name(name):
        problems.add(where, f"invalid list name {name!r}")
        return []
    path = list_path(name, lists_dir)
    if not path.is_file():
        if name not in STANDARD_LISTS:
            problems.add(where, f"unknown list {name!r}: no file {path}")
        return []
    try:
        text = decode_text(path.read_bytes(), str(path))
    except GrammarError as exc:
        problems.add_error(exc)
        return []
    except OSError as exc:
        problems.add(where, f"cannot read list {path}: {exc.strerror or exc}")
        return []
    return parse_list(text, str(path), problems)
