"""The wake-word mode as a person uses it (issue 15, items 2 and 5): the wake phrase, a pause of
their own length, the command; the wake phrase alone; two commands in a row in the follow-up
window. The real window on a private desktop, the microphone fed in real time; what happened is
read from the history file and the window's state label."""

from __future__ import annotations

import time

import pytest
from lingyin_app import LISTENING, NOT_UNDERSTOOD, WAKE_LISTEN, describe
from people import QUIET_AFTER, REPLY_WITHIN, Person, assert_set_29, wake_settings
from voices import SET_29, WARMER, silence

pytestmark = pytest.mark.person

@pytest.mark.parametrize("pause", [0.0, 0.5, 1.5, 3.0], ids=lambda p: f"pause-{p:g}s")
def test_wake_phrase_pause_then_command(person: Person, pause: float) -> None:
    """想听歌曲, ``pause`` seconds, 设定二十九度: one turn, the command, nothing 没听懂."""
    wake_settings(person)
    app = person.start_app()
    app.states.wait(WAKE_LISTEN, 10)
    person.say(silence(1.0))
    person.say(person.voices.wake_then(SET_29, pause))
    turns = app.wait_turns(1, REPLY_WITHIN)
    time.sleep(QUIET_AFTER)
    turns = person.home.turns()
    assert len(turns) == 1, f"one turn expected after a {pause} s pause: {describe(turns)}"
    assert_set_29(turns[0])
    app.states.wait(WAKE_LISTEN, 15, since=time.monotonic())


def test_bare_wake_phrase_goes_back_to_waiting(person: Person) -> None:
    """The wake phrase alone (another voice): Lingyin listens, hears nothing, and goes back to
    waiting without a word — then the next wake phrase and command work as usual."""
    wake_settings(person)
    app = person.start_app()
    app.states.wait(WAKE_LISTEN, 10)
    person.say(silence(1.0))
    said = time.monotonic()
    person.say(person.voices.wake("espeak-f2"))
    app.states.wait(LISTENING, 10, since=said)  # it heard the wake phrase
    person.say(silence(10.0))
    assert person.home.turns() == [], (
        f"a bare wake phrase made turns: {describe(person.home.turns())}")
    app.states.wait(WAKE_LISTEN, 5, since=said)
    assert WAKE_LISTEN in app.states.current, app.states.since(said)
    person.say(person.voices.wake_then(SET_29, 0.0))
    app.wait_turns(1, REPLY_WITHIN)
    time.sleep(QUIET_AFTER)
    turns = person.home.turns()
    assert len(turns) == 1, describe(turns)
    assert_set_29(turns[0])


def test_two_commands_in_a_row_with_follow_up(person: Person) -> None:
    """With a follow-up window, a second command right after the reply needs no wake phrase."""
    wake_settings(person, follow_up=8.0)
    app = person.start_app()
    app.states.wait(WAKE_LISTEN, 10)
    person.say(silence(1.0))
    person.say(person.voices.wake_then(SET_29, 0.0, voice="espeak"))
    first = app.wait_turns(1, REPLY_WITHIN)
    assert_set_29(first[0])
    app.states.wait("接着说", 20, since=app.started_at)  # the reply ended: it listens on
    person.say(silence(0.5))
    person.say(person.voices.command(WARMER))
    turns = app.wait_turns(2, REPLY_WITHIN)
    time.sleep(QUIET_AFTER)
    turns = person.home.turns()
    assert len(turns) == 2, describe(turns)
    meaning = (turns[1].get("domain"), turns[1].get("intent"))
    assert meaning == ("home", "temperature_up"), describe(turns)
    assert NOT_UNDERSTOOD not in str(turns[1].get("reply")), describe(turns)
