"""A person at the computer, for the person-level suite: their folders, the screen, the
microphone they speak into, the speaker they hear and the Lingyin they started; and what the
scenarios share (how long a reply may take, what 设定二十九度 must be understood as)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from atspi import A11y
from desktop import Desktop, DesktopError
from lingyin_app import NOT_UNDERSTOOD, Home, LingyinApp, describe
from observe import SpeakerTap
from pulse import NullSpeaker, VirtualMic
from voices import RATE, WAKE, Voices

ROOM_NOISE = 0.002  # RMS of the low noise between utterances (about -54 dBFS)
REPLY_WITHIN = 25.0  # seconds from the end of the command to its turn in the history
QUIET_AFTER = 6.0  # seconds to watch for turns that should not come


def wake_settings(person: Person, **more: object) -> None:
    person.home.write_settings(mode="wake", wake_phrases=[WAKE], **more)


def assert_set_29(turn: dict[str, object]) -> None:
    meaning = (turn.get("domain"), turn.get("intent"), turn.get("slots"))
    assert meaning == ("home", "set_temperature", {"temperature": 29}), describe([turn])
    assert turn.get("reply") and NOT_UNDERSTOOD not in str(turn["reply"]), describe([turn])


@dataclass
class Person:
    """A new user at the computer: their folders, the screen, the microphone they speak into,
    the speaker they hear; ``app`` is Lingyin as they started it."""

    home: Home
    desktop: Desktop
    a11y: A11y
    mic: VirtualMic
    speaker: NullSpeaker
    voices: Voices
    artifacts: Path
    apps: list[LingyinApp] = field(default_factory=list)
    taps: list[SpeakerTap] = field(default_factory=list)

    def start_app(self, **options: Any) -> LingyinApp:
        app = LingyinApp(self.home, self.desktop, self.a11y, self.artifacts / "lingyin.log")
        self.apps.append(app)
        return app.start(**options)

    @property
    def app(self) -> LingyinApp:
        return self.apps[-1]

    def say(self, samples: np.ndarray, wait: bool = True) -> float:
        """Speak ``samples`` into the microphone (real time); returns how long it takes."""
        self.mic.play(samples)
        seconds = len(samples) / RATE
        if wait and not self.mic.wait_played(seconds + 15):
            raise AssertionError("the microphone did not take the audio in time (is anything "
                                 "recording it?)")
        return seconds

    def listen_to_speaker(self, name: str = "speaker.raw") -> SpeakerTap:
        tap = SpeakerTap(self.speaker.monitor, self.artifacts / name)
        self.taps.append(tap)
        return tap

    def keep_evidence(self, tag: str) -> None:
        """Screenshot and the user's files into the artifacts folder."""
        try:
            self.desktop.screenshot(self.artifacts / f"{tag}.png")
        except (DesktopError, OSError) as error:
            (self.artifacts / f"{tag}.screenshot-error.txt").write_text(str(error))
        for path in (self.home.history_path, self.home.settings_path, self.home.timers_path):
            if path.exists():
                shutil.copy(path, self.artifacts / f"{tag}.{path.name}")
        for app in self.apps:
            if app.state_log is not None:
                lines = [f"{t - app.started_at:8.2f} {text}"
                         for t, text in app.state_log.changes]
                (self.artifacts / f"{tag}.states.txt").write_text("\n".join(lines) + "\n",
                                                                  encoding="utf-8")
