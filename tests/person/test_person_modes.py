"""Switching to the wake-word mode as a person does (issue 15, item 3): from the window's mode box
(clicked open, the item clicked) and from the tray's menu (trayer as the tray); the listener
must follow (a spoken wake phrase and command is answered), the choice saved, and a restart
must come back in that mode."""

from __future__ import annotations

import time

import pytest
from lingyin_app import IDLE, WAKE_LISTEN, LingyinApp, describe
from people import REPLY_WITHIN, Person, assert_set_29
from voices import SET_29, WAKE, silence

pytestmark = pytest.mark.person
SAVED_WITHIN = 10.0


def assert_in_wake_mode(person: Person, app: LingyinApp, since: float) -> None:
    """The window, the listener and the settings file all say 唤醒词."""
    app.states.wait(WAKE_LISTEN, 10, since=since)
    box = app.mode_combo()
    assert box.name == "唤醒词", f"the mode box shows {box.name!r}"
    deadline = time.monotonic() + SAVED_WITHIN
    while person.home.settings().get("mode") != "wake" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert person.home.settings().get("mode") == "wake", (
        f"the choice was not saved: settings.json has {person.home.settings()}")


def assert_answers_wake_word(person: Person, app: LingyinApp, turns_before: int) -> None:
    person.say(silence(0.5))
    person.say(person.voices.wake_then(SET_29, 0.0))
    turns = app.wait_turns(turns_before + 1, REPLY_WITHIN)
    assert len(turns) == turns_before + 1, describe(turns)
    assert_set_29(turns[-1])


def test_mode_box_switches_to_wake_word_and_it_persists(person: Person) -> None:
    person.home.write_settings(wake_phrases=[WAKE])
    app = person.start_app()
    app.states.wait(IDLE, 10)
    clicked = time.monotonic()
    app.choose_in_combo(app.mode_combo(), "唤醒词")
    assert_in_wake_mode(person, app, clicked)
    assert_answers_wake_word(person, app, 0)

    app.terminate()  # the session ends (SIGTERM): what was chosen must already be saved
    again = person.start_app()
    assert_in_wake_mode(person, again, again.started_at)
    assert_answers_wake_word(person, again, 1)


def test_tray_menu_switches_to_wake_word_and_it_persists(person: Person) -> None:
    person.desktop.start_tray()
    person.home.write_settings(wake_phrases=[WAKE])
    app = person.start_app()
    app.states.wait(IDLE, 10)
    chosen = time.monotonic()
    # 显示/隐藏窗口, 模式 ▸ (按键说话, 唤醒词), 麦克风静音, —, 退出灵音
    app.tray_menu("Down", "Down", "Right", "Down", "Return")
    assert_in_wake_mode(person, app, chosen)
    assert_answers_wake_word(person, app, 0)

    app.tray_menu("Down", "Down", "Down", "Down", "Return")  # 退出灵音
    assert app.wait_exit(20) == 0, app.log_tail()
    again = person.start_app()
    assert_in_wake_mode(person, again, again.started_at)
