"""One command's way from audio to an ended utterance: the VAD stream, the segmenter, the
grammar-constrained decoding (``CommandCapture``) and the decision when the utterance ends.
No threads and no clock: time is the audio's own.

``arm(start, timeout, …)`` opens a wait for speech; audio before ``start`` is never part of the
command. What comes out (``feed`` / ``end``): ``Started``, ``Partial``, ``Ended`` with the
understanding, ``TimedOut`` when no speech began within the wait, and ``Discarded`` for an
utterance that was nothing, after which the wait simply goes on (up to the same deadline).

Nothing, in a capture nobody pressed a key for (after a wake word, in a follow-up window):

- an utterance decoded to no syllable at all (a cough, a click, a breath);
- after a wake word, the phrase's own last sound. The spotter places the phrase's end at its
  last syllable's token, while the vowel goes on for up to ~0.4 s; that sound, heard at the
  start of the wait, is dropped at its first pause when it is at most one syllable and the
  grammar says it begins no command, so a command said after a pause is captured alone, and a
  bare wake phrase ends in silence. Said in one breath with the command (no pause, or a first
  word of the command before one), it stays, and the grammar decoding hears it as the lead-in
  it is.

A push-to-talk capture keeps everything: the person asked for an answer.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.listener.capture import CommandCapture, EndpointPolicy, Judge
from app.listener.segmenter import (
    EndpointConfig,
    NoSpeech,
    Paused,
    Resumed,
    SegEvent,
    Segmenter,
    SpeechEnded,
    SpeechStarted,
    UtteranceAudio,
)
from app.listener.vad import Vad, VadFrame, VadStream
from asr.audio import AudioChunk
from asr.pinyin_syllables import group_units
from intents.completion import Completion
from intents.speech import SpeechUnderstander, Understanding

TAIL_SECONDS = 0.5  # the longest a wake phrase's last sound runs past the spotter's end
RECENT_SECONDS = 2.0  # judged audio kept to be heard again after a dropped utterance


@dataclass(frozen=True)
class Started:
    t: float  # where the utterance (with its pre-roll) begins


@dataclass(frozen=True)
class Partial:
    text: str


@dataclass(frozen=True)
class Ended:
    result: Understanding
    t: float
    last_speech: float
    reason: str


@dataclass(frozen=True)
class Discarded:
    """An utterance that was nothing (see the module notes); the wait for speech goes on."""

    t: float
    last_speech: float
    reason: str  # "nothing heard" or "wake phrase"


@dataclass(frozen=True)
class TimedOut:
    t: float


Outcome = Started | Partial | Ended | Discarded | TimedOut


@dataclass(frozen=True)
class Wait:
    """How one capture was opened."""

    start: float  # audio from here on belongs to the command
    deadline: float  # speech must begin before this audio time
    holding: bool = False  # push-to-talk held down: only the release ends it
    quiet: bool = False  # nobody pressed: an utterance that is nothing is dropped (see above)
    woken: bool = False  # opened by a wake word: its phrase's last sound may come first


class Endpointer:
    def __init__(self, vad: Vad, judge: Judge, endpoint: EndpointConfig,
                 policy: EndpointPolicy,
                 understander: Callable[[], SpeechUnderstander]) -> None:
        self.vad, self.judge = vad, judge
        self.endpoint, self.policy = endpoint, policy
        self.understander = understander
        self.wait = Wait(0.0, 0.0)
        self._segmenter = Segmenter(endpoint)
        self._vad_stream = VadStream(vad)
        self._capture: CommandCapture | None = None
        self._utterance_start = 0.0
        self._recent: deque[VadFrame] = deque()  # judged frames of the last RECENT_SECONDS
        self._ending = False  # the caller is ending the capture: nothing to wait on for

    def arm(self, wait: Wait) -> None:
        self.wait = wait
        self._vad_stream = VadStream(self.vad)
        self._vad_stream.reset()
        self._rearm(wait.start)

    def cancel(self) -> None:
        self._segmenter.disarm()
        self._capture = None

    def feed(self, chunk: AudioChunk) -> list[Outcome]:
        """The capture's audio (anything before the wait's start is cut off)."""
        cut = round((self.wait.start - chunk.timestamp) * chunk.rate)
        if cut >= len(chunk.samples):
            return []
        if cut > 0:
            chunk = AudioChunk(chunk.samples[cut:], chunk.rate, self.wait.start)
        out: list[Outcome] = []
        for frame in self._vad_stream.accept(chunk):
            self._recent.append(frame)
            while frame.end - self._recent[0].chunk.timestamp > RECENT_SECONDS:
                self._recent.popleft()
            out += self._judged(frame)
        return out

    def _judged(self, frame: VadFrame) -> list[Outcome]:
        out: list[Outcome] = []
        segmenter = self._segmenter
        for event in segmenter.feed(frame.chunk, frame.is_speech):
            if self._segmenter is not segmenter:
                break  # an utterance was dropped and the wait armed again: its events are done
            out += self._on(event)
        return out

    def end(self, t: float, reason: str) -> list[Outcome]:
        """End the capture now (push-to-talk released or pressed again, end of input): an
        utterance that was nothing ends it as if nothing had been said."""
        self._ending = True
        try:
            return self._on(self._segmenter.end(t, reason))
        finally:
            self._ending = False

    def _rearm(self, t: float) -> None:
        config = replace(self.endpoint, no_speech_timeout=max(self.wait.deadline - t, 0.0))
        self._segmenter = Segmenter(config)
        self._segmenter.arm(t)
        self._segmenter.hangover = self._default_hangover()
        self._capture = None

    def _default_hangover(self) -> float:
        return math.inf if self.wait.holding else self.endpoint.hangover

    def _on(self, event: SegEvent) -> list[Outcome]:
        if isinstance(event, SpeechStarted):
            self._utterance_start = event.t
            self._capture = CommandCapture(self.understander(), self.judge)
            self._capture.start(event.audio)
            return [Started(event.t)]
        if isinstance(event, NoSpeech):
            self._capture = None
            return [TimedOut(event.t)]
        if self._capture is None:
            return []
        if isinstance(event, UtteranceAudio):
            partial = self._capture.feed(event.chunk)
            return [Partial(partial)] if partial else []
        if isinstance(event, Paused):
            return self._paused(self._capture, event)
        if isinstance(event, Resumed):
            self._capture.resume()
            self._segmenter.hangover = self._default_hangover()
            return []
        return self._ended(self._capture, event)

    def _paused(self, capture: CommandCapture, event: Paused) -> list[Outcome]:
        if self.wait.holding:
            return []
        tail = self._maybe_tail(event.last_speech)
        if not (tail or self.policy.grammar_aware):
            return []
        completion = capture.pause()
        if tail and completion is Completion.NOT_COMMAND and _heard(capture.result()) <= 1:
            return self._discard(event.t, event.last_speech, "wake phrase")
        if not self.policy.grammar_aware:
            return []
        hangover = self.policy.hangover(completion)
        if event.t - event.last_speech >= hangover - 1e-9:
            return self._on(self._segmenter.end(event.t, "decided"))
        self._segmenter.hangover = hangover
        return []

    def _ended(self, capture: CommandCapture, event: SpeechEnded) -> list[Outcome]:
        self._capture = None
        result = capture.result()
        if self.wait.quiet and result.rejected and _heard(result) == 0:
            return self._discard(event.t, event.last_speech, "nothing heard")
        if self._maybe_tail(event.last_speech) and result.rejected and _heard(result) <= 1:
            return self._discard(event.t, event.last_speech, "wake phrase")
        return [Ended(result, event.t, event.last_speech, event.reason)]

    def _maybe_tail(self, last_speech: float) -> bool:
        """The utterance so far may be the wake phrase's last sound: it began as the wait did
        and stopped soon after."""
        wait = self.wait
        return (wait.woken and self._utterance_start <= wait.start + 1e-6
                and last_speech <= wait.start + TAIL_SECONDS)

    def _discard(self, t: float, last_speech: float, reason: str) -> list[Outcome]:
        """Drop the utterance and wait on from its last speech: the silence since then is
        heard again, as pre-roll for a soft first syllable the VAD did not call speech."""
        out: list[Outcome] = [Discarded(t, last_speech, reason)]
        if self._ending or t >= self.wait.deadline:
            self._segmenter.disarm()
            return [*out, TimedOut(t)]
        self._rearm(last_speech)
        for frame in [f for f in self._recent if f.chunk.timestamp >= last_speech - 1e-6]:
            out += self._judged(frame)
        return out


def _heard(result: Understanding) -> int:
    """Syllables (and spelled letters) free decoding heard."""
    return len(group_units(result.pinyin))
