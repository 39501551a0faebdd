"""pypinyin's readings of the grammar's phrases, wake phrases and list items, cached on disk.

Reading a grammar's few thousand phrases (hotwords, asr/hotwords.py) and the wake phrases
(asr/kws.py) needs pypinyin, whose phrase tables take a third of a second or more to import and
~55 MB to hold. What ``phrase_units`` takes from pypinyin (asr/readings.py ``TextReadings``) is
kept in one file in the user cache folder, so a warm start never imports pypinyin; a text not in
the file is read with pypinyin (imported then) and the file rewritten.

The file is data (JSON), never code: a first line ``{"format", "key", "sha256"}`` and the body,
``{"chars": {char: every reading}, "texts": {Han characters: reading in context per char}}``,
whose SHA-256 the first line gives. ``key`` hashes pypinyin's version and the readings code
(asr/readings.py and this file); texts are keyed by their Han characters (the only part of a text
pypinyin reads). A file that is stale, truncated, corrupt or inconsistent is ignored and written
again; a folder that cannot be written only costs the pypinyin import. Writes are atomic (a
temporary file renamed into place).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from asr import settings
from asr.durable import replace_atomically
from asr.readings import Option, TextReadings, han_characters, pinyin_readings

FORMAT = 1
FILE_NAME = "pinyin-readings.json"
MAX_TEXTS = 50_000  # beyond this, a write keeps only the texts of the request that made it
_CODE = ("asr/readings.py", "asr/readings_cache.py")

_lock = threading.Lock()
_memory: dict[str, TextReadings] = {}  # this process's readings, by Han characters
_memory_key: str | None = None


def cache_path() -> Path:
    return settings.cache_dir() / FILE_NAME


@functools.cache
def readings_key() -> str:
    """What the readings are made by: pypinyin's version and the code that asks it (once per
    process: neither changes while it runs)."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(f"lingyin-readings-v{FORMAT}\n".encode())
    with contextlib.suppress(PackageNotFoundError):
        digest.update(f"pypinyin {version('pypinyin')}\n".encode())
    for relative in _CODE:
        # in a frozen bundle without sources, FORMAT stands for the code
        with contextlib.suppress(OSError):
            digest.update((settings.source_root() / relative).read_bytes())
    return digest.hexdigest()


def readings_for(texts: Iterable[str], path: Path | None = None) -> tuple[TextReadings, ...]:
    """``pinyin_readings`` of each text, in order: from memory, then the cache file (default
    ``cache_path()``), then pypinyin for the rest, which are added to the file."""
    global _memory_key
    wanted = [han_characters(text) for text in texts]
    key = readings_key()
    path = path or cache_path()
    with _lock:
        if _memory_key != key:
            _memory.clear()
            _memory_key = key
        known = {h: _memory[h] for h in wanted if h in _memory}
        missing = {h for h in wanted if h and h not in known}
        if missing:
            stored = read_cache(path, key)
            known.update((h, stored[h]) for h in missing if h in stored)
            missing -= stored.keys()
            if missing:
                found = {h: pinyin_readings(h) for h in sorted(missing)}
                known.update(found)
                write_cache(path, key, {**stored, **found}, keep=set(known))
            _remember({**stored, **known})  # the next phrases (a wake phrase) are likely there
        empty = TextReadings((), ())
        return tuple(known[h] if h else empty for h in wanted)


def _remember(found: Mapping[str, TextReadings]) -> None:
    if len(_memory) + len(found) > 4 * MAX_TEXTS:  # bounded for an always-on listener
        _memory.clear()
    _memory.update(found)


def read_cache(path: Path, key: str) -> dict[str, TextReadings]:
    """The readings in ``path`` when it was made with ``key``; {} when it is missing, stale or
    damaged in any way."""
    try:
        with path.open("rb") as handle:
            head = json.loads(handle.readline().decode("utf-8"))
            body = handle.read()
        digest = hashlib.sha256(body).hexdigest()
        if not isinstance(head, dict) or (head.get("format"), head.get("key"),
                                          head.get("sha256")) != (FORMAT, key, digest):
            return {}
        return _decode(json.loads(body.decode("utf-8")))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def write_cache(path: Path, key: str, readings: Mapping[str, TextReadings],
                keep: set[str] | None = None) -> bool:
    """Write ``readings`` (only those in ``keep`` when there are more than MAX_TEXTS) to
    ``path`` atomically; False when the folder cannot be written."""
    if keep is not None and len(readings) > MAX_TEXTS:
        readings = {h: r for h, r in readings.items() if h in keep}
    body = json.dumps(_encode(readings), ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")
    head = json.dumps({"format": FORMAT, "key": key,
                       "sha256": hashlib.sha256(body).hexdigest()}).encode("utf-8")
    return replace_atomically(path, head + b"\n" + body)


def _encode(readings: Mapping[str, TextReadings]) -> dict[str, Any]:
    chars: dict[str, list[list[str]]] = {}
    texts: dict[str, list[list[str]]] = {}
    for hanzi, found in readings.items():
        texts[hanzi] = [list(pair) for pair in found.contextual]
        for char, options in zip(hanzi, found.heteronyms, strict=True):
            chars[char] = [list(option) for option in options]
    return {"chars": chars, "texts": texts}


def _decode(raw: Any) -> dict[str, TextReadings]:
    """Readings from the file's body; ValueError when any part of it is not what _encode
    writes (then none of it is used)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("chars"), dict) \
            or not isinstance(raw.get("texts"), dict):
        raise ValueError("not a readings cache")
    chars = {char: _options(char, value) for char, value in raw["chars"].items()}
    out: dict[str, TextReadings] = {}
    for hanzi, pairs in raw["texts"].items():
        if not isinstance(hanzi, str) or not hanzi or han_characters(hanzi) != hanzi \
                or not isinstance(pairs, list) or len(pairs) != len(hanzi):
            raise ValueError(f"bad readings for {hanzi!r}")
        contextual = tuple(_pair(pair) for pair in pairs)
        out[hanzi] = TextReadings(contextual, tuple(chars[char] for char in hanzi))
    return out


def _options(char: Any, value: Any) -> tuple[Option, ...]:
    if not isinstance(char, str) or len(char) != 1 or not isinstance(value, list) or not value:
        raise ValueError(f"bad readings of {char!r}")
    options = []
    for option in value:
        if not isinstance(option, list) or not 1 <= len(option) <= 2 \
                or not all(isinstance(token, str) for token in option):
            raise ValueError(f"bad reading {option!r} of {char!r}")
        options.append(tuple(option))
    return tuple(options)


def _pair(value: Any) -> tuple[str, str]:
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value):
        raise ValueError(f"bad reading in context {value!r}")
    return value[0], value[1]
