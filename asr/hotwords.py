"""Biasing free decoding toward phrases (names, titles, command words): a hotword context.

An Aho-Corasick automaton over the phrases' token sequences. Each matched token earns ``boost``;
when the match breaks off before the end of a phrase, the failure link's difference takes the
earned bonus back (and ``finish`` takes back an unfinished one), so only completed phrases keep
their bonus. A SearchContext (asr/context.py), used with beam search.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence

from asr.context import TokenIds

DEFAULT_BOOST = 1.0


class HotwordContext:
    def __init__(self, phrases: Iterable[Sequence[int]], boost: float = DEFAULT_BOOST) -> None:
        self.boost = boost
        self.children: list[dict[int, int]] = [{}]
        self.depth = [0]
        self.is_end = [False]
        for tokens in phrases:
            self._insert(tokens)
        self.fail = [0] * len(self.children)
        self._link()
        self._cache: dict[tuple[int, int], tuple[int, float]] = {}

    def _insert(self, tokens: Sequence[int]) -> None:
        node = 0
        for token in tokens:
            nxt = self.children[node].get(token)
            if nxt is None:
                nxt = len(self.children)
                self.children[node][token] = nxt
                self.children.append({})
                self.depth.append(self.depth[node] + 1)
                self.is_end.append(False)
            node = nxt
        if node:
            self.is_end[node] = True

    def _link(self) -> None:
        queue = deque(self.children[0].values())
        while queue:
            node = queue.popleft()
            for token, child in self.children[node].items():
                fallback = self.fail[node]
                while fallback and token not in self.children[fallback]:
                    fallback = self.fail[fallback]
                target = self.children[fallback].get(token, 0)
                self.fail[child] = target if target != child else 0
                queue.append(child)

    def _score(self, node: int) -> float:
        return self.boost * self.depth[node]

    def start(self) -> Hashable:
        return 0

    def allowed(self, state: Hashable) -> TokenIds | None:
        return None

    def advance(self, state: Hashable, token: int) -> tuple[Hashable, float]:
        assert isinstance(state, int)
        key = (state, token)
        if key not in self._cache:
            if len(self._cache) >= 200_000:  # bounded for an always-on listener
                self._cache.clear()
            node = state
            while node and token not in self.children[node]:
                node = self.fail[node]
            nxt = self.children[node].get(token, 0)
            base = 0.0 if self.is_end[state] else self._score(state)
            self._cache[key] = (nxt, self._score(nxt) - base)
        return self._cache[key]

    def finish(self, state: Hashable) -> float | None:
        assert isinstance(state, int)
        return 0.0 if self.is_end[state] else -self._score(state)


def phrase_tokens(phrases: Iterable[str], ids: dict[str, int]) -> list[list[int]]:
    """The usual reading of each phrase as token ids (phrases the model cannot say are left out).
    pypinyin's part of the readings comes from the readings cache (asr/readings_cache.py)."""
    from asr.readings import ReadingError, phrase_units  # once per call, not per phrase
    from asr.readings_cache import readings_for

    vocabulary = frozenset(ids)
    texts = list(phrases)
    out = []
    for phrase, readings in zip(texts, readings_for(texts), strict=True):
        try:
            units = phrase_units(phrase, vocabulary, readings=readings)
        except ReadingError:
            continue
        out.append([ids[t] for unit in units for t in unit.options[0]])
    return out
