"""One command being captured: the grammar-constrained decoding of the segmenter's audio, the
partial transcript, and grammar-aware endpointing.

When the speaker pauses (``decide_after`` seconds of silence), the command is decoded to the end
right away and the grammar judges the best path: a complete command with nothing left to say
ends the utterance at once; one that could go on (a number that may take more digits, a name
that is the start of a longer one) waits a little longer; one that stops mid-command (``打电话给``)
waits longest. If the person goes on talking, the utterance so far is decoded again from its
buffered audio and the new speech continues it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from asr.audio import AudioChunk
from intents.compile import TONE_COST
from intents.completion import Completion, completion
from intents.speech import SpeechUnderstander, Understanding, UnderstandingStream


@dataclass(frozen=True)
class EndpointPolicy:
    """Silence (seconds after the last speech) that ends an utterance, by the grammar's verdict.
    ``grammar_aware=False`` ends every utterance after the segmenter's fixed hangover."""

    grammar_aware: bool = True
    done: float = 0.15
    may_continue: float = 0.6
    incomplete: float = 1.2
    not_command: float = 0.7

    def hangover(self, completion: Completion) -> float:
        return float(getattr(self, completion.value))


Judge = Callable[[UnderstandingStream, Understanding], Completion]


class CommandCapture:
    def __init__(self, understander: SpeechUnderstander, judge: Judge,
                 partial_every: float = 0.3) -> None:
        self.understander = understander
        self.judge = judge
        self.partial_every = partial_every
        self._audio: list[AudioChunk] = []
        self._stream: UnderstandingStream = understander.stream()
        self._result: Understanding | None = None
        self._since_partial = 0.0
        self._last_partial = ""

    def start(self, audio: Sequence[AudioChunk]) -> None:
        for chunk in audio:
            self.feed(chunk, partial=False)

    def feed(self, chunk: AudioChunk, partial: bool = True) -> str | None:
        """Decode more of the utterance; returns a new partial transcript when there is one."""
        self._audio.append(chunk)
        if self._result is not None:  # decided at a pause; more audio only matters on resume
            return None
        self._stream.accept(chunk.samples)
        self._since_partial += chunk.seconds
        if not partial or self._since_partial < self.partial_every:
            return None
        self._since_partial = 0.0
        return self._partial()

    def _partial(self) -> str | None:
        text = self._stream.partial_text()
        if not text or text == self._last_partial:
            return None
        self._last_partial = text
        return text

    def pause(self) -> Completion:
        """Decode to the end now and judge the result (kept for when the utterance ends)."""
        if self._result is None:
            self._result = self._stream.finish()
        return self.judge(self._stream, self._result)

    def resume(self) -> None:
        """The speaker went on: decode the buffered utterance again and continue from there."""
        if self._result is None:
            return
        self._result = None
        self._stream = self.understander.stream()
        samples = np.concatenate([c.samples for c in self._audio]) if self._audio else None
        if samples is not None:
            self._stream.accept(samples)

    def result(self) -> Understanding:
        if self._result is None:
            self._result = self._stream.finish()
        return self._result



def grammar_judge(stream: UnderstandingStream, result: Understanding) -> Completion:
    """The grammar's verdict on a decoded utterance (see intents/completion.py)."""
    owner = stream.owner
    constrained = stream.both.constrained
    if not result.rejected:
        best = constrained.best(final=True) if result.source == "graph" else None
        if best is None:
            return Completion.MAY_CONTINUE
        verdict = completion(owner.graph, best.tokens, owner.similar, TONE_COST, stream.memo)
        heard = len(stream.stream.finish().tokens)
        if verdict is Completion.DONE and len(best.tokens) > heard + 1:
            # the grammar path claims more than was heard (a last digit still to come, made up
            # from the tail of the one before): not done yet
            return Completion.MAY_CONTINUE
        return verdict
    partial = constrained.best(final=False)
    free = stream.stream.finish()  # already finished: the cached result
    if partial is not None and partial.tokens:
        ratio = (partial.score - free.score) / len(partial.tokens)
        if ratio >= owner.threshold:
            return Completion.INCOMPLETE
    return Completion.NOT_COMMAND


def fixed_judge(stream: UnderstandingStream, result: Understanding) -> Completion:
    """No grammar verdict (for comparison): every utterance waits the fixed hangover."""
    return Completion.NOT_COMMAND
