"""Audio in: one typed chunk, file loading to 16 kHz mono, and chunk generators for tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from asr.errors import AudioError

SAMPLE_RATE = 16000
Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class AudioChunk:
    """Mono float32 samples in [-1, 1] at ``rate`` Hz, starting ``timestamp`` seconds in."""

    samples: Samples
    rate: int = SAMPLE_RATE
    timestamp: float = 0.0

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"sample rate must be positive, got {self.rate}")
        if self.samples.ndim != 1:
            raise ValueError(f"an AudioChunk holds mono samples, got shape {self.samples.shape}")

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @staticmethod
    def from_int16(pcm: bytes, rate: int = SAMPLE_RATE, timestamp: float = 0.0) -> AudioChunk:
        data = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        return AudioChunk(data, rate, timestamp)


def to_mono_float(data: npt.NDArray[np.generic]) -> Samples:
    """Average the channels of a (frames, channels) array; integers scale to [-1, 1]."""
    array = np.asarray(data)
    if np.issubdtype(array.dtype, np.integer):
        scale = float(np.iinfo(array.dtype).max) + 1.0
        array = array.astype(np.float32) / scale
    array = array.astype(np.float32, copy=False)
    if array.ndim == 2:
        array = array.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(array, dtype=np.float32)


def resample(samples: Samples, rate: int, target: int = SAMPLE_RATE) -> Samples:
    if rate == target:
        return samples
    import soxr

    return np.asarray(soxr.resample(samples, rate, target, quality="HQ"), dtype=np.float32)


def _read_soundfile(path: Path) -> tuple[Samples, int]:
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return to_mono_float(data), int(rate)


def _read_librosa(path: Path) -> tuple[Samples, int]:
    import warnings

    import librosa

    with warnings.catch_warnings():  # librosa warns about its own fallback; we report failures
        warnings.simplefilter("ignore")
        data, rate = librosa.load(str(path), sr=None, mono=True)
    return to_mono_float(data), int(rate)


def load_audio(path: str | Path) -> Samples:
    """Read any file soundfile (or, failing that, librosa's audioread) can decode → 16 kHz mono.

    Raises AudioError naming the file for a missing, empty, garbled or silent-length file.
    """
    file = Path(path)
    if not file.is_file():
        raise AudioError(f"{file}: no such audio file")
    if file.stat().st_size == 0:
        raise AudioError(f"{file}: the file is empty (0 bytes); record or export the audio again")
    errors: list[str] = []
    for reader in (_read_soundfile, _read_librosa):
        try:
            samples, rate = reader(file)
            break
        except Exception as exc:
            errors.append(f"{reader.__name__.strip('_')}: {exc}".strip())
    else:
        raise AudioError(
            f"{file}: not a readable audio file (tried soundfile and librosa); "
            "use WAV, FLAC, OGG or MP3"
        )
    if samples.size == 0:
        raise AudioError(f"{file}: the file holds no audio samples (truncated or empty)")
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{file}: the audio holds NaN or infinite samples (corrupt file)")
    return resample(samples, rate)


def iter_chunks(samples: Samples, size: int, rate: int = SAMPLE_RATE) -> Iterator[AudioChunk]:
    """Split samples into chunks of ``size`` samples (the last may be shorter)."""
    if size <= 0:
        raise ValueError(f"chunk size must be positive, got {size}")
    for start in range(0, len(samples), size):
        yield AudioChunk(samples[start : start + size], rate, start / rate)


def file_chunks(path: str | Path, size: int = 1600) -> Iterator[AudioChunk]:
    return iter_chunks(load_audio(path), size)
