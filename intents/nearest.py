"""The list item nearest to what was heard, by a weighted edit distance over pinyin syllables.

Items are indexed by their (fuzzy-key) syllables and syllable pairs; only the items sharing the
most with the heard span are scored, so a 5,000-item list costs a few dozen distance computations.
"""

from __future__ import annotations

import heapq
from collections import Counter
from functools import lru_cache

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


def distance(a: str, b: str) -> float:
    """Weighted edit distance between two token strings (one character per syllable)."""
    previous = [float(j) for j in range(len(b) + 1)]
    for i, x in enumerate(a, start=1):
        current = [float(i)]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + substitution_cost(x, y)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 - distance(a, b) / longest if longest else 0.0


def _grams(key: str) -> set[str]:
    """Syllables and syllable pairs: pairs keep the order, so 阳光阳关 prefers 阳光阳光."""
    return set(key) | {key[i:i + 2] for i in range(len(key) - 1)}


class NearestIndex:
    """Items keyed by token strings (fuzzy keys, one character per syllable) with values."""

    def __init__(self, table: dict[str, object]) -> None:
        self.keys: list[str] = []
        self.values: list[object] = []
        self.postings: dict[str, list[int]] = {}
        for key, value in table.items():
            index = len(self.keys)
            self.keys.append(key)
            self.values.append(value)
            for gram in _grams(key):
                self.postings.setdefault(gram, []).append(index)

    def best(self, heard: str) -> tuple[object, float] | None:
        """The most similar item and its similarity (0..1); None when nothing is close."""
        shared: Counter[int] = Counter()
        for gram in _grams(heard):
            shared.update(self.postings.get(gram, ()))
        if not shared:
            return None
        best_score, best_index = -1.0, 0
        # Most shared syllables first, then the closest in length.
        ranked = heapq.nlargest(CANDIDATES, shared.items(),
                                key=lambda kv: (kv[1], -abs(len(self.keys[kv[0]]) - len(heard))))
        for index, _ in ranked:
            score = similarity(heard, self.keys[index])
            if score > best_score:
                best_score, best_index = score, index
        return self.values[best_index], best_score
