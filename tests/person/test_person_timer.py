"""A timer going off while the person speaks (issue 15, item 8): the timer is set by typing in
the window's command box; push-to-talk is pressed with `lingyin ptt` just before it is due and
the command spoken across the moment it goes off. The command must still be understood, and the
timer still announced."""

from __future__ import annotations

import json
import time

import pytest
from atspi import Node
from lingyin_app import IDLE, LISTENING, describe
from people import QUIET_AFTER, REPLY_WITHIN, Person, assert_set_29
from voices import RATE, SET_29, WAKE, silence

pytestmark = pytest.mark.person
TIMER_TEXT = "定时十五秒"
PRESS_BEFORE = 2.0  # seconds before the timer is due: push-to-talk goes down
SPEAK_BEFORE = 1.0  # the command starts this long before it is due (and lasts 2.4 s)
RELEASE_AFTER = 2.5  # seconds after it was due: push-to-talk goes up


def command_box(person: Person) -> Node:
    """The window's "type a command" box: the lowest text box of the main window."""
    app = person.app
    frame = app.window()
    boxes = person.a11y.find_all(frame, lambda n: n.role == "text" and n.on_screen)
    assert boxes, "no text box in the window"
    return max(boxes, key=lambda n: n.extents[1])


def timer_end(person: Person, timeout: float = 10.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            entries = json.loads(person.home.timers_path.read_text(encoding="utf-8"))["entries"]
        except (FileNotFoundError, ValueError, KeyError):
            entries = []
        if entries:
            return float(entries[0]["end"])
        time.sleep(0.2)
    raise AssertionError(f"no timer in {person.home.timers_path} within {timeout:.0f} s")


def sleep_until(epoch: float) -> None:
    time.sleep(max(0.0, epoch - time.time()))


def test_timer_going_off_during_a_command_does_not_lose_it(person: Person) -> None:
    person.home.write_settings(wake_phrases=[WAKE])
    app = person.start_app()
    app.states.wait(IDLE, 10)
    app.click(command_box(person))
    person.desktop.xdo.type(TIMER_TEXT)
    person.desktop.xdo.key("Return")
    turns = app.wait_turns(1, REPLY_WITHIN)
    assert (turns[0].get("domain"), turns[0].get("intent")) == ("timer", "start"), (
        describe(turns))
    end = timer_end(person)
    command = person.voices.command(SET_29)
    assert SPEAK_BEFORE < len(command) / RATE < SPEAK_BEFORE + RELEASE_AFTER - 0.5
    assert end - time.time() > PRESS_BEFORE + 1, "the timer went off before the command"

    sleep_until(end - PRESS_BEFORE)
    pressed = time.monotonic()
    app.ptt()
    app.states.wait(LISTENING, 3, since=pressed)
    sleep_until(end - SPEAK_BEFORE)
    person.say(command)  # the timer goes off in the middle of it
    sleep_until(end + RELEASE_AFTER)
    app.ptt()
    person.say(silence(0.5))

    app.wait_turns(2, REPLY_WITHIN)
    deadline = time.monotonic() + REPLY_WITHIN
    while not any(e.get("kind") == "announce" for e in person.home.history()):
        assert time.monotonic() < deadline, "the timer was never announced: " + describe(
            person.home.history())
        time.sleep(0.25)
    time.sleep(QUIET_AFTER)
    turns = person.home.turns()
    assert len(turns) == 2, describe(turns)
    assert_set_29(turns[1])
