"""The list item nearest to what was heard, by a weighted edit distance over pinyin syllables.

Items are indexed by their (fuzzy-key) syllables and syllable pairs; only the items sharing the
most with the heard span are scored, so a 5,000-item list costs a few dozen distance computations.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from intents.textnorm import syllable_of

CANDIDATES = 24


@lru_cache(maxsize=8192)
def _split(tok: str) -> tuple[str, str]:
    syllable = syllable_of(tok)
    head = syllable[:2] if syllable[:2] in ("zh", "ch", "sh") else syllable[:1]
    if head and head in "aeiouv":
        head = ""
    return head, syllable[len(head):]


def substitution_cost(a: str, b: str) -> float:
    """0 for the same syllable, 0.5 when the initial or the final agrees, 1 otherwise."""
    if a == b:
        return 0.0
    (ia, fa), (ib, fb) = _split(a), _split(b)
    return 0.5 if ia == ib or fa == fb else 1.0


_COSTS: dict[str, dict[str, float]] = {}


def distance(a: str, b: str) -> float:
    """Weighted edit distance between two token strings (one character per syllable)."""
    previous = [float(j) for j in range(len(b) + 1)]
    for i, x in enumerate(a, start=1):
        costs = _COSTS.get(x)
        if costs is None:
            costs = _COSTS[x] = {}
        left = float(i)
        current = [left]
        for j, y in enumerate(b, start=1):
            cost = costs.get(y)
            if cost is None:
                cost = costs[y] = substitution_cost(x, y)
            value = previous[j - 1] + cost
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if left + 1 < value:
                value = left + 1
            current.append(value)
            left = value
        previous = current
    return previous[-1]


MIN_NEAR_SYLLABLES = 3  # shorter items may gain extra syllables around them, not lose one


def _in_order(key: str, heard: str) -> bool:
    """Every syllable of ``key`` appears in ``heard``, in order (extra ones allowed)."""
    rest = iter(heard)
    return all(syllable in rest for syllable in key)


def similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 - distance(a, b) / longest if longest else 0.0


def _grams(key: str) -> set[str]:
    """Syllables and syllable pairs: pairs keep the order, so 阳光阳关 prefers 阳光阳光."""
    return {*key, *map(str.__add__, key, key[1:])}


class NearestIndex:
    """Items keyed by token strings (fuzzy keys, one character per syllable) with values."""

    def __init__(self, table: dict[str, object]) -> None:
        self.keys: list[str] = list(table)
        self.values: list[object] = list(table.values())
        postings: dict[str, list[int]] = {}
        add = postings.setdefault
        for index, key in enumerate(self.keys):
            for gram in {*key, *map(str.__add__, key, key[1:])}:  # _grams, inlined
                add(gram, []).append(index)
        self.postings = {g: np.array(p, dtype=np.int32) for g, p in postings.items()}
        self.lengths = np.array([len(k) for k in self.keys], dtype=np.int32)

    def best(self, heard: str) -> tuple[object, float] | None:
        """The most similar item and its similarity (0..1); None when nothing is close."""
        found = [p for p in (self.postings.get(g) for g in _grams(heard)) if p is not None]
        if not found:
            return None
        shared = np.bincount(np.concatenate(found), minlength=len(self.keys))
        indexes = np.flatnonzero(shared)
        # Most shared syllables first, then the closest in length, then list order.
        rank = shared[indexes] * 1024 - np.abs(self.lengths[indexes] - len(heard))
        if len(indexes) > CANDIDATES:
            floor = np.partition(rank, len(rank) - CANDIDATES)[len(rank) - CANDIDATES]
            keep = rank >= floor
            indexes, rank = indexes[keep], rank[keep]
        order = np.lexsort((indexes, -rank))[:CANDIDATES]
        best_score, best_index = -1.0, 0
        for index in indexes[order].tolist():
            score = similarity(heard, self.keys[index])
            if score > best_score:
                best_score, best_index = score, index
        key = self.keys[best_index]
        if len(key) < MIN_NEAR_SYLLABLES and not _in_order(key, heard):
            return None  # one wrong syllable in two is a different word (新闻 is not 新风)
        return self.values[best_index], best_score
