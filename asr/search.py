"""Transducer search over encoder frames: greedy and modified beam search, streaming.

Both searches take encoder frames as they arrive (``advance``), can report the best hypothesis at
any time (partial results) and carry, per emitted token, its frame and log-probability. A
``SearchContext`` (asr/context.py) may restrict, reward and judge hypotheses; scores stay
log-softmax over the whole vocabulary, so constrained and free scores remain comparable.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np

from asr.context import FreeContext, SearchContext
from asr.model import FloatArray, TransducerModel
from asr.tokens import BLANK


@dataclass(frozen=True, slots=True)
class TokenNode:
    """One emitted token; hypotheses share their history through ``parent`` links."""

    token: int
    frame: int
    logprob: float
    parent: TokenNode | None


@dataclass(slots=True)
class Hyp:
    score: float  # acoustic log-probability plus context bonuses
    bonus: float  # the part of ``score`` that came from the context
    key: int  # identifies the token sequence (hash chain), for merging
    history: tuple[int, ...]  # the last context_size tokens, the decoder's input
    state: Hashable
    node: TokenNode | None = None

    def tokens(self) -> list[TokenNode]:
        nodes: list[TokenNode] = []
        node = self.node
        while node is not None:
            nodes.append(node)
            node = node.parent
        nodes.reverse()
        return nodes

    def extend(self, token: int, frame: int, logprob: float, state: Hashable,
               bonus: float) -> Hyp:
        return Hyp(
            score=self.score + logprob + bonus,
            bonus=self.bonus + bonus,
            key=hash((self.key, token)),
            history=(*self.history[1:], token),
            state=state,
            node=TokenNode(token, frame, logprob, self.node),
        )


@dataclass(frozen=True)
class Decoded:
    """A finished or partial hypothesis in plain values."""

    tokens: list[int]
    frames: list[int]
    token_logprobs: list[float]
    score: float  # acoustic log-probability of the path (context bonuses excluded)
    bonus: float
    state: Hashable = field(default=None)

    @staticmethod
    def of(hyp: Hyp, final_bonus: float = 0.0) -> Decoded:
        nodes = hyp.tokens()
        return Decoded(
            tokens=[n.token for n in nodes],
            frames=[n.frame for n in nodes],
            token_logprobs=[n.logprob for n in nodes],
            score=hyp.score - hyp.bonus,
            bonus=hyp.bonus + final_bonus,
            state=hyp.state,
        )


def _log_add(a: float, b: float) -> float:
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log1p(math.exp(low - high))


class Search:
    """Shared by both searches: the model, the context, the live hypotheses, the frame count."""

    def __init__(self, model: TransducerModel, context: SearchContext | None = None) -> None:
        self.model = model
        self.context: SearchContext = context if context is not None else FreeContext()
        self.frames = 0
        # the decoder reads -1 as "no token" (a zero embedding): the start context is (-1, blank)
        start = (-1,) * (model.context_size - 1) + (BLANK,)
        self.hyps = [Hyp(0.0, 0.0, 0, start, self.context.start())]
        self._masks: dict[Hashable, np.ndarray | None] = {}

    def _mask(self, state: Hashable) -> np.ndarray | None:
        """Additive row: 0 for allowed tokens (and blank), -inf elsewhere; None if all allowed."""
        if state in self._masks:
            return self._masks[state]
        allowed = self.context.allowed(state)
        mask = None
        if allowed is not None:
            mask = np.full(self.model.vocab_size, -np.inf, dtype=np.float32)
            mask[allowed] = 0.0
            mask[BLANK] = 0.0
        if len(self._masks) < 65536:
            self._masks[state] = mask
        return mask

    def advance(self, encoder_frames: FloatArray) -> None:
        for row in encoder_frames:
            self._step(row)
            self.frames += 1

    def _step(self, row: FloatArray) -> None:
        raise NotImplementedError

    def best(self, final: bool = False) -> Decoded | None:
        """The best hypothesis; with ``final`` only those the context lets end, with its bonus."""
        ranked: list[tuple[float, Hyp, float]] = []
        for hyp in self.hyps:
            adjust = self.context.finish(hyp.state) if final else 0.0
            if adjust is not None:
                ranked.append((hyp.score + adjust, hyp, adjust))
        if not ranked:
            return None
        _, hyp, adjust = max(ranked, key=lambda item: item[0])
        return Decoded.of(hyp, adjust)


class GreedySearch(Search):
    """Arg-max per frame, at most one symbol per frame (as the model was trained).

    The decoder output only changes when a token is emitted, so the joiner runs once over all
    remaining frames of a chunk and again only after an emission.
    """

    def __init__(self, model: TransducerModel, context: SearchContext | None = None,
                 trace: bool = False) -> None:
        super().__init__(model, context)
        # with ``trace``, the path's cumulative score after each frame (for keyword spotting)
        self.trace: list[float] | None = [] if trace else None

    def advance(self, encoder_frames: FloatArray) -> None:
        start, count = 0, len(encoder_frames)
        while start < count:
            hyp = self.hyps[0]
            decoder_row = self.model.decoder_out([hyp.history])
            block = encoder_frames[start:]
            logp = self.model.join(block, np.repeat(decoder_row, len(block), axis=0))
            mask = self._mask(hyp.state)
            tokens = np.argmax(logp if mask is None else logp + mask, axis=1)
            emitted = np.flatnonzero(tokens != BLANK)
            stop = int(emitted[0]) if len(emitted) else len(block)
            if self.trace is not None:
                steps = np.cumsum(logp[:stop, BLANK], dtype=np.float64) + hyp.score
                self.trace.extend(steps.tolist())
            hyp.score += float(logp[:stop, BLANK].sum())
            self.frames += stop
            if stop == len(block):
                return
            token = int(tokens[stop])
            state, bonus = self.context.advance(hyp.state, token)
            self.hyps[0] = hyp.extend(token, self.frames, float(logp[stop, token]), state, bonus)
            if self.trace is not None:
                self.trace.append(self.hyps[0].score)
            self.frames += 1
            start += stop + 1


class BeamSearch(Search):
    """Modified beam search: per frame each hypothesis stays (blank) or takes one token; the best
    ``beam`` extensions survive and hypotheses with equal tokens and state are merged (log-add)."""

    def __init__(self, model: TransducerModel, beam: int = 4,
                 context: SearchContext | None = None) -> None:
        if beam < 1:
            raise ValueError(f"beam must be at least 1, got {beam}")
        super().__init__(model, context)
        self.beam = beam

    def _step(self, row: FloatArray) -> None:
        hyps = self.hyps
        decoder_rows = self.model.decoder_out([h.history for h in hyps])
        logp = self.model.join(np.repeat(row[np.newaxis], len(hyps), axis=0), decoder_rows)
        totals = logp + np.array([h.score for h in hyps], dtype=np.float32)[:, np.newaxis]
        for i, hyp in enumerate(hyps):
            mask = self._mask(hyp.state)
            if mask is not None:
                totals[i] += mask
        flat = totals.ravel()
        k = min(self.beam, flat.size)
        chosen = np.argpartition(-flat, k - 1)[:k]
        merged: dict[tuple[int, Hashable], Hyp] = {}
        vocab = self.model.vocab_size
        for index in chosen[np.argsort(-flat[chosen])]:
            if not np.isfinite(flat[index]):
                continue
            i, token = divmod(int(index), vocab)
            new = self._extend(hyps[i], token, float(logp[i, token]))
            key = (new.key, new.state)
            old = merged.get(key)
            if old is None:
                merged[key] = new
            else:
                old.score = _log_add(old.score, new.score)
        if merged:
            self.hyps = list(merged.values())

    def _extend(self, hyp: Hyp, token: int, logprob: float) -> Hyp:
        if token == BLANK:
            return Hyp(hyp.score + logprob, hyp.bonus, hyp.key, hyp.history, hyp.state, hyp.node)
        state, bonus = self.context.advance(hyp.state, token)
        return hyp.extend(token, self.frames, logprob, state, bonus)


class PairedSearch(Search):
    """Two searches over the same encoder frames: a ``constrained`` one (a grammar's graph) and a
    ``free`` one. It reads as the free search (hypotheses, ``best``), so a Stream over it gives
    free decoding's results and N-best list; read the constrained search through its attribute.
    """

    def __init__(self, constrained: Search, free: Search) -> None:
        if constrained.model is not free.model:
            raise ValueError("the paired searches must decode with the same model")
        super().__init__(free.model, free.context)
        self.constrained, self.free = constrained, free
        self.hyps = free.hyps

    def advance(self, encoder_frames: FloatArray) -> None:
        self.constrained.advance(encoder_frames)
        self.free.advance(encoder_frames)
        self.frames += len(encoder_frames)
        self.hyps = self.free.hyps

    def best(self, final: bool = False) -> Decoded | None:
        return self.free.best(final)


def make_search(model: TransducerModel, beam: int, context: SearchContext | None = None) -> Search:
    """beam <= 1 → greedy; otherwise modified beam search with that many hypotheses."""
    return GreedySearch(model, context) if beam <= 1 else BeamSearch(model, beam, context)
