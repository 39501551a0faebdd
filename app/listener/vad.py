"""Voice activity detection behind one small interface: webrtcvad (the default) and Silero VAD.

A detector judges fixed frames of 16 kHz audio. :class:`VadStream` cuts chunks of any size into
those frames and gives ``(frame, is_speech, t)`` triples, ``t`` being the frame's end in seconds
from the start of the stream: exactly what the segmenter is fed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from asr.audio import SAMPLE_RATE, AudioChunk, Samples
from asr.errors import ModelError

SILERO_MODEL = "silero-vad"


class Vad(Protocol):
    frame_samples: int

    def is_speech(self, frame: Samples) -> bool: ...

    def reset(self) -> None: ...


class WebRtcVad:
    """Google's WebRTC VAD (GMM): 30 ms frames, aggressiveness 0 (lenient) … 3 (strict)."""

    def __init__(self, aggressiveness: int = 2, frame_ms: int = 30) -> None:
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"VAD aggressiveness must be 0, 1, 2 or 3, got {aggressiveness}")
        if frame_ms not in (10, 20, 30):
            raise ValueError(f"webrtcvad frames are 10, 20 or 30 ms, got {frame_ms}")
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self.frame_samples = SAMPLE_RATE * frame_ms // 1000

    def is_speech(self, frame: Samples) -> bool:
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return bool(self._vad.is_speech(pcm, SAMPLE_RATE))

    def reset(self) -> None:
        """webrtcvad keeps only slowly adapting noise estimates; nothing to reset."""


class SileroVad:
    """Silero VAD v6 (MIT) on onnxruntime: 512-sample frames with 64 samples of carried context
    and a recurrent state; speech when the probability passes ``threshold``."""

    CONTEXT = 64

    def __init__(self, model_path: Path, threshold: float = 0.5) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"Silero VAD threshold must be between 0 and 1, got {threshold}")
        self.threshold = threshold
        self.frame_samples = 512
        self._session = _silero_session(model_path)
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(self.CONTEXT, dtype=np.float32)

    def probability(self, frame: Samples) -> float:
        x = np.concatenate([self._context, frame.astype(np.float32)])[np.newaxis]
        out, self._state = self._session.run(
            None, {"input": x, "state": self._state, "sr": np.array(SAMPLE_RATE, np.int64)})
        self._context = x[0, -self.CONTEXT:]
        return float(out[0, 0])

    def is_speech(self, frame: Samples) -> bool:
        return self.probability(frame) >= self.threshold


def _silero_session(path: Path) -> Any:
    if not path.is_file():
        raise ModelError(f"Silero VAD model missing: {path}; run `lingyin models install "
                         "--model silero-vad` (or choose the webrtc VAD)")
    from asr.model import onnx_session

    return onnx_session(path, reinstall="lingyin models install --model silero-vad")


class NoiseGate:
    """webrtcvad calls steady noise speech (a fan, white noise at -50 dBFS: every frame). The gate
    also asks that a frame be ``margin_db`` louder than the noise floor: the 10th percentile of
    the frame energies of the last ``window`` seconds. The listener feeds it all audio
    (``observe``), also while nothing is being captured, so the floor is known before anyone
    speaks; used alone, it learns from the frames it judges."""

    def __init__(self, inner: Vad, margin_db: float = 8.0, window: float = 10.0) -> None:
        self.inner = inner
        self.frame_samples = inner.frame_samples
        self.margin_db = margin_db
        self._energies: deque[float] = deque(maxlen=max(1, int(window * SAMPLE_RATE
                                                               / self.frame_samples)))
        self._observed = False
        self._floor: float | None = None
        self._carry = np.zeros(0, dtype=np.float32)

    def observe(self, samples: Samples) -> None:
        self._observed = True
        size = self.frame_samples
        pending = np.concatenate([self._carry, samples]) if len(self._carry) else samples
        whole = len(pending) // size * size
        self._carry = pending[whole:].copy()
        if whole:
            self._energies.extend(_db(pending[:whole].reshape(-1, size)).tolist())
            self._floor = None

    def is_speech(self, frame: Samples) -> bool:
        energy = float(_db(frame[np.newaxis])[0])
        if not self._observed or not self._energies:
            self._energies.append(energy)
            self._floor = None
        if self._floor is None:
            self._floor = float(np.percentile(np.fromiter(self._energies, float), 10))
        return energy >= self._floor + self.margin_db and self.inner.is_speech(frame)

    def reset(self) -> None:
        """The noise floor is a property of the room, not of one utterance: it is kept."""
        self.inner.reset()


def _db(frames: np.ndarray) -> np.ndarray:
    power = np.mean(np.square(frames, dtype=np.float64), axis=1)
    return np.asarray(10.0 * np.log10(power + 1e-10))


def make_vad(kind: str = "webrtc", aggressiveness: int = 2, model_dir: Path | None = None) -> Vad:
    """``webrtc`` (behind a noise gate) or ``silero`` (installed like the acoustic model,
    manifest and checksum)."""
    if kind == "webrtc":
        return NoiseGate(WebRtcVad(aggressiveness))
    if kind == "silero":
        from asr import settings
        from asr.manifest import Manifest, verify_dir

        manifest = Manifest.load(SILERO_MODEL)
        directory = model_dir or settings.model_dir(SILERO_MODEL)
        verify_dir(directory, manifest, checksums=True, reuse=True)
        # aggressiveness 0..3 maps to probability thresholds 0.35..0.65
        return SileroVad(directory / manifest.roles["model"], 0.35 + 0.1 * aggressiveness)
    raise ValueError(f"unknown VAD {kind!r}: use webrtc or silero")


@dataclass(frozen=True)
class VadFrame:
    chunk: AudioChunk
    is_speech: bool

    @property
    def end(self) -> float:
        return self.chunk.timestamp + self.chunk.seconds


class VadStream:
    """Chunks of any size in, judged frames out (the remainder waits for the next chunk)."""

    def __init__(self, vad: Vad) -> None:
        self.vad = vad
        self._buffer = np.zeros(0, dtype=np.float32)
        self._position = 0  # samples judged so far

    def accept(self, chunk: AudioChunk) -> Iterator[VadFrame]:
        if chunk.rate != SAMPLE_RATE:
            raise ValueError(f"the VAD takes 16 kHz audio, got {chunk.rate} Hz")
        if not len(self._buffer):
            self._position = round(chunk.timestamp * SAMPLE_RATE)
        self._buffer = np.concatenate([self._buffer, chunk.samples])
        size = self.vad.frame_samples
        while len(self._buffer) >= size:
            frame, self._buffer = self._buffer[:size], self._buffer[size:]
            start = self._position / SAMPLE_RATE
            self._position += size
            yield VadFrame(AudioChunk(frame, SAMPLE_RATE, start), self.vad.is_speech(frame))

    def reset(self) -> None:
        self._buffer = np.zeros(0, dtype=np.float32)
        self.vad.reset()
