"""The segmenter, driven by scripted (is_speech) frame sequences: no audio, no model; and the
endpointer around it, with a loudness VAD and a decoder that counts syllables by loudness."""

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


# ---- the endpointer: segmenter, VAD and capture for one command (app/listener/endpointer.py) --
class LoudVad:
    """Speech is a frame louder than 0.1."""

    frame_samples = 480

    def is_speech(self, frame: np.ndarray) -> bool:
        return float(np.abs(frame).mean()) > 0.1

    def reset(self) -> None:
        """Nothing kept."""


class Heard:
    """A decoding stream that hears syllables by loudness: 0.2 s of sound is a syllable; two
    syllables and more are the command 设定 (understood), fewer are rejected."""

    def __init__(self) -> None:
        self.loud = 0

    def accept(self, samples: np.ndarray) -> None:
        self.loud += int(np.count_nonzero(np.abs(samples) > 0.1))

    def partial_text(self) -> str:
        return ""

    def finish(self):  # type: ignore[no-untyped-def]
        from intents.speech import Understanding

        syllables = self.loud // 3200
        if syllables >= 2:
            return Understanding("设定", "sh è d ìng", False, "climate", "set")
        return Understanding("", " ".join(["ǔ"] * syllables), True)


def endpointer(**wait: object):  # type: ignore[no-untyped-def]
    from app.listener.capture import EndpointPolicy
    from app.listener.endpointer import Endpointer, Wait
    from intents.completion import Completion

    def judge(stream, result):  # type: ignore[no-untyped-def]
        return Completion.NOT_COMMAND if result.rejected else Completion.DONE

    understander = type("Understander", (), {"stream": staticmethod(Heard)})()
    point = Endpointer(LoudVad(), judge, EndpointConfig(), EndpointPolicy(), lambda: understander)
    point.arm(Wait(**{"start": 0.0, "deadline": 5.0, **wait}))  # type: ignore[arg-type]
    return point


def audio(*parts: tuple[str, float]) -> AudioChunk:
    """('s', seconds) of sound or ('.', seconds) of silence, from time 0."""
    pieces = [np.full(int(s * 16000), 0.5 if kind == "s" else 0.0, np.float32)
              for kind, s in parts]
    return AudioChunk(np.concatenate(pieces), 16000, 0.0)


def outcomes(point, chunk: AudioChunk) -> list[object]:  # type: ignore[no-untyped-def]
    out = []
    for start in range(0, len(chunk.samples), 512):
        piece = chunk.samples[start : start + 512]
        out += point.feed(AudioChunk(piece, 16000, start / 16000))
    return out


def test_the_wake_phrases_last_sound_is_dropped_and_the_command_heard_alone() -> None:
    from app.listener.endpointer import Discarded, Ended, Started

    point = endpointer(quiet=True, woken=True)
    out = outcomes(point, audio(("s", 0.25), (".", 0.6), ("s", 0.6), (".", 1.0)))
    kinds = [type(o).__name__ for o in out]
    assert kinds == ["Started", "Discarded", "Started", "Ended"], out
    dropped, command = out[1], out[3]
    assert isinstance(dropped, Discarded) and dropped.reason == "wake phrase"
    assert isinstance(out[2], Started) and out[2].t >= 0.25  # after the phrase's sound
    assert isinstance(command, Ended) and not command.result.rejected


def test_a_capture_a_key_opened_keeps_everything() -> None:
    from app.listener.endpointer import Ended

    point = endpointer()  # push-to-talk (toggle): nothing is dropped
    out = outcomes(point, audio(("s", 0.25), (".", 1.0)))
    assert [type(o).__name__ for o in out] == ["Started", "Ended"]
    assert isinstance(out[1], Ended) and out[1].result.rejected


def test_nothing_heard_is_dropped_and_the_wait_ends_on_time() -> None:
    from app.listener.endpointer import Discarded, TimedOut

    point = endpointer(quiet=True, deadline=3.0)  # a follow-up window of 3 s
    out = outcomes(point, audio((".", 1.0), ("s", 0.12), (".", 3.0)))
    assert [type(o).__name__ for o in out] == ["Started", "Discarded", "TimedOut"], out
    assert isinstance(out[1], Discarded) and out[1].reason == "nothing heard"
    assert isinstance(out[2], TimedOut) and abs(out[2].t - 3.0) < 0.05


def test_ending_on_nothing_ends_the_capture() -> None:
    point = endpointer(quiet=True)
    outcomes(point, audio((".", 0.5), ("s", 0.12), (".", 0.2)))
    out = point.end(0.82, "end of input")
    assert [type(o).__name__ for o in out] == ["Discarded", "TimedOut"]
