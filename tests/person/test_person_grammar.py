"""The editable grammar as a person uses it (issue 15, item 7): a command of their own added to
the grammar; a broken edit saved, Lingyin started again — it must start on the last good
grammar (their command still works) with a banner that opens the editor at the broken line; an
unknown action name must be an error with file:line in the editor and in `check-grammar`."""

from __future__ import annotations

import re
import time

import pytest
from atspi import Node, line_of
from lingyin_app import EDITOR_TITLE, IDLE, NOT_UNDERSTOOD, LingyinApp, describe
from people import QUIET_AFTER, REPLY_WITHIN, Person
from voices import WAKE, silence

pytestmark = pytest.mark.person

MINE = "mine.yaml"
ICECREAM = "W0006"  # 哈根达斯, said by the dev speaker
GOOD = """# 我自己加的命令
intents:
  - domain: shop
    intent: icecream
    sentences:
      - "[来一份]哈根达斯"
    replies: ["好的，哈根达斯"]
    action: assistant.greet
    tests: [哈根达斯]
"""
BROKEN_LINE = 7  # a sentence with a slot the grammar has not got
BROKEN = GOOD.replace('哈根达斯"\n', '哈根达斯"\n      - "来一份{口味}冰淇淋"\n', 1)
INTENT_LINE, ACTION_LINE = 3, 8
REPORTED_AT = (INTENT_LINE, ACTION_LINE)  # at the intent (docs/grammar.md) or the action line
UNKNOWN_ACTION = "    action: no.such_action"


def user_grammar_with_mine(person: Person, text: str) -> None:
    """The user's grammar folder as Lingyin creates it, plus their own file."""
    first = person.home.lingyin("check-grammar")
    assert first.returncode == 0, f"the default grammar does not check: {first.stderr}"
    (person.home.grammar_dir / MINE).write_text(text, encoding="utf-8")


def say_with_ptt(person: Person, app: LingyinApp, utt: str) -> None:
    app.ptt()
    person.say(silence(0.3))
    person.say(person.voices.command(utt))
    person.say(silence(0.3))
    app.ptt()


def assert_icecream(turn: dict[str, object]) -> None:
    assert (turn.get("domain"), turn.get("intent")) == ("shop", "icecream"), describe([turn])
    assert NOT_UNDERSTOOD not in str(turn.get("reply")), describe([turn])


def code_editor(person: Person, app: LingyinApp) -> Node:
    """The editor's text (the largest text box of the editor window)."""
    def biggest_text() -> Node | None:
        frame = person.a11y.frame(EDITOR_TITLE)
        if frame is None:
            return None
        boxes = person.a11y.find_all(frame, lambda n: n.role == "text" and n.on_screen)
        return max(boxes, key=lambda n: n.extents[2] * n.extents[3], default=None)

    return person.a11y.wait_for("the grammar editor's text", biggest_text, 20)


def test_broken_grammar_then_restart_starts_on_last_good_and_opens_editor_at_error(
        person: Person) -> None:
    person.home.write_settings(wake_phrases=[WAKE])
    user_grammar_with_mine(person, GOOD)
    app = person.start_app()
    app.states.wait(IDLE, 10)
    say_with_ptt(person, app, ICECREAM)
    assert_icecream(app.wait_turns(1, REPLY_WITHIN)[0])
    app.terminate()

    (person.home.grammar_dir / MINE).write_text(BROKEN, encoding="utf-8")  # their text editor
    check = person.home.lingyin("check-grammar")
    assert check.returncode != 0 and f"{MINE}:{BROKEN_LINE}:" in check.stderr, check.stderr

    again = person.start_app()  # must start: the window listens, with a banner
    again.states.wait(IDLE, 10)
    banner = again.banner_text()
    assert MINE in banner, f"no banner naming {MINE}: {banner!r}"
    top = again.find(lambda n: n.role == "push button" and n.name == "编辑语法",
                     "the 编辑语法 button")

    def banner_button(node: Node) -> bool:
        below_top_row = node.extents[1] > top.extents[1] + top.extents[3]
        return (node.role == "push button" and node.on_screen and below_top_row
                and ("编辑" in node.name or "改正" in node.name))

    again.click(again.find(banner_button, "a banner button that opens the editor"))
    editor = code_editor(person, again)
    text = person.a11y.text(editor)
    assert "{口味}" in text, f"the editor does not show {MINE}: {text[:200]!r}"
    line = line_of(text, person.a11y.caret(editor))
    assert line == BROKEN_LINE, f"the editor opened at line {line}, the error is at {BROKEN_LINE}"

    say_with_ptt(person, again, ICECREAM)  # the last good grammar is in force
    turns = again.wait_turns(2, REPLY_WITHIN)
    time.sleep(QUIET_AFTER)
    turns = person.home.turns()
    assert len(turns) == 2, describe(turns)
    assert_icecream(turns[1])


def test_unknown_action_is_an_error_in_the_editor_and_check_grammar(person: Person) -> None:
    person.home.write_settings(wake_phrases=[WAKE])
    user_grammar_with_mine(person, GOOD)
    app = person.start_app()
    app.states.wait(IDLE, 10)
    app.click(app.find(lambda n: n.role == "push button" and n.name == "编辑语法",
                       "the 编辑语法 button"))
    editor = code_editor(person, app)
    files = person.a11y.frame(EDITOR_TITLE)
    assert files is not None
    item = person.a11y.wait_for(
        f"{MINE} in the editor's file list",
        lambda: person.a11y.find(files, lambda n: n.role == "list item" and n.name == MINE
                                 and n.on_screen), 10)
    app.click(item)
    person.a11y.wait_for(f"{MINE} in the editor", lambda: editor if "哈根达斯" in
                         person.a11y.text(editor) else None, 10)
    app.click(editor)
    xdo = person.desktop.xdo
    xdo.key("ctrl+Home")
    for _ in range(ACTION_LINE - 1):
        xdo.key("Down")
    xdo.key("Home")
    xdo.key("shift+End")
    xdo.type(UNKNOWN_ACTION)
    edited = person.a11y.text(editor)
    assert edited.splitlines()[ACTION_LINE - 1] == UNKNOWN_ACTION, edited

    def reported(text: str) -> bool:
        where = re.search(rf"{re.escape(MINE)}:(\d+):", text)
        return where is not None and int(where[1]) in REPORTED_AT and "no.such_action" in text

    def problem_shown() -> Node | None:
        frame = person.a11y.frame(EDITOR_TITLE)
        return None if frame is None else person.a11y.find(
            frame, lambda n: n.role == "list item" and reported(n.name))

    person.a11y.wait_for(f"the editor's problem naming no.such_action at {MINE}:"
                         f"{INTENT_LINE} or {ACTION_LINE}", problem_shown, 10)

    (person.home.grammar_dir / MINE).write_text(edited + "\n", encoding="utf-8")
    check = person.home.lingyin("check-grammar")
    assert check.returncode != 0, f"check-grammar passed an unknown action: {check.stdout}"
    assert reported(check.stderr), check.stderr
