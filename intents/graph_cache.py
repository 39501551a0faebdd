"""Compiled grammar graphs on disk, as data that cannot run code.

A cache file lives in a folder the user (and anything running as the user) can write, so it is
read as data only: a NumPy ``.npz`` archive (zip with CRCs) of flat arrays, loaded with
``allow_pickle=False`` — the reader refuses object arrays — and a JSON table of the arc labels.
A crafted, truncated or foreign file is ignored (the grammar is compiled again), never executed.

Arrays: ``offsets`` (state → first arc, states + 1 entries), per arc ``tokens``, ``targets``,
``bonus`` (float64, the exact compiled value) and ``labels`` (index into the label table, -1 for
none), ``finals``; ``meta`` is UTF-8 JSON ``{"key", "labels"}``. Labels are written as
``[kind, field, ...]``; a slot value JSON cannot carry exactly (a tuple, a set) makes the graph
uncacheable rather than cached wrong.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from asr.graph import Arc, TokenGraph
from asr.labels import DigitLabel, IntentLabel, Label, SlotBegin, SlotEnd, SlotValue, TextLabel

CHUNK_STATES = 10_000  # states rebuilt between yields of the interpreter lock
NO_LABEL = -1


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


def write_graph(path: Path, key: str, graph: TokenGraph) -> bool:
    """Atomically (a temporary file renamed into place); False when the graph cannot be cached
    (a full disk, a read-only folder, an uncacheable label)."""
    try:
        arrays = _to_arrays(key, graph)
    except Uncacheable:
        return False
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".graph-",
                                         suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        return False
    return True


def _to_arrays(key: str, graph: TokenGraph) -> dict[str, np.ndarray]:
    table: dict[Label, int] = {}
    tokens: list[int] = []
    targets: list[int] = []
    bonus: list[float] = []
    labels: list[int] = []
    offsets = [0]
    for arcs in graph.arcs:
        for token, target, value, label in arcs:
            tokens.append(token)
            targets.append(target)
            bonus.append(value)
            labels.append(NO_LABEL if label is None else table.setdefault(label, len(table)))
        offsets.append(len(tokens))
    meta = {"key": key, "labels": [_encode(label) for label in table]}
    return {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
        "offsets": np.asarray(offsets, dtype=np.int64),
        "tokens": np.asarray(tokens, dtype=np.int32),
        "targets": np.asarray(targets, dtype=np.int32),
        "bonus": np.asarray(bonus, dtype=np.float64),
        "labels": np.asarray(labels, dtype=np.int32),
        "finals": np.asarray(sorted(graph.finals), dtype=np.int32),
    }


def read_graph(path: Path, key: str) -> TokenGraph | None:
    """The cached graph when ``path`` holds one made for ``key``; None when missing, stale,
    corrupt or not a graph file at all."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(bytes(archive["meta"]).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("key") != key:
                return None
            arrays = {name: archive[name] for name in
                      ("offsets", "tokens", "targets", "bonus", "labels", "finals")}
        table = [_decode(raw) for raw in meta["labels"]]
        graph = _from_arrays(arrays, table)
    except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError,
            zipfile.BadZipFile, UnicodeDecodeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return graph


def _from_arrays(arrays: dict[str, np.ndarray], table: list[Label]) -> TokenGraph:
    offsets = arrays["offsets"].tolist()
    count = len(arrays["tokens"])
    states = len(offsets) - 1
    if (states < 1 or offsets[0] != 0 or offsets[-1] != count
            or any(len(arrays[n]) != count for n in ("targets", "bonus", "labels"))
            or np.any(np.diff(arrays["offsets"]) < 0)):
        raise ValueError("inconsistent graph arrays")
    for name in ("targets", "finals"):
        values = arrays[name]
        if len(values) and (values.min() < 0 or values.max() >= states):
            raise ValueError(f"{name} out of range")
    if count and (arrays["labels"].min() < NO_LABEL or arrays["labels"].max() >= len(table)):
        raise ValueError("label index out of range")
    tokens, targets = arrays["tokens"].tolist(), arrays["targets"].tolist()
    bonus, labels = arrays["bonus"].tolist(), arrays["labels"].tolist()
    lookup: list[Label | None] = [*table, None]  # index -1 is None
    arcs: list[list[Arc]] = []
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of arc tuples: the collector would triple the time
    try:
        for start in range(0, states, CHUNK_STATES):
            for state in range(start, min(start + CHUNK_STATES, states)):
                a, b = offsets[state], offsets[state + 1]
                arcs.append(list(zip(tokens[a:b], targets[a:b], bonus[a:b],
                                     [lookup[i] for i in labels[a:b]], strict=True)))
            time.sleep(0)  # let other threads (the window) run between the pieces
    finally:
        if collecting:
            gc.enable()
    return TokenGraph(arcs, set(arrays["finals"].tolist()))
