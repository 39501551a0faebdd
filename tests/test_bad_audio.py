"""Bad and unusual audio: a clear AudioError naming the file, never a hang or a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from asr.audio import iter_chunks, load_audio
from asr.errors import AudioError
from asr.recognizer import Recognizer


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such audio file"):
        load_audio(tmp_path / "nothing.wav")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.wav.*empty"):
        load_audio(path)


def test_text_file_named_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("这不是音频文件 / this is not audio\n" * 50, encoding="utf-8")
    with pytest.raises(AudioError, match=r"notes\.wav.*not a readable audio file"):
        load_audio(path)


def test_header_only_wav(tmp_path: Path, samples_0001: np.ndarray) -> None:
    full = tmp_path / "full.wav"
    soundfile.write(full, samples_0001, 16000, subtype="PCM_16")
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(full.read_bytes()[:44])
    with pytest.raises(AudioError, match=r"header\.wav"):
        load_audio(header_only)


def test_truncated_wav_decodes_what_is_there(tmp_path: Path, recognizer: Recognizer,
                                             samples_0001: np.ndarray) -> None:
    full = tmp_path / "full.wav"
    soundfile.write(full, samples_0001, 16000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    result = recognizer.recognize_file(cut)
    assert result.pinyin.startswith("sh è d ìng")
    assert result.audio_seconds < len(samples_0001) / 16000


def test_8khz_stereo_is_resampled_and_mixed(tmp_path: Path, recognizer: Recognizer,
                                            samples_0001: np.ndarray) -> None:
    mono_8k = np.asarray(soxr.resample(samples_0001, 16000, 8000), dtype=np.float32)
    stereo = np.stack([mono_8k, 0.8 * mono_8k], axis=1)
    path = tmp_path / "stereo8k.wav"
    soundfile.write(path, stereo, 8000, subtype="PCM_16")
    loaded = load_audio(path)
    assert loaded.ndim == 1
    assert abs(len(loaded) - len(samples_0001)) < 16
    result = recognizer.recognize(loaded, beam=4)
    assert result.pinyin == "sh è d ìng èr sh í j iǔ d ù"


@pytest.mark.parametrize("suffix", [".flac", ".ogg", ".mp3"])
def test_other_containers(tmp_path: Path, recognizer: Recognizer, samples_0001: np.ndarray,
                          suffix: str) -> None:
    path = tmp_path / f"clip{suffix}"
    soundfile.write(path, samples_0001, 16000)
    assert recognizer.recognize_file(path).pinyin == "sh è d ìng èr sh í j iǔ d ù"


def test_tenth_of_a_second(tmp_path: Path, recognizer: Recognizer,
                           samples_0001: np.ndarray) -> None:
    path = tmp_path / "short.wav"
    soundfile.write(path, samples_0001[16000:17600], 16000)
    result = recognizer.recognize_file(path)
    assert result.final
    assert result.audio_seconds == pytest.approx(0.1)
    assert len(result.tokens) <= 2


def test_non_finite_samples_rejected(recognizer: Recognizer) -> None:
    stream = recognizer.stream()
    with pytest.raises(AudioError, match="NaN"):
        stream.accept(np.array([0.0, np.nan, 0.1], dtype=np.float32))


def test_ten_minute_stream_finishes_with_bounded_state(recognizer: Recognizer,
                                                       samples_0001: np.ndarray) -> None:
    """Ten minutes of audio (speech, silence and noise) in 100 ms chunks, as a microphone gives."""
    rng = np.random.default_rng(7)
    block = np.concatenate([samples_0001, np.zeros(16000, np.float32),
                            0.01 * rng.standard_normal(16000).astype(np.float32)])
    total = 600 * 16000
    stream = recognizer.stream(beam=1)
    started = time.monotonic()
    fed = 0
    while fed < total:
        for chunk in iter_chunks(block, 1600):
            stream.accept(chunk)
        fed += len(block)
    result = stream.finish()
    assert time.monotonic() - started < 300, "decoding must keep up, not hang"
    assert result.audio_seconds >= 600
    blocks = fed // len(block)
    assert result.pinyin.count("d ìng èr sh í j iǔ d ù") >= 0.9 * blocks  # said in every block
    assert len(stream._pending) < recognizer.model.window  # features do not pile up
