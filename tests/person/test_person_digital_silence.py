"""A muted or idle microphone often gives exactly zero samples (issue 15, items 1 and 5): ten
minutes of them in the wake-word mode must wake nothing — the window stays on 等待唤醒词, the
history stays empty, the speaker silent (no chime, no reply), the window alive — and afterwards
a wake phrase and a command are still answered."""

from __future__ import annotations

import time

import pytest
from lingyin_app import WAKE_LISTEN, describe
from people import REPLY_WITHIN, Person, assert_set_29, wake_settings
from voices import SET_29, silence

pytestmark = pytest.mark.person
SILENCE_SECONDS = 600.0  # the spec: 10 minutes of all-zero input
SPEAKER_QUIET = 0.01  # RMS on the speaker's monitor above which something was played


def test_ten_minutes_of_digital_zero_wake_nothing(person: Person) -> None:
    person.mic.noise = 0.0  # between utterances the virtual microphone sends exact zeros
    wake_settings(person)
    app = person.start_app()
    app.states.wait(WAKE_LISTEN, 10)
    tap = person.listen_to_speaker()
    started = time.monotonic()
    while time.monotonic() - started < SILENCE_SECONDS:
        app.check_alive()  # the window crashed (issue 15, item 1) if not
        assert not person.home.turns(), (
            f"a turn after {time.monotonic() - started:.0f} s of zeros: "
            f"{describe(person.home.turns())}")
        time.sleep(2.0)
    shown = app.states.since(started)
    left = [label for label in shown if WAKE_LISTEN not in label]
    assert not left, (f"the window left {WAKE_LISTEN} {len(left)} times during "
                      f"{SILENCE_SECONDS:.0f} s of zeros: {shown}")
    assert tap.seconds() > SILENCE_SECONDS - 30, "the speaker's monitor was not recorded"
    played = tap.loud_moments(SPEAKER_QUIET)
    assert not played, f"Lingyin chimed or spoke at {played[:20]} s into the zeros"

    person.say(silence(0.5))
    person.say(person.voices.wake_then(SET_29, 0.0))
    turns = app.wait_turns(1, REPLY_WITHIN)
    assert_set_29(turns[0])
