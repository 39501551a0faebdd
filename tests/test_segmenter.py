"""The segmenter, driven by scripted (is_speech) frame sequences: no audio, no model."""

from __future__ import annotations

import numpy as np

from app.listener.segmenter import (
    EndpointConfig,
    NoSpeech,
    Paused,
    Resumed,
    Segmenter,
    SegState,
    SpeechEnded,
    SpeechStarted,
    UtteranceAudio,
)
from asr.audio import AudioChunk

FRAME = 0.03


def frame(i: int, start: float = 0.0) -> AudioChunk:
    return AudioChunk(np.zeros(480, dtype=np.float32), 16000, start + i * FRAME)


def run(seg: Segmenter, pattern: str, start: float = 0.0) -> list[object]:
    """'s' = speech frame, '.' = silence frame (30 ms each)."""
    events: list[object] = []
    for i, c in enumerate(pattern):
        events.extend(seg.feed(frame(i, start), c == "s"))
    return events


def test_pre_roll_keeps_audio_before_speech_start() -> None:
    seg = Segmenter(EndpointConfig(pre_roll=0.3, min_speech=0.09, start_window=0.3))
    seg.arm(0.0)
    events = run(seg, "." * 20 + "sss")
    started = [e for e in events if isinstance(e, SpeechStarted)]
    assert len(started) == 1
    first_speech = 20 * FRAME
    assert started[0].t == min(c.timestamp for c in started[0].audio)
    assert first_speech - started[0].t >= 0.3 - 1e-6  # 300 ms before the first speech frame
    assert seg.state is SegState.SPEECH


def test_a_lone_speech_frame_does_not_start_an_utterance() -> None:
    seg = Segmenter(EndpointConfig(min_speech=0.09))
    seg.arm(0.0)
    events = run(seg, "..s....s....s...")
    assert not any(isinstance(e, SpeechStarted) for e in events)


def test_fixed_hangover_ends_after_silence() -> None:
    seg = Segmenter(EndpointConfig(hangover=0.3, decide_after=0.15))
    seg.arm(0.0)
    events = run(seg, "ssssssssss" + "." * 20)
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 1
    assert abs(ended[0].last_speech - 10 * FRAME) < 1e-9
    assert abs(ended[0].t - ended[0].last_speech - 0.3) < FRAME + 1e-9
    assert ended[0].reason == "silence"
    paused = [e for e in events if isinstance(e, Paused)]
    assert len(paused) == 1 and events.index(paused[0]) < events.index(ended[0])


def test_speech_after_a_pause_resumes_and_extends() -> None:
    seg = Segmenter(EndpointConfig(hangover=0.5, decide_after=0.15))
    seg.arm(0.0)
    events = run(seg, "sssss" + "......" + "sssss" + "." * 30)
    kinds = [type(e) for e in events if not isinstance(e, UtteranceAudio)]
    assert kinds == [SpeechStarted, Paused, Resumed, Paused, SpeechEnded]


def test_caller_can_shorten_the_hangover_at_a_pause() -> None:
    seg = Segmenter(EndpointConfig(hangover=2.0, decide_after=0.15))
    seg.arm(0.0)
    events: list[object] = []
    for i, c in enumerate("ssssss" + "." * 40):
        for e in seg.feed(frame(i), c == "s"):
            events.append(e)
            if isinstance(e, Paused):
                seg.hangover = 0.24
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert ended and ended[0].t - ended[0].last_speech < 0.3


def test_no_speech_timeout() -> None:
    seg = Segmenter(EndpointConfig(no_speech_timeout=0.6))
    seg.arm(1.0)
    events = run(seg, "." * 40, start=1.0)
    nothing = [e for e in events if isinstance(e, NoSpeech)]
    assert len(nothing) == 1 and abs(nothing[0].t - 1.6) < FRAME + 1e-9
    assert seg.state is SegState.ENDED
    assert run(seg, "ssss", start=3.0) == []  # ended: deaf until armed again


def test_max_utterance() -> None:
    seg = Segmenter(EndpointConfig(max_utterance=0.9))
    seg.arm(0.0)
    events = run(seg, "s" * 60)
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 1 and ended[0].reason == "max_length"


def test_caller_ends_capture() -> None:
    seg = Segmenter()
    seg.arm(0.0)
    run(seg, "ssssss")
    event = seg.end(0.5, "released")
    assert isinstance(event, SpeechEnded) and event.reason == "released"
    seg.arm(1.0)
    assert isinstance(seg.end(1.2, "released"), NoSpeech)  # released before any speech


def test_bad_config_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="hangover"):
        EndpointConfig(hangover=-1)
    with pytest.raises(ValueError, match="min_speech"):
        EndpointConfig(min_speech=1.0, start_window=0.3)
