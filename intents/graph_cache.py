"""Compiled grammar graphs on disk: one binary file, memory-mapped read-only, that cannot run code.

A cache file lives in a folder the user (and anything running as the user) can write, so it is
read as data only and checked before use. Layout (little-endian)::

    b"LYGRAPH\\0"  u32 format  u32 header length  32-byte SHA-256 of everything that follows
    header: UTF-8 JSON {"key", "labels", "arrays": {name: [dtype, count, offset]}}
    arrays, each at a 64-byte aligned offset from the start of the file

The arrays are TokenGraph's (asr/graph.py): ``offsets``, ``eps_end`` (per state), ``tokens``,
``targets``, ``bonus`` (float64, the exact compiled value), ``labels`` (per arc) and ``finals``.
Labels are written as ``[kind, field, ...]``; a slot value JSON cannot carry exactly (a tuple, a
set) makes the graph uncacheable rather than cached wrong. The checksum is read through the file
(not the mapping), so checking it leaves nothing resident; the arrays are then mapped, and pages
are only read when a search touches them. A truncated, corrupt, foreign or crafted file — a
wrong checksum, arrays that do not fit together, indices out of range — is ignored and the
grammar compiled again, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from asr.durable import replace_atomically
from asr.graph import ANY, EPS, NO_LABEL, TokenGraph, arc_ranges
from asr.labels import DigitLabel, IntentLabel, Label, SlotBegin, SlotEnd, SlotValue, TextLabel

MAGIC = b"LYGRAPH\0"
FORMAT = 3
PREFIX = struct.Struct("<8sII32s")
ALIGN = 64
ARRAYS = {"offsets": "<i8", "eps_end": "<i8", "tokens": "<i4", "targets": "<i4",
          "bonus": "<f8", "labels": "<i4", "finals": "<i4"}
PER_ARC = ("tokens", "targets", "bonus", "labels")


class Uncacheable(ValueError):
    """A label holds a value JSON would not give back unchanged."""


def _encode(label: Label) -> list[Any]:
    match label:
        case IntentLabel(key):
            return ["intent", key]
        case TextLabel(text):
            return ["text", text]
        case SlotBegin(slot):
            return ["begin", slot]
        case SlotEnd(slot):
            return ["end", slot]
        case DigitLabel(digit):
            return ["digit", digit]
        case SlotValue(value, written):
            if json.loads(json.dumps(value)) != value or isinstance(value, tuple | set):
                raise Uncacheable(f"slot value {value!r}")
            return ["value", value, written]
    raise Uncacheable(f"label {label!r}")


def _decode(raw: Any) -> Label:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"not a label: {raw!r}")
    kind, *fields = raw
    simple: dict[str, Callable[[str], Label]] = {
        "intent": IntentLabel, "text": TextLabel, "begin": SlotBegin, "end": SlotEnd,
        "digit": DigitLabel}
    if kind in simple and len(fields) == 1 and isinstance(fields[0], str):
        return simple[kind](fields[0])
    if kind == "value" and len(fields) == 2 and isinstance(fields[1], str):
        return SlotValue(fields[0], fields[1])
    raise ValueError(f"not a label: {raw!r}")


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def write_graph(path: Path, key: str, graph: TokenGraph) -> bool:
    """Atomically (a temporary file renamed into place); False when the graph cannot be cached
    (a full disk, a read-only folder, an uncacheable label)."""
    try:
        labels = [_encode(label) for label in graph.label_table]
    except Uncacheable:
        return False
    arrays = {name: np.ascontiguousarray(getattr(graph, name), dtype=dtype)
              for name, dtype in ARRAYS.items()}
    header, places = _header(key, labels, arrays)
    body = bytearray(header)
    for name, array in arrays.items():
        body.extend(b"\0" * (places[name] - PREFIX.size - len(body)))
        body.extend(array.tobytes())
    prefix = PREFIX.pack(MAGIC, FORMAT, len(header), hashlib.sha256(body).digest())
    return replace_atomically(path, prefix, body)


def _header(key: str, labels: list[Any], arrays: dict[str, np.ndarray]
            ) -> tuple[bytes, dict[str, int]]:
    """The JSON header and each array's file offset (the header's length moves the offsets,
    so the offsets are written as fixed-width numbers and placed after it)."""
    width = 20
    places = {name: 0 for name in arrays}

    def render() -> bytes:
        table = {name: [ARRAYS[name], int(array.size), f"{places[name]:0{width}d}"]
                 for name, array in arrays.items()}
        return json.dumps({"key": key, "labels": labels, "arrays": table},
                          ensure_ascii=False).encode()

    size = len(render())
    offset = PREFIX.size + size
    for name, array in arrays.items():
        offset = _aligned(offset)
        places[name] = offset
        offset += array.nbytes
    header = render()
    assert len(header) == size
    return header, places


def read_graph(path: Path, key: str) -> TokenGraph | None:
    """The cached graph when ``path`` holds one made for ``key``; None when missing, stale,
    corrupt or not a graph file at all."""
    try:
        with path.open("rb") as handle:
            header = _checked_header(handle, path.stat().st_size)
        if header is None or header.get("key") != key:
            return None
        table = tuple(_decode(raw) for raw in header["labels"])
        graph = _mapped(path, header["arrays"], table)
    except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return graph


def _checked_header(handle: BinaryIO, size: int) -> dict[str, Any] | None:
    raw = handle.read(PREFIX.size)
    if len(raw) != PREFIX.size:
        return None
    magic, version, length, digest = PREFIX.unpack(raw)
    if magic != MAGIC or version != FORMAT or length > size - PREFIX.size:
        return None
    header = handle.read(length)
    check = hashlib.sha256(header)
    while chunk := handle.read(1 << 20):
        check.update(chunk)
    if check.digest() != digest:
        return None
    decoded = json.loads(header.decode("utf-8"))
    return decoded if isinstance(decoded, dict) else None


def _mapped(path: Path, table: dict[str, Any], labels: tuple[Label, ...]) -> TokenGraph:
    arrays: dict[str, np.ndarray] = {}
    for name, dtype in ARRAYS.items():
        kind, count, offset = table[name]
        if kind != dtype or not isinstance(count, int) or count < 0:
            raise ValueError(f"array {name}: {kind} {count}")
        # a plain ndarray view of the mapping: numpy.memmap's own indexing is Python code
        arrays[name] = (np.memmap(path, dtype=dtype, mode="r", offset=int(offset),
                                  shape=(count,)).view(np.ndarray)
                        if count else np.zeros(0, dtype=dtype))
    _check(arrays, len(labels))
    return TokenGraph(**arrays, label_table=labels)


def _check(arrays: dict[str, np.ndarray], labels: int) -> None:
    """Arrays that fit together: every index a search follows lands inside its array."""
    offsets, eps_end = arrays["offsets"], arrays["eps_end"]
    states, count = len(offsets) - 1, len(arrays["tokens"])
    if (states < 1 or len(eps_end) != states or offsets[0] != 0 or offsets[-1] != count
            or any(len(arrays[n]) != count for n in PER_ARC)
            or np.any(np.diff(offsets) < 0) or np.any(eps_end < offsets[:-1])
            or np.any(eps_end > offsets[1:])):
        raise ValueError("inconsistent graph arrays")
    for name in ("targets", "finals"):
        values = arrays[name]
        if len(values) and (values.min() < 0 or values.max() >= states):
            raise ValueError(f"{name} out of range")
    if count and (arrays["labels"].min() < NO_LABEL or arrays["labels"].max() >= labels
                  or arrays["tokens"].min() < ANY):
        raise ValueError("label or token out of range")
    tokens = arrays["tokens"]
    epsilons, _ = arc_ranges(offsets[:-1], eps_end)
    if count and (np.any(tokens[epsilons] != EPS)
                  or np.count_nonzero(tokens == EPS) != len(epsilons)):
        raise ValueError("epsilon arcs out of place")

