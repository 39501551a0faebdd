"""The model's frontend: streaming Kaldi-compatible 80-bin log-mel fbank (kaldi-native-fbank).

Options as the model was trained: 25 ms Povey window, 10 ms shift, no dither, snip_edges=False,
high_freq=-400, 16 kHz, samples in [-1, 1]. The output is identical however the audio is chunked.
"""

from __future__ import annotations

import kaldi_native_fbank as knf
import numpy as np
import numpy.typing as npt

from asr.audio import SAMPLE_RATE

NUM_BINS = 80
Features = npt.NDArray[np.float32]


def fbank_options() -> knf.FbankOptions:
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = SAMPLE_RATE
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = False
    opts.frame_opts.frame_shift_ms = 10.0
    opts.frame_opts.frame_length_ms = 25.0
    opts.frame_opts.window_type = "povey"
    opts.mel_opts.num_bins = NUM_BINS
    opts.mel_opts.high_freq = -400
    return opts


class StreamingFbank:
    """Feed samples as they come; take the frames that are ready. Memory stays bounded."""

    def __init__(self) -> None:
        self._fbank = knf.OnlineFbank(fbank_options())
        self._taken = 0
        self._finished = False

    def accept(self, samples: npt.NDArray[np.float32]) -> None:
        if self._finished:
            raise RuntimeError("accept() after finish(): start a new stream")
        if len(samples):
            self._fbank.accept_waveform(SAMPLE_RATE, samples)

    def finish(self) -> None:
        if not self._finished:
            self._fbank.input_finished()
            self._finished = True

    def take(self) -> Features:
        """All frames computed since the last call, as a (frames, 80) array."""
        ready = self._fbank.num_frames_ready
        count = ready - self._taken
        if count <= 0:
            return np.zeros((0, NUM_BINS), dtype=np.float32)
        frames = np.empty((count, NUM_BINS), dtype=np.float32)
        for row, index in enumerate(range(self._taken, ready)):
            frames[row] = self._fbank.get_frame(index)
        self._fbank.pop(count)
        self._taken = ready
        return frames


def compute_fbank(samples: npt.NDArray[np.float32]) -> Features:
    """Whole-utterance features (the streaming frontend fed in one piece)."""
    stream = StreamingFbank()
    stream.accept(samples)
    stream.finish()
    return stream.take()
