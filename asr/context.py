"""How a later stage steers the search without rewriting it.

A ``SearchContext`` is consulted for every hypothesis: it can restrict the tokens that may come
next (grammar-constrained decoding), add a bonus when a token is taken (biasing, hotwords) and
judge the end of a hypothesis (a grammar's final states; taking back unfinished bonuses). Keyword
spotting uses the same hooks with an Aho-Corasick automaton as the state. States must be hashable:
hypotheses with the same tokens *and* the same state are merged.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

import numpy as np
import numpy.typing as npt

TokenIds = npt.NDArray[np.int64]


class SearchContext(Protocol):
    def start(self) -> Hashable:
        """The state of a hypothesis that has emitted nothing yet."""
        ...

    def allowed(self, state: Hashable) -> TokenIds | None:
        """Token ids that may follow in this state (blank is always allowed); None for any."""
        ...

    def advance(self, state: Hashable, token: int) -> tuple[Hashable, float]:
        """The state after ``token`` and the score bonus (log domain) earned by taking it."""
        ...

    def finish(self, state: Hashable) -> float | None:
        """Score adjustment when a hypothesis ends here; None when it may not end here."""
        ...


class FreeContext:
    """No restriction and no bonus: plain free decoding."""

    def start(self) -> Hashable:
        return None

    def allowed(self, state: Hashable) -> TokenIds | None:
        return None

    def advance(self, state: Hashable, token: int) -> tuple[Hashable, float]:
        return None, 0.0

    def finish(self, state: Hashable) -> float | None:
        return 0.0
