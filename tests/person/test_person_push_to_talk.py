"""Push-to-talk as a person uses it (issue 15, item 4): Space held for 3 s on an X server with
key auto-repeat on (a held key arrives as repeated press/release pairs) while the command is
spoken — exactly one turn, the command; and `lingyin ptt` (a desktop shortcut) pressed once to
start and once to stop."""

from __future__ import annotations

import time

import pytest
from lingyin_app import IDLE, LISTENING, describe
from people import QUIET_AFTER, REPLY_WITHIN, Person, assert_set_29
from voices import RATE, SET_29, WAKE, WARMER, silence

pytestmark = pytest.mark.person
HOLD = 3.0  # seconds Space is held
SPEAK_AFTER = 0.4  # seconds after the key went down


def test_hold_space_for_three_seconds_is_one_turn(person: Person) -> None:
    assert person.desktop.auto_repeat(), "key auto-repeat must be on, as on a real desktop"
    person.home.write_settings(wake_phrases=[WAKE])
    app = person.start_app()
    app.states.wait(IDLE, 10)
    tree = app.find(lambda n: n.role in ("tree", "tree table", "table"), "the history list")
    app.click(tree)  # the window to the front, the keyboard to it (not a text box)
    person.desktop.xdo.focus(person.desktop.xdo.wait_window("灵音 Lingyin", 5))
    command = person.voices.command(WARMER)  # 调高温度, 1.95 s
    assert len(command) / RATE < HOLD - SPEAK_AFTER - 0.4, "the command must fit in the hold"

    pressed = time.monotonic()
    person.desktop.xdo.key_down("space")
    try:
        time.sleep(SPEAK_AFTER)
        person.say(command, wait=False)
        time.sleep(max(0.0, pressed + HOLD - time.monotonic()))
    finally:
        person.desktop.xdo.key_up("space")
    person.say(silence(0.5))
    app.wait_turns(1, REPLY_WITHIN)
    time.sleep(QUIET_AFTER)
    turns = person.home.turns()
    assert len(turns) == 1, f"holding Space once made {len(turns)} turns: {describe(turns)}"
    meaning = (turns[0].get("domain"), turns[0].get("intent"))
    assert meaning == ("home", "temperature_up"), describe(turns)
    shown = app.states.since(pressed)
    captures = [s for s in shown if LISTENING in s]
    assert len(captures) == 1, f"one capture expected while Space was held; the window: {shown}"


def test_lingyin_ptt_starts_and_stops_listening(person: Person) -> None:
    person.home.write_settings(wake_phrases=[WAKE])
    app = person.start_app()
    app.states.wait(IDLE, 10)
    started = time.monotonic()
    app.ptt()
    app.states.wait(LISTENING, 5, since=started)
    person.say(silence(0.3))
    person.say(person.voices.command(SET_29))
    person.say(silence(0.3))
    app.ptt()
    app.wait_turns(1, REPLY_WITHIN)
    time.sleep(QUIET_AFTER)
    turns = person.home.turns()
    assert len(turns) == 1, describe(turns)
    assert_set_29(turns[0])
    app.states.wait(IDLE, 15, since=time.monotonic())
