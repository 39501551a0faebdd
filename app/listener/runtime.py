"""The listener at run time: one worker loop that reads the audio source, spots wake words,
endpoints and decodes commands, and carries out the mode machine's effects.

Everything the caller does (push-to-talk, mute, mode, typed text, stop) and everything the
speaker reports (a reply started or ended) arrives as a command on one queue and runs on the
worker, so the state machine, the segmenter and the decoders are only ever touched by one thread.
Events go out through ``on_event`` (from the worker thread).
"""

from __future__ import annotations

import math
import queue
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from app.listener import machine as m
from app.listener.capture import CommandCapture, EndpointPolicy, Judge
from app.listener.events import EventSink, ListenerEvent
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
from app.listener.sources import AudioSource, DeviceError
from app.listener.vad import Vad, VadStream
from app.listener.wake import WakeWatcher
from asr.audio import AudioChunk
from asr.kws import Detection, KeywordSpotter
from intents.speech import Understanding

NOT_UNDERSTOOD = "抱歉，我没听懂"


@dataclass(frozen=True)
class Reply:
    """A reply as shown (digits: 30%) and as spoken (百分之三十; the shown text if None)."""

    shown: str | None
    spoken: str | None = None
    expect_reply: bool = False

    @property
    def said(self) -> str | None:
        return self.spoken or self.shown


Decide = Callable[[Understanding, Callable[[Reply], None]], None]


class Voice(Protocol):
    """What the listener needs of the speaker (app/listener/speaker.py)."""

    def speak(self, text: str) -> int: ...

    def stop(self) -> None: ...

    def chime(self) -> None: ...


class Understanders(Protocol):
    """The grammar in force (intents.speech.LiveUnderstander)."""

    def refresh(self) -> list[Any]: ...

    def current(self) -> Any: ...


@dataclass(frozen=True)
class ListenerConfig:
    machine: m.MachineConfig = field(default_factory=m.MachineConfig)
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    policy: EndpointPolicy = field(default_factory=EndpointPolicy)
    history_seconds: float = 4.0  # audio kept for a command said in one breath with the wake word
    reply_tail: float = 0.3  # after playback really ended, before the microphone counts again
    retry_seconds: float = 0.25  # reopening a lost microphone
    not_understood: str = NOT_UNDERSTOOD


class Listener:
    def __init__(self, source: AudioSource, understanders: Understanders, vad: Vad, *,
                 judge: Judge, on_event: EventSink, spotter: KeywordSpotter | None = None,
                 voice: Voice | None = None,
                 config: ListenerConfig | None = None, live_time: bool = False,
                 decide: Decide | None = None) -> None:
        self.source = source
        self.understanders = understanders
        self.config = config or ListenerConfig()
        machine_config = self.config.machine
        if voice is None:
            machine_config = replace(machine_config, speak=False, chime=False)
        if machine_config.mode is m.Mode.WAKE and spotter is None:
            raise ValueError("wake mode needs a keyword spotter (give at least one wake phrase)")
        self.machine = m.ListenerMachine(machine_config)
        self.vad = vad
        self.judge = judge
        self.on_event = on_event
        self.watcher = WakeWatcher(spotter) if spotter is not None else None
        self.voice = voice
        self.live_time = live_time
        self.decide = decide  # the assistant; None: the intent's reply template is the reply
        # told when a follow-up (answer) window closes with nothing said
        self.on_answer_lapsed: Callable[[], None] | None = None
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._history: deque[AudioChunk] = deque()
        self._segmenter = Segmenter(self.config.endpoint)
        self._vad_stream = VadStream(vad)
        self._capture: CommandCapture | None = None
        self._capture_from = 0.0
        self._now = 0.0
        self._started = time.monotonic()
        self._open = False
        self._next_retry = 0.0
        self._last_error = ""
        self._stopping = False
        self._reply_end_due: float | None = None
        self._reply_deaf = False
        self._ptt_capture = False
        self._follow_up_capture = False
        self._reply_id = 0

    # ---- the caller's side (any thread) -----------------------------------------------------
    def press(self) -> None:
        self._commands.put(lambda: self._handle(m.PttDown()))

    def release(self) -> None:
        self._commands.put(lambda: self._handle(m.PttUp()))

    def set_mode(self, mode: m.Mode) -> None:
        self._commands.put(lambda: self._handle(m.SetMode(mode)))

    def mute(self, on: bool) -> None:
        self._commands.put(lambda: self._handle(m.Mute(on)))

    def stop(self) -> None:
        self._commands.put(self._request_stop)

    def reply_ended(self, reply_id: int = 0, interrupted: bool = False) -> None:
        """The speaker's playback really ended (called from the speaker's thread)."""
        self._commands.put(lambda: self._reply_finished(reply_id))

    def reply_error(self, message: str) -> None:
        self._commands.put(lambda: self._emit("error", message=message))

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the worker thread (typed commands, from the assistant)."""
        self._commands.put(job)

    @property
    def state(self) -> m.State:
        return self.machine.state

    # ---- the worker loop ------------------------------------------------------------------
    def run(self) -> None:
        """Listen until ``stop()`` (or the end of a file source); closes the source."""
        self._emit("state", state=self.machine.state.value, previous=None)
        try:
            while not self._stopping:
                self._step()
        finally:
            self.source.close()
            self._open = False

    def _step(self) -> None:
        self._run_commands()
        self._check_reply_tail()
        if self._stopping:
            return
        if self.machine.state is m.State.MUTED or not self._ensure_open():
            self._wait(0.05)
            return
        try:
            chunk = self.source.read(0.05)
        except DeviceError as exc:
            self._device_lost(str(exc))
            return
        overflows = self.source.take_overflows()
        if overflows:
            self._emit("overflow", count=overflows)
        if chunk is not None:
            self._on_chunk(chunk)
        elif self.source.finished:
            self._end_of_input()

    def _wait(self, seconds: float) -> None:
        try:
            job = self._commands.get(timeout=seconds)
        except queue.Empty:
            return
        job()

    def _run_commands(self) -> None:
        while True:
            try:
                job = self._commands.get_nowait()
            except queue.Empty:
                return
            job()

    def _request_stop(self) -> None:
        self._stopping = True
        if self.voice is not None and self.machine.state is m.State.SPEAKING:
            self.voice.stop()

    def now(self) -> float:
        if self.live_time and self.machine.state in (m.State.MUTED, m.State.DEVICE_LOST):
            return max(self._now, time.monotonic() - self._started)
        return self._now

    # ---- the device ---------------------------------------------------------------------
    def _ensure_open(self) -> bool:
        if self._open:
            return True
        if time.monotonic() < self._next_retry:
            return False
        try:
            self.source.open()
        except DeviceError as exc:
            self._device_lost(str(exc))
            return False
        self._open = True
        self._last_error = ""
        skip_to = getattr(self.source, "skip_to", None)
        if self.live_time and skip_to is not None:
            skip_to(time.monotonic() - self._started)
        if self.machine.state is m.State.DEVICE_LOST:
            self._handle(m.DeviceBack())
        return True

    def _device_lost(self, message: str) -> None:
        self.source.close()
        self._open = False
        self._next_retry = time.monotonic() + self.config.retry_seconds
        if message != self._last_error:
            self._last_error = message
            self._emit("error", message=message)
        self._handle(m.DeviceLost())

    def _end_of_input(self) -> None:
        if self.watcher is not None and self.machine.spotting:
            for detection in self.watcher.finish():
                self._on_wake(detection)
        if self.machine.capturing:
            self._seg_event(self._segmenter.end(self._now, "end of input"))
        if self.machine.state is m.State.SPEAKING:
            self._wait(0.05)
        elif self.machine.state is not m.State.DECIDING:
            self._stopping = True

    # ---- audio ----------------------------------------------------------------------------
    def _on_chunk(self, chunk: AudioChunk) -> None:
        self._now = chunk.timestamp + chunk.seconds
        observe = getattr(self.vad, "observe", None)
        if observe is not None:
            observe(chunk.samples)  # the noise floor, known before anyone speaks
        self._history.append(chunk)
        while self._history and self._now - self._history[0].timestamp > (
                self.config.history_seconds):
            self._history.popleft()
        if self.watcher is not None and self.machine.spotting:
            for detection in self.watcher.feed(chunk):
                if self._on_wake(detection):
                    return  # the capture replayed the history, this chunk included
        elif self.watcher is not None:
            self.watcher.stop()
        if self.machine.capturing:
            self._capture_audio(chunk)

    def _on_wake(self, detection: Detection) -> bool:
        self._emit("wake", keyword=detection.keyword, start=detection.start, end=detection.end,
                   score=detection.score)
        self._handle(m.WakeWord(detection.end))
        return self.machine.capturing

    def _capture_audio(self, chunk: AudioChunk) -> None:
        cut = round((self._capture_from - chunk.timestamp) * chunk.rate)
        if cut >= len(chunk.samples):
            return
        if cut > 0:
            chunk = AudioChunk(chunk.samples[cut:], chunk.rate, self._capture_from)
        for frame in self._vad_stream.accept(chunk):
            for event in self._segmenter.feed(frame.chunk, frame.is_speech):
                self._seg_event(event)
                if not self.machine.capturing:
                    return

    def _seg_event(self, event: SegEvent) -> None:
        if isinstance(event, SpeechStarted):
            self._speech_started(event)
        elif isinstance(event, UtteranceAudio) and self._capture is not None:
            partial = self._capture.feed(event.chunk)
            if partial:
                self._emit("partial", text=partial)
        elif isinstance(event, Paused):
            self._paused(event)
        elif isinstance(event, Resumed) and self._capture is not None:
            self._capture.resume()
            self._segmenter.hangover = self._default_hangover()
        elif isinstance(event, SpeechEnded):
            self._speech_ended(event)
        elif isinstance(event, NoSpeech):
            self._capture = None
            self._handle(m.CaptureEnded(heard=False))

    def _speech_started(self, event: SpeechStarted) -> None:
        self._emit("speech_start", t=event.t)
        understander = self.understanders.current()
        self._capture = CommandCapture(understander, self.judge)
        self._capture.start(event.audio)

    def _paused(self, event: Paused) -> None:
        if self._capture is None or not self.config.policy.grammar_aware or self._holding:
            return
        completion = self._capture.pause()
        hangover = self.config.policy.hangover(completion)
        if event.t - event.last_speech >= hangover - 1e-9:
            self._seg_event(self._segmenter.end(event.t, "decided"))
        else:
            self._segmenter.hangover = hangover

    @property
    def _holding(self) -> bool:
        config = self.machine.config
        return config.hold and self.machine.state is m.State.CAPTURE and self._ptt_capture

    def _default_hangover(self) -> float:
        return math.inf if self._holding else self.config.endpoint.hangover

    def _speech_ended(self, event: SpeechEnded) -> None:
        capture, self._capture = self._capture, None
        if capture is None:
            self._handle(m.CaptureEnded(heard=False))
            return
        result = capture.result()
        self._emit("speech_end", t=event.t, last_speech=round(event.last_speech, 3),
                   reason=event.reason)
        self._handle(m.CaptureEnded(heard=True))
        if result.rejected:
            self._emit("rejected", t=event.t, text=result.text, pinyin=result.pinyin)
        else:
            self._emit("intent", t=event.t, **result.to_json())
        # not understood: listen once more without the wake word (not again after a retry,
        # or one false wake in a room full of talk would chain for ever)
        retry = result.rejected and not self._follow_up_capture
        if self.decide is None:
            self._decided(self._template_reply(result), event.t, retry)
        else:
            self.decide(result, lambda reply: self._commands.put(
                lambda: self._decided(reply, self.now(), retry)))

    def _template_reply(self, result: Understanding) -> Reply:
        if result.rejected:
            return Reply(self.config.not_understood)
        grammar = self.understanders.current().grammar
        intent = grammar.intent(f"{result.domain}.{result.intent}")
        if intent is None or not intent.replies:
            return Reply(None)
        return Reply(str(intent.replies[0].render(result.slots)))

    def _decided(self, reply: Reply, t: float, retry: bool = False) -> None:
        if reply.shown:
            self._emit("reply", t=t, text=reply.shown)
        if self.machine.state is m.State.DECIDING:
            self._handle(m.Decided(reply.said, reply.expect_reply or retry))

    def say(self, reply: Reply) -> None:
        """Say a reply that no utterance asked for (a typed command's, a timer going off)."""
        def job() -> None:
            if reply.shown:
                self._emit("reply", text=reply.shown)
            self._handle(m.Typed(reply.said, reply.expect_reply))

        self._commands.put(job)

    # ---- the machine's effects --------------------------------------------------------------
    def _handle(self, event: m.Event) -> None:
        unanswered = (isinstance(event, m.CaptureEnded) and not event.heard
                      and self.machine.state is m.State.FOLLOW_UP)
        if unanswered and self.on_answer_lapsed is not None:
            self.on_answer_lapsed()  # a question asked is not answered later by chance
        for effect in self.machine.handle(event, self.now()):
            if isinstance(effect, m.Arm):
                self._ptt_capture = isinstance(event, m.PttDown)
            self._apply(effect)

    def _apply(self, effect: m.Effect) -> None:
        if isinstance(effect, m.StateChanged):
            self._emit("state", t=effect.t, state=effect.new.value, previous=effect.old.value)
        elif isinstance(effect, m.Arm):
            self._arm(effect)
        elif isinstance(effect, m.EndCapture):
            self._seg_event(self._segmenter.end(self._now, effect.reason))
        elif isinstance(effect, m.CancelCapture):
            self._segmenter.disarm()
            self._capture = None
        elif isinstance(effect, m.Speak):
            self._speak(effect.text)
        elif isinstance(effect, m.StopSpeaking) and self.voice is not None:
            self.voice.stop()
        elif isinstance(effect, m.Chime) and self.voice is not None:
            self.voice.chime()
        elif isinstance(effect, m.MicOpen) and not effect.on:
            self.source.close()
            self._open = False

    def _arm(self, effect: m.Arm) -> None:
        for problem in self.understanders.refresh():
            self._emit("error", message=f"grammar not reloaded: {problem}")
        config = replace(self.config.endpoint, no_speech_timeout=effect.timeout)
        self._segmenter = Segmenter(config)
        self._segmenter.arm(effect.start)
        self._vad_stream = VadStream(self.vad)
        self._vad_stream.reset()
        self._capture = None
        self._capture_from = effect.start
        self._follow_up_capture = self.machine.state is m.State.FOLLOW_UP
        if self.watcher is not None:
            self.watcher.stop()
        self._segmenter.hangover = self._default_hangover()
        for chunk in list(self._history):
            if chunk.timestamp + chunk.seconds > effect.start and self.machine.capturing:
                self._capture_audio(chunk)

    def _speak(self, text: str) -> None:
        if self.voice is None:
            self._handle(m.ReplyEnded())
            return
        if self.watcher is not None and self.watcher.said_in(text):
            self.watcher.deafen(self._now)
            self._reply_deaf = True
        self._reply_end_due = None
        self._reply_id = self.voice.speak(text)

    def _reply_finished(self, reply_id: int) -> None:
        if reply_id and reply_id != self._reply_id:
            return  # a reply that was cut off earlier
        self._reply_end_due = time.monotonic() + self.config.reply_tail

    def _check_reply_tail(self) -> None:
        due = self._reply_end_due
        if due is None or time.monotonic() < due:
            return
        self._reply_end_due = None
        if self._reply_deaf and self.watcher is not None:
            self.watcher.hear_again(self._now)
            self._reply_deaf = False
        if self.machine.state is m.State.SPEAKING:
            self._handle(m.ReplyEnded())

    def _emit(self, kind: str, t: float | None = None, **data: object) -> None:
        self.on_event(ListenerEvent(kind, self.now() if t is None else t, dict(data)))
