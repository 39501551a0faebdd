"""Is a decoded command finished? The grammar's answer, for grammar-aware endpointing.

A path that ends in a final state of the token graph is a whole command. It *may continue* when
the same path can also stand inside one of its slots and take more tokens there: a number that
may take more words (二十 → 二十五), a digit string short of its longest length, a list item that
begins a longer one (张三 → 张三丰), free text. Literal words that may follow a finished command
(吧, 一下) do not count: people say them in the same breath, not after a pause.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from asr.graph import EPS, LatticeMemo, TokenGraph, arc_ranges
from asr.labels import Label, SlotBegin, SlotEnd


class Completion(StrEnum):
    DONE = "done"  # a whole command; nothing in the grammar could follow
    MAY_CONTINUE = "may_continue"  # a whole command that could still go on
    INCOMPLETE = "incomplete"  # the path stops mid-command
    NOT_COMMAND = "not_command"  # rejected: not a command of the grammar


# per graph, for as long as the graph lives (a reload's old graph is not kept alive by it)
_SLOT_STATES: weakref.WeakKeyDictionary[TokenGraph, npt.NDArray[np.bool_]] = \
    weakref.WeakKeyDictionary()


def slot_states(graph: TokenGraph) -> npt.NDArray[np.bool_]:
    """Per state: is it between a slot's begin and end labels (computed once per graph)."""
    cached = _SLOT_STATES.get(graph)
    if cached is not None:
        return cached
    kinds = np.array([isinstance(label, SlotBegin) for label in graph.label_table] + [False])
    ends = np.array([isinstance(label, SlotEnd) for label in graph.label_table] + [False])
    begins = (graph.tokens == EPS) & kinds[graph.labels]  # index -1 (no label) is False
    inside = np.zeros(graph.num_states, dtype=bool)
    frontier = np.unique(graph.targets[begins]).astype(np.int64)
    inside[frontier] = True
    while frontier.size:
        arcs, _ = arc_ranges(graph.offsets[frontier], graph.offsets[frontier + 1])
        arcs = arcs[~ends[graph.labels[arcs]]]
        found = np.unique(graph.targets[arcs])
        frontier = found[~inside[found]].astype(np.int64)
        inside[frontier] = True
    _SLOT_STATES[graph] = inside
    return inside


def completion(graph: TokenGraph, tokens: Sequence[int],
               similar: dict[int, tuple[int, ...]] | None = None,
               similar_cost: float = -2.0, memo: LatticeMemo | None = None) -> Completion:
    """The verdict for the best path that takes ``tokens`` (as ``TokenGraph.align`` finds it;
    ``memo``: the utterance's, whose walk of these tokens is then reused)."""
    lattice = graph.lattice(tokens, similar, similar_cost, memo)
    best = lattice.best_final() if lattice is not None else None
    if lattice is None or best is None:
        return Completion.INCOMPLETE
    labels = tuple(lattice.labels(best))
    inside = slot_states(graph)
    states = lattice.states
    open_ = states[inside[states] & (graph.eps_end[states] < graph.offsets[states + 1])]
    for state in open_.tolist():
        if _is_prefix(tuple(lattice.labels(state)), labels):
            return Completion.MAY_CONTINUE
    return Completion.DONE


def _is_prefix(labels: tuple[Label, ...], of: tuple[Label, ...]) -> bool:
    return len(labels) < len(of) and of[: len(labels)] == labels
