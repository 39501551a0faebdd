"""The PulseAudio harness itself: a clip played into the virtual microphone is recorded through
real PortAudio intact, and a tone played to the null sink comes back on its monitor."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import sounddevice
from pulse import RATE, NullSpeaker, PulseServer, Recording, VirtualMic, rms_envelope

from asr.audio import load_audio
from asr.recognizer import Recognizer

CLIP = "W0001"  # 设定二十九度, 2.4 s


def best_alignment(recorded: np.ndarray, clip: np.ndarray) -> tuple[int, float]:
    """(offset of the clip in the recording, normalised correlation there)."""
    size = 1 << int(np.ceil(np.log2(len(recorded) + len(clip))))
    spectrum = np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(clip, size))
    lags = np.fft.irfft(spectrum, size)[: len(recorded) - len(clip) + 1]
    offset = int(np.argmax(lags))
    segment = recorded[offset : offset + len(clip)].astype(np.float64)
    score = float(np.dot(segment, clip) / (np.linalg.norm(segment) * np.linalg.norm(clip)))
    return offset, score


def test_virtual_mic_clip_reaches_portaudio_intact(  # type: ignore[no-untyped-def]
        virtual_mic: VirtualMic, clip, recognizer: Recognizer) -> None:
    samples = load_audio(clip(CLIP))
    with Recording("pulse", RATE) as recording:
        recording.wait_for(0.3, timeout=5)
        virtual_mic.play(samples)
        assert virtual_mic.wait_played(timeout=len(samples) / RATE + 5)
        recording.wait_for(recording.seconds + 0.5, timeout=5)
    recorded = recording.samples()
    offset, score = best_alignment(recorded, samples)
    assert score > 0.99, f"recorded audio does not match the clip (correlation {score:.3f})"
    assert offset > 0
    heard = recognizer.recognize(recorded)
    assert heard.pinyin == recognizer.recognize(samples).pinyin


def test_virtual_mic_sends_silence_between_clips(virtual_mic: VirtualMic) -> None:
    with Recording("pulse", RATE) as recording:
        recording.wait_for(1.0, timeout=5)
    recorded = recording.samples()
    assert len(recorded) >= RATE
    assert float(np.abs(recorded).max()) < 1e-3
    assert virtual_mic.blocks_written > 0


def test_virtual_mic_can_send_low_noise(pulse_server: PulseServer) -> None:
    with pulse_server.virtual_mic(name="noisy", noise=0.01), Recording("pulse", RATE) as recording:
        recording.wait_for(1.0, timeout=5)
    level = rms_envelope(recording.samples()[RATE // 4 :])
    assert 0.007 < float(np.median(level)) < 0.013


def test_virtual_mic_can_vanish_and_come_back(pulse_server: PulseServer,
                                              virtual_mic: VirtualMic) -> None:
    virtual_mic.unload()
    assert "mic" not in pulse_server.names("sources")
    virtual_mic.load()
    assert "mic" in pulse_server.names("sources")
    tone = 0.3 * np.sin(2 * np.pi * 500 * np.arange(RATE) / RATE).astype(np.float32)
    with Recording("pulse", RATE) as recording:
        virtual_mic.play(tone)
        assert virtual_mic.wait_played(timeout=5)
        recording.wait_for(1.2, timeout=5)
    assert rms_envelope(recording.samples()).max() > 0.1


def test_portaudio_input_ends_when_the_source_vanishes(pulse_server: PulseServer,
                                                       virtual_mic: VirtualMic) -> None:
    """What a microphone source sees: no status flag, the callbacks stop, the stream finishes;
    opening while the source is gone fails; once it is back a new stream works at once."""
    finished = threading.Event()
    frames: list[int] = []
    stream = sounddevice.InputStream(device="pulse", samplerate=RATE, channels=1,
                                     callback=lambda data, *_: frames.append(len(data)),
                                     finished_callback=finished.set)
    with stream:
        deadline = time.monotonic() + 5
        while sum(frames) < RATE // 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sum(frames) >= RATE // 4
        virtual_mic.unload()
        assert finished.wait(timeout=3), "the input stream did not end when its source vanished"
        deadline = time.monotonic() + 2  # `active` follows the finished callback a moment later
        while stream.active and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not stream.active
    with pytest.raises(sounddevice.PortAudioError):
        sounddevice.InputStream(device="pulse", samplerate=RATE, channels=1).close()
    virtual_mic.load()
    with Recording("pulse", RATE) as recording:
        recording.wait_for(0.3, timeout=5)


def test_null_speaker_monitor_hears_a_tone(null_speaker: NullSpeaker) -> None:
    null_speaker.use_monitor_as_mic()
    frequency = 1000.0
    tone = 0.5 * np.sin(2 * np.pi * frequency * np.arange(RATE) / RATE).astype(np.float32)
    with Recording("pulse", RATE) as recording:
        recording.wait_for(0.2, timeout=5)
        # PortAudio's default low latency underruns through ALSA's pulse plugin on a busy machine,
        # and it reports the end about one latency before the last sample is played (closing the
        # stream then drops it): pad with silence
        padded = np.concatenate([tone, np.zeros(RATE // 2, np.float32)])
        sounddevice.play(padded, samplerate=RATE, device="pulse", latency=0.1, blocking=True)
        recording.wait_for(recording.seconds + 0.3, timeout=5)
    recorded = recording.samples()
    loud = rms_envelope(recorded) > 0.1
    assert 0.7 < loud.sum() * 0.05 < 1.3, f"tone heard for {loud.sum() * 0.05:.2f} s, not ~1 s"
    spectrum = np.abs(np.fft.rfft(recorded))
    peak = float(np.fft.rfftfreq(len(recorded), 1 / RATE)[int(np.argmax(spectrum))])
    assert abs(peak - frequency) < 5
    assert null_speaker.volume() == 100.0
    null_speaker.set_volume(30)
    assert null_speaker.volume() == 30.0
