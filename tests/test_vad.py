"""Both VADs on a real dev clip and on silence and noise; frames are the same however the audio
is chunked; Silero is installed like the acoustic model (manifest, checksum)."""

from __future__ import annotations

import numpy as np
import pytest

from app.listener.vad import SileroVad, VadStream, WebRtcVad, make_vad
from asr.audio import AudioChunk, iter_chunks, load_audio
from asr.errors import ModelError


def speech_fraction(vad, samples, chunk=512) -> float:  # type: ignore[no-untyped-def]
    stream = VadStream(vad)
    flags = [f.is_speech for c in iter_chunks(samples, chunk) for f in stream.accept(c)]
    return sum(flags) / max(len(flags), 1)


@pytest.mark.parametrize("kind", ["webrtc", "silero"])
def test_speech_is_speech_and_silence_is_not(kind: str, clip) -> None:  # type: ignore[no-untyped-def]
    vad = make_vad(kind, 2)
    speech = load_audio(clip("W0121"))  # a 5 s news sentence
    assert speech_fraction(vad, speech) > 0.6
    vad.reset()
    assert speech_fraction(vad, np.zeros(32000, dtype=np.float32)) == 0.0
    noise = np.random.default_rng(1).normal(0, 0.003, 48000).astype(np.float32)
    fresh = make_vad(kind, 2)  # a room with a steady fan: noise at about -50 dBFS
    assert speech_fraction(fresh, noise) < 0.1
    noisy = speech + np.resize(noise, len(speech))  # and someone talks over it
    assert speech_fraction(fresh, noisy) > 0.5


def test_frames_do_not_depend_on_chunking(clip) -> None:  # type: ignore[no-untyped-def]
    samples = load_audio(clip("W0001"))
    results = []
    for size in (160, 512, 4000):
        stream = VadStream(WebRtcVad(2))
        results.append([(round(f.chunk.timestamp, 4), f.is_speech)
                        for c in iter_chunks(samples, size) for f in stream.accept(c)])
    assert results[0] == results[1] == results[2]
    assert results[0][1][0] == pytest.approx(0.03)


def test_bad_settings_and_missing_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="aggressiveness"):
        WebRtcVad(5)
    with pytest.raises(ValueError, match="unknown VAD"):
        make_vad("energy")
    with pytest.raises(ModelError, match="silero-vad"):
        SileroVad(tmp_path / "missing.onnx")
    with pytest.raises(ModelError, match="not installed"):
        make_vad("silero", model_dir=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="16 kHz"):
        list(VadStream(WebRtcVad()).accept(AudioChunk(np.zeros(441, np.float32), 44100)))
