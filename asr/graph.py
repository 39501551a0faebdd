"""Token graphs for grammar-constrained decoding: an epsilon-NFA over the model's token ids
with output labels on arcs, searched through a lazily determinised view (sets of NFA states), so
a beam never fills with copies of one token sequence reached by different paths.

Arc tokens: an id >= 0 consumes that token, ``EPS`` consumes nothing, ``ANY`` consumes any token
(free-text slots). Each arc has a bonus (log domain, <= 0 for variant readings and free text) and
an optional label (asr/labels.py) that ``align`` gives back for the chosen path.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from asr.context import TokenIds
from asr.labels import Label, TokenLabel

EPS = -1
ANY = -2
CACHE_LIMIT = 20_000  # cached state sets per kind (the search recomputes what it needs)
StateSet = frozenset[int]
Arc = tuple[int, int, float, Label | None]  # (token, target state, bonus, label)
_Frontier = dict[int, tuple[float, tuple[Label, ...]]]  # state → (best bonus, labels so far)


@dataclass
class TokenGraph:
    arcs: list[list[Arc]] = field(default_factory=lambda: [[]])
    finals: set[int] = field(default_factory=set)

    def new_state(self) -> int:
        self.arcs.append([])
        return len(self.arcs) - 1

    def add(self, source: int, token: int, target: int, bonus: float = 0.0,
            label: Label | None = None) -> None:
        self.arcs[source].append((token, target, bonus, label))

    @property
    def num_arcs(self) -> int:
        return sum(len(a) for a in self.arcs)

    def closure(self, states: set[int]) -> StateSet:
        stack, seen = list(states), set(states)
        while stack:
            for token, target, _, _ in self.arcs[stack.pop()]:
                if token == EPS and target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)

    def align(self, tokens: Sequence[int], similar: dict[int, tuple[int, ...]] | None = None,
              similar_cost: float = -2.0) -> tuple[list[Label], float] | None:
        """The best-bonus path consuming exactly ``tokens`` from start to a final state: its
        labels in order (ANY arcs give ``TokenLabel(id)``) and its total bonus. ``similar`` as
        in GraphContext: stand-in tokens at ``similar_cost``."""
        frontier = self.frontier(tokens, similar, similar_cost)
        ends = [v for s, v in frontier.items() if s in self.finals]
        if not ends:
            return None
        score, labels = max(ends, key=lambda v: v[0])
        return list(labels), score

    def frontier(self, tokens: Sequence[int], similar: dict[int, tuple[int, ...]] | None = None,
                 similar_cost: float = -2.0) -> dict[int, tuple[float, tuple[Label, ...]]]:
        """Every state ``tokens`` lead to from the start (epsilon-closed), with the best path's
        bonus and labels to it; empty when the graph cannot take the tokens."""
        similar = similar or {}
        frontier = self._eps_expand({0: (0.0, ())})
        for token in tokens:
            moved: _Frontier = {}
            for state, (score, labels) in frontier.items():
                for arc_token, target, bonus, label in self.arcs[state]:
                    if arc_token in (token, ANY):
                        cost = bonus
                    elif token in similar.get(arc_token, ()):
                        cost = bonus + similar_cost
                    else:
                        continue
                    new_labels = labels + ((label,) if label is not None else ())
                    if arc_token == ANY:
                        new_labels += (TokenLabel(token),)
                    candidate = (score + cost, new_labels)
                    if target not in moved or moved[target][0] < candidate[0]:
                        moved[target] = candidate
            frontier = self._eps_expand(moved)
            if not frontier:
                return {}
        return frontier

    def _eps_expand(self, frontier: _Frontier) -> _Frontier:
        out = dict(frontier)
        stack = list(frontier)
        while stack:
            state = stack.pop()
            score, labels = out[state]
            for token, target, bonus, label in self.arcs[state]:
                if token != EPS:
                    continue
                candidate = (score + bonus, labels + ((label,) if label is not None else ()))
                if target not in out or out[target][0] < candidate[0]:
                    out[target] = candidate
                    stack.append(target)
        return out


class GraphContext:
    """A SearchContext over a TokenGraph: hypothesis states are closed sets of NFA states.

    ``similar`` maps a token to tokens that may stand in for it at ``similar_cost`` (the same
    final in another tone): tone errors and sandhi are tolerated without arcs of their own.
    """

    def __init__(self, graph: TokenGraph, similar: dict[int, tuple[int, ...]] | None = None,
                 similar_cost: float = -2.0) -> None:
        self.graph = graph
        self.similar = similar or {}
        self.similar_cost = similar_cost
        self._start = graph.closure({0})
        self._allowed: dict[StateSet, TokenIds | None] = {}
        self._next: dict[tuple[StateSet, int], tuple[StateSet, float]] = {}

    def start(self) -> Hashable:
        return self._start

    def allowed(self, state: Hashable) -> TokenIds | None:
        assert isinstance(state, frozenset)
        if state not in self._allowed:
            if len(self._allowed) >= CACHE_LIMIT:  # an always-on listener meets ever new sets
                self._allowed.clear()
            tokens: set[int] = set()
            free = False
            for member in state:
                for token, _, _, _ in self.graph.arcs[member]:
                    free |= token == ANY
                    if token >= 0:
                        tokens.add(token)
                        tokens.update(self.similar.get(token, ()))
            self._allowed[state] = None if free else np.array(sorted(tokens), dtype=np.int64)
        return self._allowed[state]

    def advance(self, state: Hashable, token: int) -> tuple[Hashable, float]:
        assert isinstance(state, frozenset)
        key = (state, token)
        if key not in self._next:
            if len(self._next) >= CACHE_LIMIT:
                self._next.clear()
            targets, best = self._targets(state, token, exact=True)
            if not targets:
                targets, best = self._targets(state, token, exact=False)
            self._next[key] = (self.graph.closure(targets), best if targets else -1e9)
        return self._next[key]

    def _targets(self, state: StateSet, token: int, exact: bool) -> tuple[set[int], float]:
        targets: set[int] = set()
        best = -np.inf
        cost = 0.0 if exact else self.similar_cost
        for member in state:
            for arc_token, target, bonus, _ in self.graph.arcs[member]:
                hit = (arc_token in (token, ANY) if exact
                       else token in self.similar.get(arc_token, ()))
                if hit:
                    targets.add(target)
                    best = max(best, bonus + cost)
        return targets, float(best)

    def finish(self, state: Hashable) -> float | None:
        assert isinstance(state, frozenset)
        return 0.0 if not state.isdisjoint(self.graph.finals) else None


def tone_neighbours(symbols: Sequence[str]) -> dict[int, tuple[int, ...]]:
    """For each tone-marked final, the ids of the same final in the other tones."""
    from asr.readings import with_tone

    by_bare: dict[str, list[int]] = {}
    for index, symbol in enumerate(symbols):
        if symbol and symbol[0].islower():
            by_bare.setdefault(with_tone(symbol, 5), []).append(index)
    out: dict[int, tuple[int, ...]] = {}
    for group in by_bare.values():
        for index in group:
            others = tuple(g for g in group if g != index)
            if others:
                out[index] = others
    return out
