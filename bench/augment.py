"""Augmentations that move speech to another voice, room and channel, for robustness figures.

Gain, speed (resampling, so pitch moves with it, as Kaldi's speed perturbation), reverberation (a
synthetic room: a direct path plus exponentially decaying noise with a given RT60), additive noise
(white or babble, bench/noise.py) at a given SNR, and a telephone band (300–3400 Hz band-pass).
``Augmentation.draw`` picks a random combination from a seeded generator; ``apply`` renders it.
The chain runs in the order a signal meets them: talker (speed) → room (reverberation, noise) →
channel (phone band) → input level (gain, then clipping to [-1, 1] as a converter would).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.noise import babble, mix_at_snr, white

RATE = 16000
KINDS = ("speed", "reverb", "noise", "phone", "gain")


def gain(samples: np.ndarray, db: float) -> np.ndarray:
    return np.asarray(samples * 10 ** (db / 20), dtype=np.float32)


def speed(samples: np.ndarray, factor: float, rate: int = RATE) -> np.ndarray:
    """Play ``factor`` times faster (shorter and higher for factor > 1), by resampling."""
    import soxr

    return np.asarray(soxr.resample(samples, rate * factor, rate, quality="HQ"), dtype=np.float32)


def room_response(rt60: float, drr_db: float, rng: np.random.Generator,
                  rate: int = RATE) -> np.ndarray:
    """A synthetic impulse response: a unit direct path, then Gaussian noise whose amplitude falls
    60 dB in ``rt60`` seconds, starting 2.5 ms later, scaled so direct / reverberant energy is
    ``drr_db``."""
    delay = int(0.0025 * rate)
    t = np.arange(int(rt60 * rate)) / rate
    tail = rng.standard_normal(len(t)) * 10 ** (-3 * t / rt60)
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    response = np.zeros(delay + len(tail))
    response[0] = 1.0
    response[delay:] = tail
    return response


def reverberate(samples: np.ndarray, rt60: float, drr_db: float, rng: np.random.Generator,
                rate: int = RATE) -> np.ndarray:
    """Convolve with ``room_response``; same length and RMS level as the input."""
    from scipy.signal import fftconvolve

    wet = fftconvolve(samples, room_response(rt60, drr_db, rng, rate))[: len(samples)]
    scale = np.sqrt((np.mean(samples**2) + 1e-12) / (np.mean(wet**2) + 1e-12))
    return np.asarray(wet * scale, dtype=np.float32)


def phone_band(samples: np.ndarray, rate: int = RATE, low: float = 300.0,
               high: float = 3400.0) -> np.ndarray:
    """A 4th-order Butterworth band-pass, as a telephone or a cheap headset channel."""
    from scipy.signal import butter, sosfilt

    sos = butter(4, [low, high], btype="bandpass", fs=rate, output="sos")
    return np.asarray(sosfilt(sos, samples), dtype=np.float32)


def noisy(samples: np.ndarray, kind: str, snr_db: float, seed: int,
          babble_pool: list[np.ndarray]) -> np.ndarray:
    if kind == "white":
        noise = white(len(samples), seed)
    else:
        noise = babble(babble_pool, len(samples), seed)
    return mix_at_snr(samples, noise, snr_db)


@dataclass(frozen=True)
class Augmentation:
    """One combination; a field left None is not applied."""

    speed: float | None = None  # 0.9..1.1
    rt60: float | None = None  # seconds, 0.3..0.6
    drr_db: float = 0.0  # direct-to-reverberant ratio of the room
    noise: str | None = None  # "white" or "babble"
    snr_db: float = 0.0  # 5..20
    phone: bool = False
    gain_db: float | None = None  # -20..+6
    seed: int = 0  # for the room response and the noise

    @staticmethod
    def draw(rng: np.random.Generator, chance: float = 0.5) -> Augmentation:
        """Each kind independently with probability ``chance``; at least one."""
        chosen: set[str] = set()
        while not chosen:
            chosen = {kind for kind in KINDS if rng.random() < chance}
        return Augmentation(
            speed=float(rng.uniform(0.9, 1.1)) if "speed" in chosen else None,
            rt60=float(rng.uniform(0.3, 0.6)) if "reverb" in chosen else None,
            drr_db=float(rng.uniform(-3.0, 6.0)),
            noise=str(rng.choice(["white", "babble"])) if "noise" in chosen else None,
            snr_db=float(rng.uniform(5.0, 20.0)),
            phone="phone" in chosen,
            gain_db=float(rng.uniform(-20.0, 6.0)) if "gain" in chosen else None,
            seed=int(rng.integers(2**31)),
        )

    @property
    def kinds(self) -> frozenset[str]:
        present = {"speed": self.speed is not None, "reverb": self.rt60 is not None,
                   "noise": self.noise is not None, "phone": self.phone,
                   "gain": self.gain_db is not None}
        return frozenset(kind for kind, on in present.items() if on)

    def describe(self) -> str:
        parts = []
        if self.speed is not None:
            parts.append(f"speed {self.speed:.2f}")
        if self.rt60 is not None:
            parts.append(f"reverb {self.rt60:.2f} s DRR {self.drr_db:+.0f} dB")
        if self.noise is not None:
            parts.append(f"{self.noise} {self.snr_db:.0f} dB")
        if self.phone:
            parts.append("phone band")
        if self.gain_db is not None:
            parts.append(f"gain {self.gain_db:+.0f} dB")
        return ", ".join(parts) or "clean"

    def apply(self, samples: np.ndarray, babble_pool: list[np.ndarray] | None = None,
              rate: int = RATE) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        out = np.asarray(samples, dtype=np.float32)
        if self.speed is not None:
            out = speed(out, self.speed, rate)
        if self.rt60 is not None:
            out = reverberate(out, self.rt60, self.drr_db, rng, rate)
        if self.noise is not None:
            if self.noise == "babble" and not babble_pool:
                raise ValueError("babble noise needs a pool of other speech")
            out = noisy(out, self.noise, self.snr_db, self.seed, babble_pool or [])
        if self.phone:
            out = phone_band(out, rate)
        if self.gain_db is not None:
            out = gain(out, self.gain_db)
        return np.clip(out, -1.0, 1.0).astype(np.float32)


def telephone(samples: np.ndarray, rate: int = RATE, narrow: int = 8000) -> np.ndarray:
    """A phone call: ``phone_band``, then down to ``narrow`` Hz and back (what a narrow-band codec
    leaves above 4 kHz: nothing); same length as the input."""
    import soxr

    band = phone_band(samples, rate)
    down = soxr.resample(band, rate, narrow, quality="HQ")
    back = np.asarray(soxr.resample(down, narrow, rate, quality="HQ"), dtype=np.float32)
    if len(back) < len(samples):
        back = np.pad(back, (0, len(samples) - len(back)))
    return np.clip(back[: len(samples)], -1.0, 1.0).astype(np.float32)
