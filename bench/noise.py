"""Noise for robustness figures: white noise and babble (a sum of other clips) at a given SNR."""

from __future__ import annotations

import numpy as np


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    if len(noise) < len(speech):
        noise = np.tile(noise, int(np.ceil(len(speech) / len(noise))))
    noise = noise[: len(speech)]
    speech_power = float(np.mean(speech**2)) + 1e-12
    noise_power = float(np.mean(noise**2)) + 1e-12
    scale = np.sqrt(speech_power / (noise_power * 10 ** (snr_db / 10)))
    return np.asarray(speech + scale * noise, dtype=np.float32)


def white(length: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(length).astype(np.float32)


def babble(others: list[np.ndarray], length: int, seed: int, voices: int = 4) -> np.ndarray:
    """Several other utterances at random offsets summed: speech-like noise."""
    rng = np.random.default_rng(seed)
    out = np.zeros(length, dtype=np.float32)
    for _ in range(voices):
        clip = others[int(rng.integers(len(others)))]
        clip = np.tile(clip, int(np.ceil(length / len(clip))) + 1)
        start = int(rng.integers(len(clip) - length))
        piece = clip[start : start + length]
        out += piece / (np.sqrt(np.mean(piece**2)) + 1e-9)
    return out
