"""What the person says into the microphone: the wake phrase 想听歌曲 in several voices (the dev
speaker's own, cut from one of their 想听歌曲… clips, and espeak-ng's Mandarin voice in a few
variants), and the dev speaker's commands (../shared/audio/aishell-s0150), trimmed to the speech
so that a pause between wake phrase and command is the pause asked for."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
from desktop import require
from listen_helpers import dev_wake_phrase

from asr.audio import Samples, load_audio
from asr.recognizer import Recognizer

RATE = 16000
WAKE = "想听歌曲"  # settings.json wake_phrases (default sensitivity)
WAKE_CLIP = "W0038"  # 想听歌曲我的滑板鞋: its first four syllables are the wake phrase
SET_29 = "W0001"  # 设定二十九度 → home.set_temperature temperature=29
WARMER = "W0005"  # 调高温度 → home.temperature_up
# espeak-ng variants: other voices than the dev speaker's (each found by the spotter offline)
ESPEAK_VOICES = {"espeak": ["-v", "cmn-latn-pinyin"],
                 "espeak-f2": ["-v", "cmn-latn-pinyin+f2"],
                 "espeak-m3-slow": ["-v", "cmn-latn-pinyin+m3", "-s", "140"]}


def silence(seconds: float) -> Samples:
    return np.zeros(int(RATE * seconds), dtype=np.float32)


def trim(samples: Samples, threshold: float = 0.02, margin: float = 0.05) -> Samples:
    """``samples`` without the silence before and after the speech (20 ms frames whose peak is
    under ``threshold`` of the clip's peak), keeping ``margin`` seconds each side."""
    frame = RATE // 50
    peaks = np.array([np.abs(samples[i:i + frame]).max()
                      for i in range(0, len(samples) - frame + 1, frame)])
    loud = np.flatnonzero(peaks > threshold * float(np.abs(samples).max()))
    if len(loud) == 0:
        return samples
    keep = int(margin * RATE)
    start = max(0, loud[0] * frame - keep)
    end = min(len(samples), (loud[-1] + 1) * frame + keep)
    return samples[start:end].astype(np.float32)


class Voices:
    def __init__(self, dev_dir: Path, model_dir: Path) -> None:
        self.dev_dir = dev_dir
        self.model_dir = model_dir

    def clip(self, utt: str) -> Path:
        path = self.dev_dir / "wav" / f"BAC009S0150{utt}.flac"
        if not path.is_file():
            raise FileNotFoundError(f"dev clip {path} is missing: set LINGYIN_SHARED")
        return path

    def command(self, utt: str) -> Samples:
        return self._command(utt)

    @cache  # noqa: B019 (one Voices per session)
    def _command(self, utt: str) -> Samples:
        return trim(load_audio(self.clip(utt)))

    @cache  # noqa: B019
    def wake(self, voice: str = "dev") -> Samples:
        """想听歌曲 said by ``voice``: "dev" (the dev speaker) or a key of ESPEAK_VOICES."""
        if voice == "dev":
            recognizer = Recognizer.load(self.model_dir)
            return trim(dev_wake_phrase(recognizer, self.clip(WAKE_CLIP)))
        return espeak(WAKE, ESPEAK_VOICES[voice])

    def wake_then(self, command: str, pause: float, voice: str = "dev") -> Samples:
        """The wake phrase, ``pause`` seconds of silence, the command."""
        return np.concatenate([self.wake(voice), silence(pause), self.command(command)])


def espeak(text: str, options: list[str], level: float = 0.3) -> Samples:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run([require("espeak-ng"), *options, "-w", str(out), "--", text],
                       check=True, capture_output=True, timeout=30)
        samples = load_audio(out)
    peak = max(float(np.abs(samples).max()), 1e-6)
    return trim((samples / peak * level).astype(np.float32))
