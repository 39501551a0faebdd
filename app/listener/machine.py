"""The listener's modes as a pure state machine: events in, effects out, no I/O, no clock.

One method per state. Every transition is reported as a ``StateChanged`` effect; the runtime
(app/listener/runtime.py) carries out the other effects: arming the segmenter, playing replies,
opening and closing the microphone.

In wake mode the spotter also hears a capture the wake word opened and the follow-up window: a
wake phrase said there is a wake (the capture starts again after it), never a command. Replies
nobody's utterance asked for (a typed command's, a timer's announcement) wait until the capture,
decision and reply in progress are over, and are said in turn when the listener is at rest.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    PTT = "ptt"
    WAKE = "wake"


class State(StrEnum):
    IDLE = "idle"  # push-to-talk mode, waiting for a press
    WAKE_LISTEN = "wake_listen"  # listening for the wake word
    CAPTURE = "capture"  # capturing a command
    DECIDING = "deciding"  # the command ended; understanding it
    SPEAKING = "speaking"  # a reply plays; the command path is closed
    FOLLOW_UP = "follow_up"  # listening for an answer without the wake word
    MUTED = "muted"  # the microphone is closed
    DEVICE_LOST = "device_lost"  # the microphone is gone; retrying


# ---- events in -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PttDown:
    pass


@dataclass(frozen=True)
class PttUp:
    pass


@dataclass(frozen=True)
class WakeWord:
    end: float  # audio time where the wake phrase ended: the command starts there


@dataclass(frozen=True)
class CaptureEnded:
    heard: bool  # False: nothing was said before the timeout (or the press was empty)


@dataclass(frozen=True)
class Decided:
    reply: str | None  # what to say (None: nothing)
    expects_answer: bool = False


@dataclass(frozen=True)
class ReplyEnded:
    pass


@dataclass(frozen=True)
class Typed:
    """A reply no utterance asked for (a typed command's, a timer going off) is to be said: at
    once when the listener is at rest, else after the capture, decision and reply under way."""

    reply: str | None
    expects_answer: bool = False


@dataclass(frozen=True)
class SetMode:
    mode: Mode


@dataclass(frozen=True)
class Mute:
    on: bool


@dataclass(frozen=True)
class DeviceLost:
    pass


@dataclass(frozen=True)
class DeviceBack:
    pass


@dataclass(frozen=True)
class Tick:
    pass


Event = (PttDown | PttUp | WakeWord | CaptureEnded | Decided | ReplyEnded | Typed | SetMode
         | Mute | DeviceLost | DeviceBack | Tick)


# ---- effects out -----------------------------------------------------------------------------
@dataclass(frozen=True)
class StateChanged:
    old: State
    new: State
    t: float


@dataclass(frozen=True)
class Arm:
    start: float  # audio from this time on belongs to the command
    timeout: float  # seconds to wait for speech to begin before giving up
    woken: bool = False  # opened by a wake word: the phrase's last sound may still be heard


@dataclass(frozen=True)
class EndCapture:
    reason: str


@dataclass(frozen=True)
class CancelCapture:
    pass


@dataclass(frozen=True)
class Speak:
    text: str


@dataclass(frozen=True)
class StopSpeaking:
    pass


@dataclass(frozen=True)
class Chime:
    pass


@dataclass(frozen=True)
class MicOpen:
    on: bool


Effect = StateChanged | Arm | EndCapture | CancelCapture | Speak | StopSpeaking | Chime | MicOpen


@dataclass(frozen=True)
class MachineConfig:
    mode: Mode = Mode.PTT
    hold: bool = True  # push-to-talk: hold (release ends) or toggle (a second press ends)
    speak: bool = True
    chime: bool = False
    follow_up: float = 0.0  # seconds to listen without the wake word after every reply
    answer_window: float = 6.0  # seconds to wait for the answer to a question
    command_timeout: float = 5.0  # seconds to wait for speech to begin after a press or wake


class ListenerMachine:
    def __init__(self, config: MachineConfig | None = None) -> None:
        self.config = config or MachineConfig()
        self.mode = self.config.mode
        self.state = self.rest_state
        self._effects: list[Effect] = []
        self._t = 0.0
        self._lost = False
        self._pending_answer = False
        self._woken = False  # the capture under way was opened by a wake word
        self._queued: deque[tuple[str, bool]] = deque()  # (reply, expects an answer) waiting

    @property
    def rest_state(self) -> State:
        return State.WAKE_LISTEN if self.mode is Mode.WAKE else State.IDLE

    @property
    def capturing(self) -> bool:
        return self.state in (State.CAPTURE, State.FOLLOW_UP)

    @property
    def spotting(self) -> bool:
        """Whether the wake-word spotter should hear the microphone: at rest, while speaking
        (barge-in), in the follow-up window and in a capture a wake word opened (a wake phrase
        there is a new wake, not a command)."""
        if self.mode is not Mode.WAKE:
            return False
        woken = self.state is State.CAPTURE and self._woken
        return woken or self.state in (State.WAKE_LISTEN, State.SPEAKING, State.FOLLOW_UP)

    @property
    def queued(self) -> int:
        """Replies waiting to be said (typed commands' replies, announcements)."""
        return len(self._queued)

    def handle(self, event: Event, t: float) -> list[Effect]:
        self._effects, self._t = [], t
        handler: Callable[[Event], None] = getattr(self, f"_on_{self.state.value}")
        if isinstance(event, Mute):
            self._mute(event.on)
        elif isinstance(event, DeviceLost):
            self._device_lost()
        elif isinstance(event, SetMode):
            self._set_mode(event.mode)
        elif isinstance(event, Typed):
            self._typed(event)
        else:
            handler(event)
        return self._effects

    # ---- transitions shared by every state ---------------------------------------------------
    def _go(self, new: State) -> None:
        if new is not self.state:
            self._effects.append(StateChanged(self.state, new, self._t))
            self.state = new

    def _emit(self, effect: Effect) -> None:
        self._effects.append(effect)

    def _capture(self, start: float, timeout: float, state: State = State.CAPTURE,
                 woken: bool = False) -> None:
        self._woken = woken
        self._go(state)
        self._emit(Arm(start, timeout, woken))  # after the change: arming may replay audio

    def _wake(self, event: WakeWord) -> None:
        if self.config.chime:
            self._emit(Chime())
        self._capture(event.end, self.config.command_timeout, woken=True)

    def _rest(self) -> None:
        """Back to rest, or on to the next reply that was waiting for it."""
        if self._queued:
            self._say(*self._queued.popleft())
        else:
            self._go(self.rest_state)

    def _say(self, text: str, expects_answer: bool) -> None:
        self._emit(Speak(text))
        self._pending_answer = expects_answer
        self._go(State.SPEAKING)

    def _say_queued_now(self) -> None:
        """The microphone hears nothing (muted, lost): waiting replies are said at once."""
        while self._queued:
            self._emit(Speak(self._queued.popleft()[0]))

    def _mute(self, on: bool) -> None:
        if on and self.state is not State.MUTED:
            self._leave_activity()
            self._emit(MicOpen(False))
            self._go(State.MUTED)
            self._say_queued_now()
        elif not on and self.state is State.MUTED:
            self._emit(MicOpen(True))
            self._go(State.DEVICE_LOST if self._lost else self.rest_state)

    def _device_lost(self) -> None:
        self._lost = True
        if self.state in (State.MUTED, State.DEVICE_LOST):
            return
        self._leave_activity()
        self._go(State.DEVICE_LOST)
        self._say_queued_now()

    def _leave_activity(self) -> None:
        if self.capturing:
            self._emit(CancelCapture())
        if self.state is State.SPEAKING:
            self._emit(StopSpeaking())

    def _typed(self, event: Typed) -> None:
        if not (event.reply and self.config.speak):
            return
        if self.state in (State.MUTED, State.DEVICE_LOST):  # the microphone hears nothing anyway
            self._emit(Speak(event.reply))
        elif self.state is self.rest_state:
            self._say(event.reply, event.expects_answer)
        else:  # a command is being heard, decided or answered: it goes first
            self._queued.append((event.reply, event.expects_answer))

    def _set_mode(self, mode: Mode) -> None:
        if mode is self.mode:
            return
        was_resting = self.state is self.rest_state
        self.mode = mode
        if was_resting:
            self._rest()

    # ---- one method per state -------------------------------------------------------------
    def _on_idle(self, event: Event) -> None:
        if isinstance(event, PttDown):
            self._capture(self._t, self.config.command_timeout)

    def _on_wake_listen(self, event: Event) -> None:
        if isinstance(event, WakeWord):
            self._wake(event)
        elif isinstance(event, PttDown):
            self._capture(self._t, self.config.command_timeout)

    def _on_capture(self, event: Event) -> None:
        if isinstance(event, WakeWord) and self.spotting:  # said again, or in the follow-up
            self._emit(CancelCapture())
            self._wake(event)
        elif isinstance(event, PttUp) and self.config.hold:
            self._emit(EndCapture("released"))
        elif isinstance(event, PttDown) and not self.config.hold:
            self._emit(EndCapture("pressed again"))
        elif isinstance(event, CaptureEnded):
            if event.heard:
                self._go(State.DECIDING)
            else:
                self._rest()

    _on_follow_up = _on_capture

    def _on_deciding(self, event: Event) -> None:
        if not isinstance(event, Decided):
            return
        if event.reply and self.config.speak:
            self._emit(Speak(event.reply))
            self._pending_answer = event.expects_answer
            self._go(State.SPEAKING)
        else:
            self._after_reply(event.expects_answer)

    def _on_speaking(self, event: Event) -> None:
        if isinstance(event, ReplyEnded):
            self._after_reply(self._pending_answer)
        elif isinstance(event, WakeWord):  # barge-in: the user talks over a long reply
            self._emit(StopSpeaking())
            self._wake(event)
        elif isinstance(event, PttDown):
            self._emit(StopSpeaking())
            self._capture(self._t, self.config.command_timeout)

    def _after_reply(self, expects_answer: bool) -> None:
        window = self.config.answer_window if expects_answer else self.config.follow_up
        if window > 0:
            self._capture(self._t, window, State.FOLLOW_UP)
        else:
            self._rest()

    def _on_muted(self, event: Event) -> None:
        if isinstance(event, DeviceBack):
            self._lost = False

    def _on_device_lost(self, event: Event) -> None:
        if isinstance(event, DeviceBack):
            self._lost = False
            self._rest()
