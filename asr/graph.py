"""Token graphs for grammar-constrained decoding: an epsilon-NFA over the model's token ids
with output labels on arcs, searched through a lazily determinised view (sets of NFA states), so
a beam never fills with copies of one token sequence reached by different paths.

Arc tokens: an id >= 0 consumes that token, ``EPS`` consumes nothing, ``ANY`` consumes any token
(free-text slots). Each arc has a bonus (log domain, <= 0 for variant readings and free text) and
an optional label (asr/labels.py) that ``align`` gives back for the chosen path.

The graph is flat arrays (compressed sparse rows: per state its epsilon arcs, then the arcs that
consume a token), so a compiled grammar costs ~20 bytes per arc, can be memory-mapped from the
graph cache (intents/graph_cache.py), and every walk over it is a few NumPy operations over the
current set of states rather than a Python loop over arc objects. ``GraphBuilder`` collects arcs
in any order while a grammar is compiled and freezes them into a ``TokenGraph``.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asr.context import TokenIds
from asr.labels import Label, TextLabel, TokenLabel

EPS = -1
ANY = -2
NO_LABEL = -1
CACHE_LIMIT = 20_000  # cached state sets per kind (the search recomputes what it needs)
Arc = tuple[int, int, float, Label | None]  # (token, target state, bonus, label)
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Similar = dict[int, tuple[int, ...]]
_EMPTY = np.zeros(0, dtype=np.int64)


class GraphBuilder:
    """Arcs as a compiler adds them (to any state, in any order), frozen into a TokenGraph.

    Four bytes per field in ``array`` buffers, labels interned once: compiling a large grammar
    holds no Python object per arc."""

    def __init__(self) -> None:
        self.states = 1  # state 0 is the start
        self.finals: set[int] = set()
        self._source, self._token, self._target = array("i"), array("i"), array("i")
        self._label = array("i")
        self._bonus = array("d")
        self._labels: dict[Label, int] = {}

    def new_state(self) -> int:
        self.states += 1
        return self.states - 1

    def add(self, source: int, token: int, target: int, bonus: float = 0.0,
            label: Label | None = None) -> None:
        self._source.append(source)
        self._token.append(token)
        self._target.append(target)
        self._bonus.append(bonus)
        self._label.append(NO_LABEL if label is None else
                           self._labels.setdefault(label, len(self._labels)))

    def freeze(self) -> TokenGraph:
        """Per state its epsilon arcs first, then the consuming ones, each in the order added."""
        source = np.frombuffer(self._source, dtype=np.intc).astype(np.int64)
        token = np.frombuffer(self._token, dtype=np.intc)
        order = np.lexsort((token != EPS, source))  # stable: the order added within a kind
        counts = np.bincount(source, minlength=self.states)
        offsets = np.zeros(self.states + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        eps_counts = np.bincount(source[token == EPS], minlength=self.states)
        return TokenGraph(
            offsets=offsets, eps_end=offsets[:-1] + eps_counts,
            tokens=token[order].astype(np.int32),
            targets=np.frombuffer(self._target, dtype=np.intc)[order].astype(np.int32),
            bonus=np.frombuffer(self._bonus, dtype=np.float64)[order].copy(),
            labels=np.frombuffer(self._label, dtype=np.intc)[order].astype(np.int32),
            label_table=tuple(self._labels),
            finals=np.array(sorted(self.finals), dtype=np.int32))


def arc_ranges(starts: npt.NDArray[np.integer], ends: npt.NDArray[np.integer]
            ) -> tuple[Ints, Ints]:
    """The arc indices ``starts[i]..ends[i]`` concatenated, and for each the ``i`` it came from."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return _EMPTY, _EMPTY
    owner = np.repeat(np.arange(len(lengths)), lengths)
    shift = starts.astype(np.int64) - (np.cumsum(lengths) - lengths)
    return np.arange(total, dtype=np.int64) + shift[owner], owner


def _best_per_target(targets: Ints, scores: Floats, words: Ints) -> Ints:
    """Positions of the best path into each distinct target: the highest score, then the most
    labelled words (the grammar's own words over skip words saying the same; punctuation in a
    template does not count), then the first."""
    order = np.lexsort((-words, -scores, targets))
    ordered = targets[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return order[first]


class TokenGraph:
    """A frozen token graph over flat arrays (NumPy, or memory-mapped from the graph cache).

    ``offsets[s]..eps_end[s]`` are state ``s``'s epsilon arcs and ``eps_end[s]..offsets[s+1]``
    its consuming arcs; per arc ``tokens``, ``targets``, ``bonus`` and ``labels`` (an index into
    ``label_table``, ``NO_LABEL`` for none)."""

    def __init__(self, *, offsets: npt.NDArray[np.int64], eps_end: npt.NDArray[np.int64],
                 tokens: npt.NDArray[np.int32], targets: npt.NDArray[np.int32],
                 bonus: npt.NDArray[np.float64], labels: npt.NDArray[np.int32],
                 label_table: tuple[Label, ...], finals: npt.NDArray[np.int32]) -> None:
        self.offsets, self.eps_end = offsets, eps_end
        self.tokens, self.targets, self.bonus, self.labels = tokens, targets, bonus, labels
        self.label_table = label_table
        # a path's words, for the tie-break after the score: every label but punctuation
        # (index -1, no label, reads the last entry: 0)
        self.word_weight = np.array([*(_is_word(label) for label in label_table), 0],
                                    dtype=np.int64)
        self.finals = finals
        self.is_final = np.zeros(self.num_states, dtype=bool)
        self.is_final[finals] = True
        self._start: Lattice | None = None
        self._contexts: dict[tuple[object, ...], GraphContext] = {}

    def context(self, similar: Similar | None = None, similar_cost: float = -2.0) -> GraphContext:
        """The search context over this graph, one per (similar, cost): every stream of every
        understander that loaded this graph shares what the search worked out."""
        key = (similar_cost, *sorted((similar or {}).items()))
        found = self._contexts.get(key)
        if found is None:
            found = self._contexts[key] = GraphContext(self, similar, similar_cost)
        return found

    @property
    def num_states(self) -> int:
        return len(self.offsets) - 1

    @property
    def num_arcs(self) -> int:
        return len(self.tokens)

    @property
    def vocab_bound(self) -> int:
        """One more than the largest token id on an arc."""
        return int(self.tokens.max(initial=-1)) + 1

    def arcs(self, state: int) -> list[Arc]:
        """State ``state``'s arcs as tuples (for tests and tools; the search reads arrays)."""
        a, b = int(self.offsets[state]), int(self.offsets[state + 1])
        return [(int(t), int(g), float(w), self.label(int(i))) for t, g, w, i in zip(
            self.tokens[a:b], self.targets[a:b], self.bonus[a:b], self.labels[a:b], strict=True)]

    def label(self, index: int) -> Label | None:
        return None if index < 0 else self.label_table[index]

    def same_as(self, other: TokenGraph) -> bool:
        return (self.label_table == other.label_table and all(
            np.array_equal(getattr(self, n), getattr(other, n)) for n in
            ("offsets", "eps_end", "tokens", "targets", "bonus", "labels", "finals")))

    def consuming(self, states: npt.NDArray[np.integer]) -> tuple[Ints, Ints]:
        return arc_ranges(self.eps_end[states], self.offsets[states + 1])

    def epsilons(self, states: npt.NDArray[np.integer]) -> tuple[Ints, Ints]:
        return arc_ranges(self.offsets[states], self.eps_end[states])

    def arc_source(self, arc: int) -> int:
        return int(np.searchsorted(self.offsets, arc, side="right")) - 1

    def closure(self, states: npt.NDArray[np.integer]) -> Ints:
        """The sorted set of states reachable from ``states`` by epsilon arcs (them included).
        Visited states are marked in a per-call mask, so each level costs what it finds."""
        found = np.unique(np.asarray(states, dtype=np.int64))
        seen = np.zeros(self.num_states, dtype=bool)
        seen[found] = True
        parts, frontier = [found], found
        while frontier.size:
            arcs, _ = self.epsilons(frontier)
            targets = self.targets[arcs]
            targets = targets[~seen[targets]]
            if not targets.size:
                break
            frontier = np.unique(targets).astype(np.int64)
            seen[frontier] = True
            parts.append(frontier)
        return np.sort(np.concatenate(parts)) if len(parts) > 1 else found

    def align(self, tokens: Sequence[int], similar: Similar | None = None,
              similar_cost: float = -2.0, memo: LatticeMemo | None = None
              ) -> tuple[list[Label], float] | None:
        """The best-bonus path consuming exactly ``tokens`` from start to a final state: its
        labels in order (ANY arcs give ``TokenLabel(id)``) and its total bonus. ``similar`` as
        in GraphContext: stand-in tokens at ``similar_cost``."""
        lattice = self.lattice(tokens, similar, similar_cost, memo)
        if lattice is None:
            return None
        best = lattice.best_final()
        if best is None:
            return None
        return lattice.labels(best), lattice.score(best)

    def lattice(self, tokens: Sequence[int], similar: Similar | None = None,
                similar_cost: float = -2.0, memo: LatticeMemo | None = None) -> Lattice | None:
        """Every path's best way to each state after ``tokens`` (a Viterbi pass with back
        pointers); None when the graph cannot take the tokens. With ``memo`` (one per
        utterance, one thread) the steps of prefixes walked before are reused, so a stream that
        walks its best path as it grows pays only for the new tokens at the end."""
        if memo is None:
            memo = LatticeMemo()
        if memo.graph is not self:
            memo.bind(self, similar or {})
        steps = memo.longest_prefix(tokens)
        if not steps:
            steps = [self._start_step()]
        for position in range(len(steps) - 1, len(tokens)):
            step = self._consume(steps[-1], int(tokens[position]), memo.stand_in, similar_cost,
                                 memo.scratch())
            if step is None:
                return None
            steps.append(step)
            memo.remember(tokens, steps)
        return Lattice(self, steps, list(tokens))

    def _start_step(self) -> _Step:
        if self._start is None:
            zero = np.zeros(1, dtype=np.int64)
            step = self._relax(zero, np.zeros(1), zero, np.full(1, -1, dtype=np.int64),
                               _Scratch(self.num_states))
            self._start = Lattice(self, [step], [])
        return self._start.steps[0]

    def _consume(self, previous: _Step, token: int, stand_in: npt.NDArray[np.bool_],
                 similar_cost: float, scratch: _Scratch) -> _Step | None:
        arcs, owner = self.consuming(previous.states)
        arc_tokens = self.tokens[arcs]
        cost = self.bonus[arcs].copy()
        keep = (arc_tokens == token) | (arc_tokens == ANY)
        if token < stand_in.shape[1]:
            near = np.zeros(len(arcs), dtype=bool)
            heard = (arc_tokens >= 0) & ~keep
            near[heard] = stand_in[arc_tokens[heard], token]
            cost[near] += similar_cost
            keep |= near
        if not keep.any():
            return None
        arcs, cost, owner = arcs[keep], cost[keep], owner[keep]
        scores = previous.scores[owner] + cost
        words = previous.words[owner] + self.word_weight[self.labels[arcs]]
        chosen = _best_per_target(self.targets[arcs].astype(np.int64), scores, words)
        return self._relax(self.targets[arcs[chosen]].astype(np.int64), scores[chosen],
                           words[chosen], arcs[chosen], scratch)

    def _relax(self, states: Ints, scores: Floats, words: Ints, via: Ints,
               scratch: _Scratch) -> _Step:
        """Epsilon arcs from ``states`` (distinct), keeping each state's best path and the arc
        it came by; a state is taken again only when strictly better (bonuses are <= 0 and the
        compiler makes no epsilon cycles; the bound only guards against a crafted graph)."""
        best, most, came = scratch.best, scratch.words, scratch.via
        best[states], most[states], came[states] = scores, words, via
        touched = [states]
        active = states
        for _ in range(self.num_states):
            arcs, owner = self.epsilons(active)
            if not arcs.size:
                break
            candidate = best[active][owner] + self.bonus[arcs]
            counts = most[active][owner] + self.word_weight[self.labels[arcs]]
            targets = self.targets[arcs].astype(np.int64)
            chosen = _best_per_target(targets, candidate, counts)
            targets, candidate, counts, arcs = (
                targets[chosen], candidate[chosen], counts[chosen], arcs[chosen])
            held = best[targets]
            better = (candidate > held) | ((candidate == held) & (counts > most[targets]))
            active = targets[better]
            best[active], most[active], came[active] = (
                candidate[better], counts[better], arcs[better])
            touched.append(active)
        reached = np.unique(np.concatenate(touched))
        step = _Step(reached, best[reached].copy(), most[reached].copy(), came[reached].copy())
        best[reached] = -np.inf
        return step


def _is_word(label: Label) -> bool:
    return not isinstance(label, TextLabel) or any(char.isalnum() for char in label.text)


def similar_matrix(similar: Similar, bound: int) -> npt.NDArray[np.bool_]:
    """``m[a, t]``: token ``t`` may stand in for an arc's token ``a``."""
    size = max([bound, *[k + 1 for k in similar], *[t + 1 for v in similar.values() for t in v]])
    matrix = np.zeros((size, size), dtype=bool)
    for token, others in similar.items():
        matrix[token, list(others)] = True
    return matrix


class LatticeMemo:
    """Lattice steps by token prefix, for one utterance (see TokenGraph.lattice)."""

    LIMIT = 4096  # steps kept; a long utterance starts over rather than grow without end

    def __init__(self) -> None:
        self.graph: TokenGraph | None = None
        self.stand_in = np.zeros((0, 0), dtype=bool)
        self._steps: dict[tuple[int, ...], _Step] = {}
        self._scratch: _Scratch | None = None

    def bind(self, graph: TokenGraph, similar: Similar) -> None:
        self.graph = graph
        self.stand_in = similar_matrix(similar, graph.vocab_bound)
        self._steps.clear()
        self._scratch = None

    def scratch(self) -> _Scratch:
        assert self.graph is not None
        if self._scratch is None:
            self._scratch = _Scratch(self.graph.num_states)
        return self._scratch

    def longest_prefix(self, tokens: Sequence[int]) -> list[_Step]:
        """The steps of the longest remembered prefix of ``tokens`` (start step first)."""
        key = tuple(int(t) for t in tokens)
        for length in range(len(key), 0, -1):
            if key[:length] in self._steps:
                return [self._steps[key[:n]] for n in range(length + 1)]
        return [self._steps[()]] if () in self._steps else []

    def remember(self, tokens: Sequence[int], steps: list[_Step]) -> None:
        if len(self._steps) >= self.LIMIT:
            self._steps.clear()
        key = tuple(int(t) for t in tokens[:len(steps) - 1])
        for length in range(len(key), -1, -1):
            if key[:length] in self._steps:
                break
            self._steps[key[:length]] = steps[length]


class _Scratch:
    """Per-state buffers for one walk (allocated per call: walks may run on several threads)."""

    def __init__(self, states: int) -> None:
        self.best = np.full(states, -np.inf)
        self.words = np.zeros(states, dtype=np.int64)
        self.via = np.full(states, -1, dtype=np.int64)


@dataclass(frozen=True)
class _Step:
    states: Ints  # sorted
    scores: Floats
    words: Ints  # labels on the best path (the tie-break after the score)
    via: Ints  # the arc each state was reached by (-1: the start)

    def find(self, state: int) -> int:
        index = int(np.searchsorted(self.states, state))
        if index >= len(self.states) or self.states[index] != state:
            raise KeyError(state)
        return index


@dataclass(frozen=True)
class Lattice:
    """The states a token sequence leads to, with each one's best path (see TokenGraph.lattice)."""

    graph: TokenGraph
    steps: list[_Step]
    tokens: list[int]

    @property
    def states(self) -> Ints:
        return self.steps[-1].states

    def best_final(self) -> int | None:
        last = self.steps[-1]
        finals = np.flatnonzero(self.graph.is_final[last.states])
        if not finals.size:
            return None
        return int(last.states[finals[np.argmax(last.scores[finals])]])

    def score(self, state: int) -> float:
        last = self.steps[-1]
        return float(last.scores[last.find(state)])

    def labels(self, state: int) -> list[Label]:
        """The labels on the best path to ``state`` (after all the tokens), in path order."""
        graph, out = self.graph, list[Label]()
        position = len(self.steps) - 1
        while True:
            step = self.steps[position]
            arc = int(step.via[step.find(state)])
            if arc < 0:
                break
            token = int(graph.tokens[arc])
            if token == ANY:
                out.append(TokenLabel(self.tokens[position - 1]))
            label = graph.label(int(graph.labels[arc]))
            if label is not None:
                out.append(label)
            state = graph.arc_source(arc)
            if token != EPS:
                position -= 1
        out.reverse()
        return out


def state_key(states: Ints) -> bytes:
    return states.astype(np.int32).tobytes()


def state_members(key: Hashable) -> Ints:
    assert isinstance(key, bytes)
    return np.frombuffer(key, dtype=np.int32).astype(np.int64)


class GraphContext:
    """A SearchContext over a TokenGraph: hypothesis states are closed sets of NFA states (as
    the bytes of their sorted ids: hashable, compact and read back without copying).

    ``similar`` maps a token to tokens that may stand in for it at ``similar_cost`` (the same
    final in another tone): tone errors and sandhi are tolerated without arcs of their own.
    """

    def __init__(self, graph: TokenGraph, similar: Similar | None = None,
                 similar_cost: float = -2.0) -> None:
        self.graph = graph
        self.similar = similar or {}
        self.similar_cost = similar_cost
        self._stand_in = similar_matrix(self.similar, graph.vocab_bound)
        self._start = state_key(graph.closure(np.zeros(1, dtype=np.int64)))
        self._allowed: dict[Hashable, TokenIds | None] = {}
        self._next: dict[tuple[Hashable, int], tuple[bytes, float]] = {}

    def start(self) -> Hashable:
        return self._start

    def allowed(self, state: Hashable) -> TokenIds | None:
        found = self._allowed.get(state, False)
        if found is not False:
            return found  # type: ignore[return-value]
        if len(self._allowed) >= CACHE_LIMIT:  # an always-on listener meets ever new sets
            self._allowed.clear()
        arcs, _ = self.graph.consuming(state_members(state))
        tokens = self.graph.tokens[arcs]
        result: TokenIds | None = None
        if not (tokens == ANY).any():
            heard = np.zeros(self._stand_in.shape[0], dtype=bool)
            heard[tokens[tokens >= 0]] = True  # a mask, not a sort: the start state has ~100k arcs
            allowed = np.asarray(self._stand_in[heard].any(axis=0), dtype=bool)
            allowed[heard] = True
            result = np.flatnonzero(allowed).astype(np.int64)
        self._allowed[state] = result
        return result

    def advance(self, state: Hashable, token: int) -> tuple[Hashable, float]:
        key = (state, token)
        found = self._next.get(key)
        if found is None:
            if len(self._next) >= CACHE_LIMIT:
                self._next.clear()
            found = self._next[key] = self._advance(state_members(state), token)
        return found

    def _advance(self, members: Ints, token: int) -> tuple[bytes, float]:
        arcs, _ = self.graph.consuming(members)
        tokens = self.graph.tokens[arcs]
        hit = (tokens == token) | (tokens == ANY)
        cost = 0.0
        if not hit.any() and token < self._stand_in.shape[1]:
            hit = np.zeros(len(arcs), dtype=bool)
            heard = tokens >= 0
            hit[heard] = self._stand_in[tokens[heard], token]
            cost = self.similar_cost
        if not hit.any():
            return b"", -1e9
        taken = arcs[hit]
        best = float(self.graph.bonus[taken].max()) + cost
        return state_key(self.graph.closure(self.graph.targets[taken])), best

    def finish(self, state: Hashable) -> float | None:
        return 0.0 if self.graph.is_final[state_members(state)].any() else None


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
