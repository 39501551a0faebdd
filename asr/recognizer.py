"""The recogniser interface: a shared ``Recognizer`` (model, settings) and per-utterance
``Stream`` objects that take audio chunks of any size and give partial and final results."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from asr.audio import SAMPLE_RATE, AudioChunk, Samples, load_audio
from asr.context import SearchContext
from asr.encoder_feed import EncoderFeed
from asr.errors import AudioError
from asr.model import TransducerModel
from asr.search import Decoded, Search, make_search


@dataclass(frozen=True)
class Result:
    tokens: list[int]
    pinyin: str  # space-separated model tokens: "sh è d ìng"
    timestamps: list[float]  # seconds from the start of the stream, one per token
    token_logprobs: list[float]
    score: float  # acoustic log-probability of the best path
    audio_seconds: float
    final: bool
    # other hypotheses of the final beam as (pinyin, acoustic score), best first (final only)
    nbest: tuple[tuple[str, float], ...] = ()

    @property
    def confidence(self) -> float:
        """Mean per-token probability (0..1); 0 when nothing was recognised."""
        if not self.token_logprobs:
            return 0.0
        return float(np.exp(np.mean(self.token_logprobs)))


class Stream:
    """One utterance. Feed ``accept`` with chunks; read ``partial()``; end with ``finish()``."""

    def __init__(self, model: TransducerModel, search: Search, rate: int = SAMPLE_RATE) -> None:
        self._model = model
        self.search = search
        self._feed_encoder = EncoderFeed(model)
        self._samples = 0
        self._rate = rate
        self._resampler: Any = None
        if rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
        self._result: Result | None = None

    @property
    def audio_seconds(self) -> float:
        return self._samples / SAMPLE_RATE

    def accept(self, audio: AudioChunk | Samples) -> None:
        if self._result is not None:
            raise RuntimeError("this stream is finished; start a new one")
        if not isinstance(audio, AudioChunk):
            audio = AudioChunk(np.asarray(audio, dtype=np.float32), self._rate)
        chunk = audio
        if chunk.rate != self._rate:
            raise AudioError(f"stream opened at {self._rate} Hz was fed a {chunk.rate} Hz chunk")
        samples = np.asarray(chunk.samples, dtype=np.float32)
        if not np.all(np.isfinite(samples)):
            raise AudioError("audio chunk holds NaN or infinite samples")
        self._feed(samples, last=False)

    def _feed(self, samples: Samples, last: bool) -> None:
        if self._resampler is not None:
            samples = np.asarray(self._resampler.resample_chunk(samples, last=last),
                                 dtype=np.float32)
        self._samples += len(samples)
        for encoded in self._feed_encoder.accept(samples):
            self.search.advance(encoded)

    @property
    def _pending(self) -> Samples:
        """Feature frames not yet encoded (bounded by the encoder window)."""
        return self._feed_encoder.pending

    def partial(self) -> Result:
        return self._result or self._make_result(self.search.best(), final=False)

    def finish(self) -> Result:
        """Flush: tail padding moves the last words out of the look-ahead."""
        if self._result is None:
            if self._resampler is not None:
                self._feed(np.zeros(0, dtype=np.float32), last=True)
            for encoded in self._feed_encoder.finish():
                self.search.advance(encoded)
            decoded = self.search.best(final=True) or self.search.best()
            result = self._make_result(decoded, final=True)
            self._result = replace(result, nbest=self._nbest())
        return self._result

    def _nbest(self) -> tuple[tuple[str, float], ...]:
        ranked = sorted(self.search.hyps, key=lambda h: -(h.score - h.bonus))
        text = self._model.tokens.text
        return tuple((text(Decoded.of(h).tokens), h.score - h.bonus) for h in ranked)

    def _make_result(self, decoded: Decoded | None, final: bool) -> Result:
        seconds = self._model.frame_seconds
        if decoded is None:
            return Result([], "", [], [], float("-inf"), self.audio_seconds, final)
        return Result(
            tokens=decoded.tokens,
            pinyin=self._model.tokens.text(decoded.tokens),
            timestamps=[round(f * seconds, 3) for f in decoded.frames],
            token_logprobs=decoded.token_logprobs,
            score=decoded.score,
            audio_seconds=self.audio_seconds,
            final=final,
        )


class Recognizer:
    """The shared part: the loaded model and the default search settings."""

    def __init__(self, model: TransducerModel, beam: int = 4) -> None:
        self.model = model
        self.beam = beam

    @staticmethod
    def load(model_dir: Path | None = None, threads: int = 1, beam: int = 4) -> Recognizer:
        return Recognizer(TransducerModel.load(model_dir, threads), beam)

    def stream(self, rate: int = SAMPLE_RATE, beam: int | None = None,
               context: SearchContext | None = None) -> Stream:
        search = make_search(self.model, self.beam if beam is None else beam, context)
        return Stream(self.model, search, rate)

    def recognize(self, samples: Samples, beam: int | None = None,
                  context: SearchContext | None = None) -> Result:
        stream = self.stream(beam=beam, context=context)
        stream.accept(samples)
        return stream.finish()

    def recognize_file(self, path: str | Path, beam: int | None = None) -> Result:
        return self.recognize(load_audio(path), beam=beam)
