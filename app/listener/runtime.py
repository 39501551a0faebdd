"""The listener at run time: one worker loop that reads the audio source, spots wake words,
endpoints and decodes commands, and carries out the mode machine's effects.

Everything the caller does (push-to-talk, mute, mode, typed text, stop) and everything the
speaker and the assistant report (a reply ended, a decision made) arrives as a command on one
queue and runs on the worker, so the state machine, the endpointer and the decoders are only
ever touched by one thread. Events go out through ``on_event`` (from the worker thread).

A decision that never comes (the assistant hung or failed) is given up after
``decide_timeout`` seconds: the failure text is said and the listener rests. A fast replay of a
file (``FileSource(fast=True)``) runs in audio time only: while a command is decided and its
reply said, no audio is read, as if both took no time, so the same file gives the same events
however fast the machine is.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from app.listener import endpointer as ep
from app.listener import machine as m
from app.listener.capture import Judge
from app.listener.contract import (
    NOT_UNDERSTOOD,
    Decide,
    ListenerConfig,
    Reply,
    Understanders,
    Voice,
)
from app.listener.events import EventSink, ListenerEvent
from app.listener.sources import AudioSource, DeviceError, FileSource
from app.listener.vad import Vad
from app.listener.wake import WakeWatcher
from asr.audio import AudioChunk
from asr.kws import Detection, KeywordSpotter
from intents.speech import Understanding

log = logging.getLogger("lingyin.listener")
__all__ = [
    "NOT_UNDERSTOOD",
    "Decide",
    "Listener",
    "ListenerConfig",
    "Reply",
    "Understanders",
    "Voice",
]


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
        # a fast file replay: audio time is the only clock (see the module notes)
        self.replay = isinstance(source, FileSource) and source.fast
        self.decide = decide  # the assistant; None: the intent's reply template is the reply
        # told when a follow-up (answer) window closes with nothing said
        self.on_answer_lapsed: Callable[[], None] | None = None
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._history: deque[AudioChunk] = deque()
        self._endpointer = ep.Endpointer(vad, judge, self.config.endpoint, self.config.policy,
                                         lambda: self.understanders.current())
        self._armed = 0  # counts captures opened: a re-armed capture drops the old one's audio
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
        self._decision = 0  # counts decisions asked for: a late answer is not the current one
        self._decision_due: float | None = None

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

    def say(self, reply: Reply) -> None:
        """Say a reply that no utterance asked for (a typed command's, a timer going off): shown
        at once, said once the capture, decision and reply under way are over."""
        def job() -> None:
            if reply.shown:
                self._emit("reply", text=reply.shown)
            self._handle(m.Typed(reply.said, reply.expect_reply))

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
        self._check_decision_due()
        if self._stopping:
            return
        if self._holding_audio() or self.machine.state is m.State.MUTED or (
                not self._ensure_open()):
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

    def _holding_audio(self) -> bool:
        """A fast replay reads no audio while a command is decided and its reply said."""
        return self.replay and self.machine.state in (m.State.DECIDING, m.State.SPEAKING)

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
            self._outcomes(self._endpointer.end(self._now, "end of input"))
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
            self._outcomes(self._endpointer.feed(chunk))

    def _on_wake(self, detection: Detection) -> bool:
        self._emit("wake", keyword=detection.keyword, start=detection.start, end=detection.end,
                   score=detection.score)
        self._handle(m.WakeWord(detection.end))
        return self.machine.capturing

    def _outcomes(self, outcomes: list[ep.Outcome]) -> None:
        """The endpointer's outcomes for the capture under way; any left once that capture is
        over or replaced belong to audio the new one hears afresh."""
        armed = self._armed
        for outcome in outcomes:
            if self._armed != armed or not self.machine.capturing:
                return
            self._outcome(outcome)

    def _outcome(self, outcome: ep.Outcome) -> None:
        if isinstance(outcome, ep.Started):
            self._emit("speech_start", t=outcome.t)
        elif isinstance(outcome, ep.Partial):
            self._emit("partial", text=outcome.text)
        elif isinstance(outcome, ep.Discarded):  # nothing, or the wake phrase's own end: wait on
            self._emit("speech_end", t=outcome.t, last_speech=round(outcome.last_speech, 3),
                       reason=outcome.reason)
        elif isinstance(outcome, ep.TimedOut):
            self._handle(m.CaptureEnded(heard=False))
        elif not self._wake_heard():
            self._ended(outcome)

    def _wake_heard(self) -> bool:
        """At the end of an utterance the spotter also heard: was it a wake phrase? (Then it
        is a wake, and what follows it the command.)"""
        if self.watcher is None or not self.machine.spotting:
            return False
        return any(self._on_wake(detection) for detection in self.watcher.finish())

    def _ended(self, ended: ep.Ended) -> None:
        result = ended.result
        self._emit("speech_end", t=ended.t, last_speech=round(ended.last_speech, 3),
                   reason=ended.reason)
        self._handle(m.CaptureEnded(heard=True))
        if result.rejected:
            self._emit("rejected", t=ended.t, text=result.text, pinyin=result.pinyin)
        else:
            self._emit("intent", t=ended.t, **result.to_json())
        # not understood: listen once more without the wake word (not again after a retry,
        # or one false wake in a room full of talk would chain for ever)
        retry = result.rejected and not self._follow_up_capture
        self._ask(result, ended.t, retry)

    # ---- deciding -------------------------------------------------------------------------
    def _ask(self, result: Understanding, t: float, retry: bool) -> None:
        self._decision += 1
        ticket = self._decision
        if self.decide is None:
            self._decided(self._template_reply(result), t, retry, ticket)
            return
        self._decision_due = time.monotonic() + self.config.decide_timeout

        def done(reply: Reply) -> None:  # from the assistant's thread
            self._commands.put(lambda: self._decided(reply, self.now(), retry, ticket))

        try:
            self.decide(result, done)
        except Exception as exc:  # the assistant must never leave the listener deciding
            log.exception("deciding failed")
            self._emit("error", message=f"the assistant failed: {exc!r}")
            self._decided(Reply(self.config.failed), t, False, ticket)

    def _template_reply(self, result: Understanding) -> Reply:
        if result.rejected:
            return Reply(self.config.not_understood)
        grammar = self.understanders.current().grammar
        intent = grammar.intent(f"{result.domain}.{result.intent}")
        if intent is None or not intent.replies:
            return Reply(None)
        return Reply(str(intent.replies[0].render(result.slots)))

    def _decided(self, reply: Reply, t: float, retry: bool, ticket: int) -> None:
        if ticket != self._decision:
            log.warning("a decision came after it was given up: %s", reply.shown)
            return
        self._decision_due = None
        if reply.shown:
            self._emit("reply", t=t, text=reply.shown)
        if self.machine.state is m.State.DECIDING:
            self._handle(m.Decided(reply.said, reply.expect_reply or retry))

    def _check_decision_due(self) -> None:
        due = self._decision_due
        if due is None or time.monotonic() < due:
            return
        self._emit("error", message=f"no decision within {self.config.decide_timeout:g} s; "
                                    "the command is given up")
        self._decision += 1  # whatever comes later is not taken
        self._decided(Reply(self.config.failed), self.now(), False, self._decision)

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
            self._outcomes(self._endpointer.end(self._now, effect.reason))
        elif isinstance(effect, m.CancelCapture):
            self._endpointer.cancel()
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
        self._armed += 1
        armed = self._armed
        holding = (self.machine.config.hold and self._ptt_capture
                   and self.machine.state is m.State.CAPTURE)
        self._endpointer.arm(ep.Wait(effect.start, effect.start + effect.timeout, holding,
                                     quiet=not self._ptt_capture, woken=effect.woken))
        self._follow_up_capture = self.machine.state is m.State.FOLLOW_UP
        if self.watcher is not None:
            self.watcher.stop()
        for chunk in list(self._history):
            if self._armed != armed or not self.machine.capturing:
                return
            if chunk.timestamp + chunk.seconds > effect.start:
                self._outcomes(self._endpointer.feed(chunk))

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
        tail = 0.0 if self.replay else self.config.reply_tail  # a file holds no echo of it
        self._reply_end_due = time.monotonic() + tail

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
