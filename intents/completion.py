"""Is a decoded command finished? The grammar's answer, for grammar-aware endpointing.

A path that ends in a final state of the token graph is a whole command. It *may continue* when
the same path can also stand inside one of its slots and take more tokens there: a number that
may take more words (二十 → 二十五), a digit string short of its longest length, a list item that
begins a longer one (张三 → 张三丰), free text. Literal words that may follow a finished command
(吧, 一下) do not count: people say them in the same breath, not after a pause.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from asr.graph import ANY, EPS, TokenGraph
from asr.labels import Label, SlotBegin, SlotEnd


class Completion(StrEnum):
    DONE = "done"  # a whole command; nothing in the grammar could follow
    MAY_CONTINUE = "may_continue"  # a whole command that could still go on
    INCOMPLETE = "incomplete"  # the path stops mid-command
    NOT_COMMAND = "not_command"  # rejected: not a command of the grammar


def slot_states(graph: TokenGraph) -> frozenset[int]:
    """Every state between a slot's begin and end labels (computed once per graph)."""
    cached = getattr(graph, "_slot_states", None)
    if isinstance(cached, frozenset):
        return cached
    inside: set[int] = set()
    for arcs in graph.arcs:
        for token, target, _, label in arcs:
            if token == EPS and isinstance(label, SlotBegin) and target not in inside:
                stack = [target]
                inside.add(target)
                while stack:
                    for _, nxt, _, lab in graph.arcs[stack.pop()]:
                        if isinstance(lab, SlotEnd) or nxt in inside:
                            continue
                        inside.add(nxt)
                        stack.append(nxt)
    result = frozenset(inside)
    setattr(graph, "_slot_states", result)  # noqa: B010 - a cache beside the graph, not a field
    return result


def completion(graph: TokenGraph, tokens: Sequence[int],
               similar: dict[int, tuple[int, ...]] | None = None,
               similar_cost: float = -2.0) -> Completion:
    """The verdict for the best path that takes ``tokens`` (as ``TokenGraph.align`` finds it)."""
    frontier = graph.frontier(tokens, similar, similar_cost)
    ends = [v for s, v in frontier.items() if s in graph.finals]
    if not ends:
        return Completion.INCOMPLETE
    _, best = max(ends, key=lambda v: v[0])
    inside = slot_states(graph)
    for state, (_, labels) in frontier.items():
        if state in inside and _is_prefix(labels, best) and any(
                token >= 0 or token == ANY for token, _, _, _ in graph.arcs[state]):
            return Completion.MAY_CONTINUE
    return Completion.DONE


def _is_prefix(labels: tuple[Label, ...], of: tuple[Label, ...]) -> bool:
    return len(labels) < len(of) and of[: len(labels)] == labels
