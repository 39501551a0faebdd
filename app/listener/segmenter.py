"""Endpointing as a pure state machine: fed ``(frame, is_speech)``, it says when an utterance
starts and ends. No I/O, no clock: time is the frames' own audio time.

``arm(t)`` opens a capture window (after push-to-talk, a wake word, or for a follow-up). Speech
starts once ``min_speech`` seconds of the last ``start_window`` were speech; the utterance then
carries ``pre_roll`` seconds from before that, so first syllables are never cut. After the last
speech frame, a ``Paused`` event comes once ``decide_after`` seconds of silence have passed (the
listener asks the grammar whether the command is complete and sets ``hangover``); the utterance
ends when the silence reaches ``hangover``, after ``max_utterance`` seconds, or when the caller
ends it. No speech within ``no_speech_timeout`` of arming gives ``NoSpeech``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from asr.audio import AudioChunk


@dataclass(frozen=True)
class EndpointConfig:
    pre_roll: float = 0.3
    min_speech: float = 0.09
    start_window: float = 0.3
    hangover: float = 0.7  # the fixed hangover, and the grammar-aware one before a decision
    decide_after: float = 0.15  # silence after which the grammar is asked whether it is done
    max_utterance: float = 10.0
    no_speech_timeout: float = 5.0

    def __post_init__(self) -> None:
        for name in ("pre_roll", "min_speech", "start_window", "hangover", "decide_after",
                     "max_utterance", "no_speech_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"endpointing {name} must not be negative")
        if self.min_speech > self.start_window:
            raise ValueError("min_speech cannot exceed start_window")


class SegState(StrEnum):
    OFF = "off"  # not capturing
    WAITING = "waiting"  # armed, no speech yet
    SPEECH = "speech"  # inside an utterance
    ENDED = "ended"


@dataclass(frozen=True)
class SpeechStarted:
    t: float  # where the utterance (with its pre-roll) begins
    audio: tuple[AudioChunk, ...]  # pre-roll and the speech that started it


@dataclass(frozen=True)
class UtteranceAudio:
    chunk: AudioChunk


@dataclass(frozen=True)
class Paused:
    last_speech: float  # end of the last speech frame
    t: float


@dataclass(frozen=True)
class Resumed:
    t: float


@dataclass(frozen=True)
class SpeechEnded:
    last_speech: float
    t: float
    reason: str  # "silence", "max_length" or the caller's reason ("released", "decided")


@dataclass(frozen=True)
class NoSpeech:
    t: float


SegEvent = SpeechStarted | UtteranceAudio | Paused | Resumed | SpeechEnded | NoSpeech


class Segmenter:
    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self.state = SegState.OFF
        self.hangover = self.config.hangover
        self._ring: deque[tuple[AudioChunk, bool]] = deque()
        self._armed_at = 0.0
        self._started_at = 0.0
        self._last_speech = 0.0
        self._paused = False

    def arm(self, t: float) -> None:
        self.state = SegState.WAITING
        self.hangover = self.config.hangover
        self._ring.clear()
        self._armed_at = t
        self._paused = False

    def disarm(self) -> None:
        self.state = SegState.OFF
        self._ring.clear()

    def feed(self, frame: AudioChunk, is_speech: bool) -> list[SegEvent]:
        end = frame.timestamp + frame.seconds
        if self.state is SegState.WAITING:
            return self._waiting(frame, is_speech, end)
        if self.state is SegState.SPEECH:
            return self._speech(frame, is_speech, end)
        return []

    def _waiting(self, frame: AudioChunk, is_speech: bool, end: float) -> list[SegEvent]:
        config = self.config
        self._ring.append((frame, is_speech))
        keep = config.pre_roll + config.start_window
        while self._ring and end - self._ring[0][0].timestamp > keep + 1e-9:
            self._ring.popleft()
        recent = [f for f, s in self._ring if s and end - f.timestamp <= config.start_window + 1e-9]
        if is_speech and sum(f.seconds for f in recent) >= config.min_speech - 1e-9:
            first = recent[0].timestamp
            audio = tuple(f for f, _ in self._ring if f.timestamp >= first - config.pre_roll - 1e-9)
            self._ring.clear()
            self.state = SegState.SPEECH
            self._started_at = audio[0].timestamp
            self._last_speech = end
            self._paused = False
            return [SpeechStarted(self._started_at, audio)]
        if end - self._armed_at >= config.no_speech_timeout:
            self.state = SegState.ENDED
            return [NoSpeech(end)]
        return []

    def _speech(self, frame: AudioChunk, is_speech: bool, end: float) -> list[SegEvent]:
        events: list[SegEvent] = [UtteranceAudio(frame)]
        if is_speech:
            self._last_speech = end
            if self._paused:
                self._paused = False
                events.append(Resumed(end))
        silence = end - self._last_speech
        if not self._paused and silence >= self.config.decide_after - 1e-9 and silence > 0:
            self._paused = True
            events.append(Paused(self._last_speech, end))
        if silence >= self.hangover - 1e-9 and silence > 0:
            events.append(self._end(end, "silence"))
        elif end - self._started_at >= self.config.max_utterance:
            events.append(self._end(end, "max_length"))
        return events

    def end(self, t: float, reason: str) -> SegEvent:
        """End the capture now (push-to-talk released, or the grammar decided)."""
        if self.state is SegState.SPEECH:
            return self._end(t, reason)
        self.state = SegState.ENDED
        return NoSpeech(t)

    def _end(self, t: float, reason: str) -> SpeechEnded:
        self.state = SegState.ENDED
        return SpeechEnded(self._last_speech, t, reason)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def last_speech(self) -> float:
        return self._last_speech
