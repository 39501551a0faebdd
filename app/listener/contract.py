"""What the listener takes and gives, apart from audio: its settings, the ``decide`` hook (the
assistant) with the reply it hands back, the voice that says replies, and the grammar in force.
The listener never imports the assistant or the actions: they plug in through these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.listener import machine as m
from app.listener.capture import EndpointPolicy
from app.listener.segmenter import EndpointConfig
from intents.speech import Understanding

NOT_UNDERSTOOD = "抱歉，我没听懂"
FAILED = "抱歉，刚才出了点问题，没能完成。"  # the assistant's own failure text (dispatcher.FAILED)


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
    decide_timeout: float = 30.0  # seconds to wait for the assistant's decision
    not_understood: str = NOT_UNDERSTOOD
    failed: str = FAILED  # said when a decision failed or never came
