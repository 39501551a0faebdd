"""Audio in, encoder frames out: the part every streaming consumer of the model shares.

Streaming fbank, the window of ``model.window`` feature frames advancing by ``model.shift``, and
the encoder's cached state (one feed per stream). ``finish`` adds the tail padding that moves the
last words out of the encoder's look-ahead.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from asr.audio import SAMPLE_RATE, Samples
from asr.features import NUM_BINS, StreamingFbank
from asr.model import EncoderState, FloatArray, TransducerModel

TAIL_PADDING_SECONDS = 0.5


class EncoderFeed:
    def __init__(self, model: TransducerModel) -> None:
        self.model = model
        self._fbank = StreamingFbank()
        self.pending = np.zeros((0, NUM_BINS), dtype=np.float32)  # features not yet encoded
        self._state: EncoderState = model.initial_state()

    def accept(self, samples: Samples) -> Iterator[FloatArray]:
        """Feed 16 kHz samples; yields each encoder chunk that became ready."""
        self._fbank.accept(samples)
        return self._encode()

    def finish(self) -> Iterator[FloatArray]:
        """Tail padding and the end of input; yields the last encoder chunks."""
        self._fbank.accept(np.zeros(int(TAIL_PADDING_SECONDS * SAMPLE_RATE), np.float32))
        self._fbank.finish()
        return self._encode()

    def _encode(self) -> Iterator[FloatArray]:
        frames = self._fbank.take()
        if len(frames):
            self.pending = np.concatenate([self.pending, frames])
        window, shift = self.model.window, self.model.shift
        while len(self.pending) >= window:
            encoded, self._state = self.model.encode(self.pending[:window], self._state)
            self.pending = self.pending[shift:]
            yield encoded
