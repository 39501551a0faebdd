"""The listener's modes as a pure state machine: events in, effects out, no I/O, no clock.

One method per state. Every transition is reported as a ``StateChanged`` effect; the runtime
(app/listener/runtime.py) carries out the other effects: arming the segmenter, playing replies,
opening and closing the microphone.
"""

from __future__ import annotations

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
    """A command typed instead of spoken has been understood; its reply is to be said."""

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
    timeout: float  # seconds without speech before giving up


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
    command_timeout: float = 5.0  # no speech after a press or wake word


class ListenerMachine:
    def __init__(self, config: MachineConfig | None = None) -> None:
        self.config = config or MachineConfig()
        self.mode = self.config.mode
        self.state = self.rest_state
        self._effects: list[Effect] = []
        self._t = 0.0
        self._lost = False
        self._pending_answer = False

    @property
    def rest_state(self) -> State:
        return State.WAKE_LISTEN if self.mode is Mode.WAKE else State.IDLE

    @property
    def capturing(self) -> bool:
        return self.state in (State.CAPTURE, State.FOLLOW_UP)

    @property
    def spotting(self) -> bool:
        """Whether the wake-word spotter should hear the microphone (barge-in while speaking)."""
        return self.mode is Mode.WAKE and self.state in (State.WAKE_LISTEN, State.SPEAKING)

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

    def _capture(self, start: float, timeout: float, state: State = State.CAPTURE) -> None:
        self._emit(Arm(start, timeout))
        self._go(state)

    def _rest(self) -> None:
        self._go(self.rest_state)

    def _mute(self, on: bool) -> None:
        if on and self.state is not State.MUTED:
            self._leave_activity()
            self._emit(MicOpen(False))
            self._go(State.MUTED)
        elif not on and self.state is State.MUTED:
            self._emit(MicOpen(True))
            self._go(State.DEVICE_LOST if self._lost else self.rest_state)

    def _device_lost(self) -> None:
        self._lost = True
        if self.state in (State.MUTED, State.DEVICE_LOST):
            return
        self._leave_activity()
        self._go(State.DEVICE_LOST)

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
            return
        self._leave_activity()
        self._emit(Speak(event.reply))
        self._pending_answer = event.expects_answer
        self._go(State.SPEAKING)

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
            if self.config.chime:
                self._emit(Chime())
            self._capture(event.end, self.config.command_timeout)
        elif isinstance(event, PttDown):
            self._capture(self._t, self.config.command_timeout)

    def _on_capture(self, event: Event) -> None:
        if isinstance(event, PttUp) and self.config.hold:
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
            if self.config.chime:
                self._emit(Chime())
            self._capture(event.end, self.config.command_timeout)
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
