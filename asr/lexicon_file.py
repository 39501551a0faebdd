"""A read-only string → string table in one file, memory-mapped: data that cannot run code.

The pinyin→Hanzi lexicon (asr/hanzi_data.py) is cached in the user's cache folder, which anything
running as the user can write; it is therefore a plain binary layout, never a pickle:

    b"LYTABLE1\\n"  header length (8 bytes, little-endian)  header (UTF-8 JSON)
    key offsets (count + 1, uint64)  value offsets (count + 1, uint64)  keys  values

Keys are UTF-8, sorted by their bytes, looked up by binary search; the values' bytes are decoded
only when asked for, so opening the table costs a map of the file and a check of its offsets,
not the ~76 MB of a dict of every entry. A file whose sizes or offsets do not add up is refused.
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"LYTABLE1\n"
_LENGTH = 8


class BadTable(ValueError):
    """The file is not a table of this format (or is damaged)."""


def write_table(path: Path, entries: Mapping[str, str], header: Mapping[str, Any]) -> None:
    """Write ``entries`` with ``header`` (JSON-able) to ``path``, atomically."""
    keys = sorted((k.encode("utf-8"), k) for k in entries)
    key_blob = b"".join(raw for raw, _ in keys)
    values = [entries[k].encode("utf-8") for _, k in keys]
    key_offsets = np.cumsum([0, *(len(raw) for raw, _ in keys)], dtype=np.uint64)
    value_offsets = np.cumsum([0, *(len(v) for v in values)], dtype=np.uint64)
    head = json.dumps({**header, "count": len(keys)}, ensure_ascii=False).encode("utf-8")
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(MAGIC + len(head).to_bytes(_LENGTH, "little") + head)
            handle.write(key_offsets.astype("<u8").tobytes())
            handle.write(value_offsets.astype("<u8").tobytes())
            handle.write(key_blob)
            for value in values:
                handle.write(value)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


class MappedTable(Mapping[str, str]):
    """The table in ``path``, mapped read-only; ``header`` is what ``write_table`` was given."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as handle:
            try:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError as exc:  # an empty file cannot be mapped
                raise BadTable(f"{path}: empty") from exc
        self.header, self._keys, self._values, self._key_base, self._value_base = \
            _layout(self._map, path)

    def _key(self, index: int) -> bytes:
        a, b = int(self._keys[index]), int(self._keys[index + 1])
        return self._map[self._key_base + a : self._key_base + b]

    def _find(self, key: str) -> int:
        raw = key.encode("utf-8")
        low, high = 0, len(self._keys) - 1
        while low < high:
            middle = (low + high) // 2
            if self._key(middle) < raw:
                low = middle + 1
            else:
                high = middle
        return low if low < len(self._keys) - 1 and self._key(low) == raw else -1

    def __getitem__(self, key: str) -> str:
        index = self._find(key) if isinstance(key, str) else -1
        if index < 0:
            raise KeyError(key)
        a, b = int(self._values[index]), int(self._values[index + 1])
        return self._map[self._value_base + a : self._value_base + b].decode("utf-8")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) >= 0

    def __len__(self) -> int:
        return len(self._keys) - 1

    def __iter__(self) -> Iterator[str]:
        for index in range(len(self)):
            yield self._key(index).decode("utf-8")


def _layout(data: mmap.mmap, path: Path) -> tuple[dict[str, Any], Any, Any, int, int]:
    """Header, both offset arrays (views on the map) and where keys and values start."""
    if data[: len(MAGIC)] != MAGIC:
        raise BadTable(f"{path}: not a Lingyin table")
    at = len(MAGIC) + _LENGTH
    length = int.from_bytes(data[len(MAGIC) : at], "little")
    try:
        header = json.loads(data[at : at + length].decode("utf-8"))
        count = int(header["count"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadTable(f"{path}: unreadable header ({exc})") from exc
    at += length
    width = (count + 1) * 8
    if count < 0 or at + 2 * width > len(data):
        raise BadTable(f"{path}: truncated")
    keys = np.frombuffer(data, dtype="<u8", count=count + 1, offset=at)
    values = np.frombuffer(data, dtype="<u8", count=count + 1, offset=at + width)
    key_base = at + 2 * width
    value_base = key_base + int(keys[-1])
    for offsets in (keys, values):
        if offsets[0] != 0 or np.any(offsets[1:] < offsets[:-1]):
            raise BadTable(f"{path}: offsets out of order")
    if value_base + int(values[-1]) != len(data):
        raise BadTable(f"{path}: sizes do not add up")
    return header, keys, values, key_base, value_base
