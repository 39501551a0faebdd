"""Wake words defined by text, spotted continuously on the recogniser's own model.

For every keyword a small Viterbi runs alongside free greedy decoding, frame by frame: state j
means "the first j tokens of the keyword have been emitted". Entering state 0 costs what the free
path scored so far, so a keyword may begin at any frame. When the last token is reached, the
keyword path is compared with the free path over the same frames: their log-likelihood ratio per
keyword token is the detection score (0 when the free decoding heard exactly the keyword, strongly
negative when something else was said). A keyword fires when its score passes its threshold, which
its sensitivity sets. Tones: every position accepts the readings in asr/readings.py (polyphones,
一/不 and third-tone sandhi, neutral tone).

Two bounds keep silence from ever matching: a keyword path may span at most
``MAX_SECONDS_PER_SYLLABLE`` per syllable plus ``SPAN_MARGIN`` (older paths are dropped from the
Viterbi, so a path that picked each token from a different stretch of a long silence never
wins), and a detection needs some sound in its span: its loudest 40 ms must reach
``MIN_LEVEL_DBFS`` (digital silence from a muted device, and the faint noise of an idle one, are
far below any voice).
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from asr.audio import SAMPLE_RATE, AudioChunk, Samples
from asr.encoder_feed import EncoderFeed
from asr.model import FloatArray, TransducerModel
from asr.readings import phrase_units
from asr.readings_cache import readings_for
from asr.search import GreedySearch
from asr.tokens import BLANK

DEFAULT_SENSITIVITY = 0.7
NEG = -1.0e9
# real phrases span ≤ 0.28 s per syllable (the dev speaker's 想听歌曲) and ≤ 0.5 s when drawn
# out (espeak-ng at 100 words a minute); digital silence gave spans of 5-30 s
MAX_SECONDS_PER_SYLLABLE = 0.6
SPAN_MARGIN = 1.0
MIN_LEVEL_DBFS = -70.0  # the loudest 40 ms of a detection: quieter is silence, not a voice


def threshold_for(sensitivity: float) -> float:
    """Sensitivity 0..1 → minimum log-likelihood ratio per token (0.5 → -1.0)."""
    if not 0.0 <= sensitivity <= 1.0:
        raise ValueError(f"sensitivity must be between 0 and 1, got {sensitivity}")
    return -2.0 * sensitivity


@dataclass(frozen=True)
class Keyword:
    phrase: str
    positions: tuple[tuple[int, ...], ...]  # allowed token ids per token position
    primary: tuple[int, ...]  # the usual reading, for the decoder context
    threshold: float
    syllables: int = 0  # syllables (or letters) of the phrase; 0: counted from the tokens

    @property
    def max_span(self) -> float:
        """The longest a real utterance of the phrase takes, in seconds (first to last token)."""
        syllables = self.syllables or (len(self.positions) + 1) // 2
        return syllables * MAX_SECONDS_PER_SYLLABLE + SPAN_MARGIN

    @cached_property
    def flat_rows(self) -> np.ndarray:
        return np.array([j for j, p in enumerate(self.positions) for _ in p], dtype=np.int64)

    @cached_property
    def flat_tokens(self) -> np.ndarray:
        return np.array([t for p in self.positions for t in p], dtype=np.int64)

    @cached_property
    def offsets(self) -> np.ndarray:
        return np.cumsum([0] + [len(p) for p in self.positions[:-1]], dtype=np.int64)

    @staticmethod
    def from_text(phrase: str, model: TransducerModel,
                  sensitivity: float = DEFAULT_SENSITIVITY) -> Keyword:
        ids = model.tokens.ids()
        positions: list[tuple[int, ...]] = []
        units = phrase_units(phrase, frozenset(ids), readings=readings_for([phrase])[0])
        for unit in units:
            shape = len(unit.options[0])
            same = [option for option in unit.options if len(option) == shape]
            for k in range(shape):
                positions.append(tuple(dict.fromkeys(ids[option[k]] for option in same)))
        if not positions:
            raise ValueError(f"keyword {phrase!r} has nothing to spot")
        primary = tuple(p[0] for p in positions)
        return Keyword(phrase, tuple(positions), primary, threshold_for(sensitivity), len(units))


@dataclass(frozen=True)
class Detection:
    keyword: str
    start: float  # seconds from the start of the stream
    end: float
    score: float  # log-likelihood ratio per token against free decoding (≤ 0 typically)


SETTLE_FRAMES = 6  # after the last token, frames to wait for the best ratio (0.24 s)
LEVEL_KEEP_EXTRA = 100  # frames of levels kept beyond the longest path (the encoder's delay)


@dataclass
class _Track:
    """The Viterbi over one keyword's token positions, vectorised over positions."""

    keyword: Keyword
    rows: FloatArray  # decoder rows for the contexts after 0..K keyword tokens
    max_frames: int  # the longest path (first token to the last) a real utterance takes
    scores: np.ndarray = field(init=False)
    starts: np.ndarray = field(init=False)
    candidate: tuple[float, int, int] | None = field(init=False)  # (ratio, start, end)
    waited: int = field(init=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        size = len(self.keyword.positions) + 1
        self.scores = np.full(size, NEG)
        self.starts = np.zeros(size, dtype=np.int64)
        self.candidate = None
        self.waited = 0


class _Levels:
    """The level (RMS, dBFS) of each encoder frame's stretch of audio, for the recent frames."""

    def __init__(self, block: int, keep: int) -> None:
        self.block, self.keep = block, keep
        self._pending = np.zeros(0, dtype=np.float32)
        self._levels: deque[float] = deque()
        self._first = 0  # the frame index of _levels[0]

    def accept(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._pending, samples])
        whole = len(data) // self.block * self.block
        if whole:
            blocks = data[:whole].astype(np.float64).reshape(-1, self.block)
            rms = np.sqrt(np.mean(blocks * blocks, axis=1))
            self._levels.extend((20.0 * np.log10(np.maximum(rms, 1e-12))).tolist())
        self._pending = data[whole:]
        while len(self._levels) > self.keep:
            self._levels.popleft()
            self._first += 1

    def loudest(self, start: int, end: int) -> float:
        """The loudest frame from ``start`` to ``end`` (frame indices, inclusive), in dBFS."""
        lo, hi = max(start - self._first, 0), min(end + 1 - self._first, len(self._levels))
        if lo >= hi:
            return -math.inf
        return max(itertools.islice(self._levels, lo, hi))


class KeywordSpotter:
    """Shared part: the model and the keywords. ``stream()`` gives a per-audio spotter."""

    def __init__(self, model: TransducerModel, keywords: list[Keyword]) -> None:
        if not keywords:
            raise ValueError("give at least one keyword")
        self.model = model
        self.keywords = keywords

    def stream(self) -> SpotterStream:
        return SpotterStream(self)


class SpotterStream:
    """Feed audio; get detections. Free greedy decoding runs alongside as the reference."""

    def __init__(self, spotter: KeywordSpotter) -> None:
        self.model = spotter.model
        size = self.model.context_size
        self._tracks = []
        for keyword in spotter.keywords:
            padded = (-1,) * (size - 1) + (BLANK,) + keyword.primary
            contexts = [padded[j : j + size] for j in range(len(keyword.primary) + 1)]
            frames = math.ceil(keyword.max_span / self.model.frame_seconds)
            self._tracks.append(_Track(keyword, self.model.decoder_out(contexts), frames))
        longest = max(track.max_frames for track in self._tracks)
        block = round(self.model.frame_seconds * SAMPLE_RATE)
        self._levels = _Levels(block, longest + LEVEL_KEEP_EXTRA)
        self._free = GreedySearch(self.model, trace=True)
        self._trace: list[float] = self._free.trace if self._free.trace is not None else []
        self._frame = 0
        self._feed = EncoderFeed(self.model)
        self._finished = False

    def accept(self, audio: AudioChunk | Samples) -> list[Detection]:
        """Feed 16 kHz audio; returns the detections completed by it."""
        samples = audio.samples if isinstance(audio, AudioChunk) else audio
        if isinstance(audio, AudioChunk) and audio.rate != SAMPLE_RATE:
            raise ValueError(f"the spotter takes 16 kHz audio, got {audio.rate} Hz")
        samples = np.asarray(samples, dtype=np.float32)
        self._levels.accept(samples)
        return self._run(self._feed.accept(samples))

    def finish(self) -> list[Detection]:
        if self._finished:
            return []
        self._finished = True
        found = self._run(self._feed.finish())
        for track in self._tracks:  # a keyword right at the end still counts
            found.extend(self._fire(track, force=True))
        return found

    def _run(self, chunks: Iterator[FloatArray]) -> list[Detection]:
        found: list[Detection] = []
        for encoded in chunks:
            found.extend(self._chunk(encoded))
        return found

    def _chunk(self, encoded: FloatArray) -> list[Detection]:
        trace = self._trace
        before = trace[-1] if trace else 0.0
        self._free.advance(encoded)
        free = [before, *trace[-len(encoded):]]
        del trace[: -1]
        found: list[Detection] = []
        for track in self._tracks:
            count = len(track.rows)
            rows = np.tile(track.rows, (len(encoded), 1))  # row f*count + j: context j
            frames = np.repeat(encoded, count, axis=0)  # row f*count + j: frame f
            logp = self.model.join(frames, rows).reshape(len(encoded), count, -1)
            for i in range(len(encoded)):
                found.extend(self._advance(track, logp[i], free[i], free[i + 1], self._frame + i))
        self._frame += len(encoded)
        return found

    def _advance(self, track: _Track, logp: FloatArray, free_before: float, free_after: float,
                 frame: int) -> list[Detection]:
        positions = track.keyword.positions
        size = len(positions)
        scores, starts = track.scores, track.starts
        scores[0], starts[0] = free_before, frame
        emit = np.maximum.reduceat(logp[track.keyword.flat_rows, track.keyword.flat_tokens],
                                   track.keyword.offsets)
        moved = scores[:-1] + emit
        stayed = scores[1:] + logp[1:, BLANK]
        take = moved > stayed
        scores[1:] = np.where(take, moved, stayed)
        starts[1:] = np.where(take, starts[:-1], starts[1:])
        scores[frame - starts >= track.max_frames] = NEG  # too long ago to be one utterance
        ratio = float(scores[size] - free_after) / size
        if ratio >= track.keyword.threshold and (
                track.candidate is None or ratio > track.candidate[0]):
            end = frame + 1 if take[-1] or track.candidate is None else track.candidate[2]
            track.candidate = (ratio, int(starts[size]), end)
        if track.candidate is not None:
            track.waited += 1
        return self._fire(track)

    def _fire(self, track: _Track, force: bool = False) -> list[Detection]:
        if track.candidate is None or (track.waited < SETTLE_FRAMES and not force):
            return []
        ratio, start, end = track.candidate
        seconds = self.model.frame_seconds
        track.reset()
        if self._levels.loudest(start - 2, end + 2) < MIN_LEVEL_DBFS:
            return []  # silence (a muted or idle device), whatever the model made of it
        return [Detection(track.keyword.phrase, round(start * seconds, 2),
                          round(end * seconds, 2), round(ratio, 3))]


def spot_samples(spotter: KeywordSpotter, samples: Samples) -> list[Detection]:
    stream = spotter.stream()
    return stream.accept(samples) + stream.finish()
