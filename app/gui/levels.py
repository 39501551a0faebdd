"""A microphone level for the meter, without touching the listener: a thin AudioSource wrapper
that measures each chunk the listener reads (on the listener's thread) and hands it on."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the meter is drawn before the core (numpy, the listener) is imported
    import numpy as np

    from app.listener.sources import AudioSource
    from asr.audio import AudioChunk

FLOOR_DB = -60.0  # shown as an empty meter


def rms(samples: np.ndarray) -> float:
    if samples.size == 0:
        return 0.0
    wide = samples.astype("float64")
    return math.sqrt(float((wide * wide).mean()))


def meter_fraction(value: float) -> float:
    """RMS (full scale 1.0) → 0 … 1 on a dB scale from FLOOR_DB to 0 dBFS."""
    if value <= 0.0:
        return 0.0
    db = 20.0 * math.log10(value)
    return min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB))


class LevelSource:
    """Wraps an AudioSource; calls ``on_level(rms)`` for every chunk read. Everything else
    (open, close, finished, overflows, skip_to…) is the wrapped source's."""

    def __init__(self, inner: AudioSource, on_level: Callable[[float], None]) -> None:
        self.inner = inner
        self.on_level = on_level

    def read(self, timeout: float) -> AudioChunk | None:
        chunk = self.inner.read(timeout)
        if chunk is not None:
            self.on_level(rms(chunk.samples))
        return chunk

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()
        self.on_level(0.0)

    @property
    def finished(self) -> bool:
        return self.inner.finished

    def take_overflows(self) -> int:
        return self.inner.take_overflows()

    def __getattr__(self, name: str) -> Any:  # skip_to, position: only if the source has them
        return getattr(self.inner, name)
