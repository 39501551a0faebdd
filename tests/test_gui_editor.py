"""The grammar editor, offscreen (pytest-qt), on a copy of the default grammar: a broken line is
named and marked as `lingyin check-grammar` reports it and clears when fixed; "试一句" parses
against the edited, unsaved grammar; Save writes the file, runs the tests and the app's reload,
which keeps the old grammar when the new one is broken; "说一句" understands a dev recording
(through a FileSource in place of the microphone) against the unsaved grammar, and says so
when there is no microphone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from app.assistant.build import known_actions as builtin_actions
from app.gui.editor import GrammarEditor
from app.gui.editor_model import NOT_UNDERSTOOD, OLD_GRAMMAR_KEPT
from app.gui.say_it import SpeechModels
from app.listener.sources import DeviceError, FileSource
from asr.audio import AudioChunk
from asr.recognizer import Recognizer
from intents.speech import ToHanzi
from intents.store import GrammarStore, bundled_grammar_dir


def line_after(file: str, marker: str, offset: int) -> tuple[int, str]:
    """(line number, text) of the line ``offset`` lines below ``marker`` in a bundled file (the
    default grammar grows: the tests find their lines rather than hard-coding them)."""
    lines = (bundled_grammar_dir() / file).read_text(encoding="utf-8").splitlines()
    number = lines.index(marker) + 1 + offset
    return number, lines[number - 1]


LINE, GOOD = line_after("volume.yaml", "    intent: set", 2)  # volume.set's first sentence
assert GOOD.startswith('      - "<请><把>(') and ")" in GOOD, GOOD
BROKEN = GOOD.replace(")", "", 1)  # its first group left open
COL = GOOD.index("(") + 1
NEW = '      - "喇叭定格在{volume}"'  # a sentence the default grammar does not have
TIMEOUT = 60_000  # a bound, not a pause: Save runs the default grammar's check (~15 s)
INTENT_LINE, _ = line_after("home.yaml", "    intent: set_temperature", 0)


@pytest.fixture
def grammar(tmp_path: Path) -> Path:
    folder = tmp_path / "grammar"
    shutil.copytree(bundled_grammar_dir(), folder)
    assert (folder / "volume.yaml").read_text(encoding="utf-8").splitlines()[LINE - 1] == GOOD
    return folder


def make_editor(qtbot: QtBot, folder: Path, **kwargs: object) -> GrammarEditor:
    editor = GrammarEditor(folder, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(editor)
    editor.show()
    wait_checked(qtbot, editor)
    return editor


def wait_checked(qtbot: QtBot, editor: GrammarEditor) -> None:
    """Wait until the text in the box has been validated."""
    qtbot.waitUntil(lambda: not editor._debounce.isActive() and editor.validation is not None
                    and not editor.status.text().startswith("正在检查"), timeout=TIMEOUT)


def replace_line(editor: GrammarEditor, line: int, text: str) -> None:
    """Replace a line as typing would (through the editor's cursor)."""
    block = editor.code.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText(text)


def insert_line_after(editor: GrammarEditor, line: int, text: str) -> None:
    block = editor.code.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    cursor.insertText("\n" + text)


def test_a_broken_line_is_named_and_marked_then_clears(qtbot: QtBot, grammar: Path) -> None:
    editor = make_editor(qtbot, grammar)
    assert editor.validation is not None and editor.validation.ok
    assert editor.problems == () and editor.code.marked_lines() == []
    on_disk = (grammar / "volume.yaml").read_text(encoding="utf-8")

    editor.open_file("volume.yaml")
    replace_line(editor, LINE, BROKEN)
    qtbot.waitUntil(lambda: bool(editor.problems), timeout=TIMEOUT)
    expected = (f"{grammar}/volume.yaml:{LINE}:{COL}: unbalanced '(': no matching ')' "
                "(intent volume.set)")  # what `lingyin check-grammar` prints for this folder
    assert [str(p) for p in editor.problems] == [expected]
    assert editor.problem_list.lines() == [expected]
    assert editor.code.marked_lines() == [LINE]
    assert "1 个问题" in editor.status.text()
    item = editor.file_list.item(editor.file_list.currentRow())
    assert item.text() == "volume.yaml *" and item.foreground().color().name() == "#c0392b"
    assert (grammar / "volume.yaml").read_text(encoding="utf-8") == on_disk  # not saved

    editor.open_file("call.yaml")  # the mark belongs to its file
    assert editor.code.marked_lines() == []
    editor.problem_list.itemClicked.emit(editor.problem_list.item(0))  # jump to the problem
    assert editor.current_file == "volume.yaml"
    assert editor.code.textCursor().blockNumber() == LINE - 1
    assert editor.code.marked_lines() == [LINE]

    replace_line(editor, LINE, GOOD)
    qtbot.waitUntil(lambda: not editor.problems and editor.status.text().startswith("语法正确"),
                    timeout=TIMEOUT)
    assert editor.code.marked_lines() == []
    assert editor.problem_list.count() == 0
    assert editor.edited() == {}
    editor.shutdown()


def test_try_a_sentence_against_the_unsaved_grammar(qtbot: QtBot, grammar: Path) -> None:
    editor = make_editor(qtbot, grammar)
    editor.try_box.setText("把音量调到三十")
    qtbot.waitUntil(lambda: editor.try_result.text().startswith("volume.set"), timeout=TIMEOUT)
    assert editor.try_result.text() == "volume.set  volume=30  置信度 1.00"

    editor.try_box.setText("喇叭定格在五十")
    qtbot.waitUntil(lambda: editor.try_result.text() == NOT_UNDERSTOOD, timeout=TIMEOUT)

    editor.open_file("volume.yaml")
    insert_line_after(editor, LINE, NEW)  # a new sentence for volume.set, not saved
    qtbot.waitUntil(lambda: editor.try_result.text().startswith("volume.set"), timeout=TIMEOUT)
    assert editor.try_result.text().startswith("volume.set  volume=50  置信度")
    assert NEW not in (grammar / "volume.yaml").read_text(encoding="utf-8")

    replace_line(editor, LINE, BROKEN)  # a broken grammar cannot be tried
    qtbot.waitUntil(lambda: "语法有错误" in editor.try_result.text(), timeout=TIMEOUT)
    editor.shutdown()


def test_save_a_broken_grammar_keeps_the_old_one(qtbot: QtBot, grammar: Path) -> None:
    store = GrammarStore(grammar)
    assert store.reload() == []
    old = store.grammar
    calls: list[int] = []

    def on_saved() -> list[str]:
        calls.append(1)
        return [str(p) for p in store.reload()]

    editor = make_editor(qtbot, grammar, on_saved=on_saved)
    editor.open_file("volume.yaml")
    replace_line(editor, LINE, BROKEN)
    qtbot.waitUntil(lambda: bool(editor.problems), timeout=TIMEOUT)
    editor.save_button.click()
    qtbot.waitUntil(lambda: OLD_GRAMMAR_KEPT in editor.save_status.text(), timeout=TIMEOUT)

    lines = (grammar / "volume.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[LINE - 1] == BROKEN  # the file was written
    assert calls == [1]
    assert store.grammar is old  # the reload kept the old grammar
    shown = editor.test_list.lines()
    assert shown == [f"{grammar}/volume.yaml:{LINE}:{COL}: unbalanced '(': no matching ')' "
                     "(intent volume.set)"]
    assert editor.save_button.isEnabled()
    editor.shutdown()


def test_save_a_good_grammar_reloads_and_runs_its_tests(qtbot: QtBot, grammar: Path) -> None:
    store = GrammarStore(grammar)
    assert store.reload() == []
    old = store.grammar
    editor = make_editor(qtbot, grammar,
                         on_saved=lambda: [str(p) for p in store.reload()])
    editor.open_file("volume.yaml")
    insert_line_after(editor, LINE, NEW)
    wait_checked(qtbot, editor)
    editor.save_button.click()
    qtbot.waitUntil(lambda: "全部通过" in editor.save_status.text(), timeout=TIMEOUT)
    assert OLD_GRAMMAR_KEPT not in editor.save_status.text()
    assert store.grammar is not old
    match = store.match("喇叭定格在五十")
    assert match is not None and match.key == "volume.set" and match.slots == {"volume": 50}
    assert editor.edited() == {}
    editor.shutdown()


ACTION_LINE = (bundled_grammar_dir() / "volume.yaml").read_text(encoding="utf-8").splitlines(
    ).index("    action: volume.set", LINE) + 1  # volume.set's action line
VOLUME_INTENT_LINE = LINE - 3  # its "- domain: volume" line, where action problems point


def test_unknown_actions_and_slots_an_action_cannot_use_are_problems(
        qtbot: QtBot, grammar: Path) -> None:
    """Issue 15: `action: no.such_action` passed the editor's check and Save, then stopped the
    next start; so did an intent whose slots its action does not read."""
    store = GrammarStore(grammar, known_actions=builtin_actions())
    assert store.reload() == []
    old = store.grammar
    editor = make_editor(qtbot, grammar, on_saved=lambda: [str(p) for p in store.reload()])
    editor.open_file("volume.yaml")
    replace_line(editor, ACTION_LINE, "    action: no.such_action")
    qtbot.waitUntil(lambda: bool(editor.problems), timeout=TIMEOUT)
    assert [str(p) for p in editor.problems] == [
        f"{grammar}/volume.yaml:{VOLUME_INTENT_LINE}:5: unknown action 'no.such_action' (the "
        "built-in actions are listed in docs/grammar.md; a custom action is written "
        "{run: [...]}, {open: ...} or {http: ...}) (intent volume.set)"]
    assert editor.code.marked_lines() == [VOLUME_INTENT_LINE]

    replace_line(editor, ACTION_LINE, "    action: app.open")  # it reads {app}, not {volume}
    needs = f"{grammar}/volume.yaml:{VOLUME_INTENT_LINE}:5: app.open needs one of the slots " \
        "app; this intent has room, volume (intent volume.set)"  # (room: from the <尾> rule)
    qtbot.waitUntil(lambda: [str(p) for p in editor.problems] == [needs], timeout=TIMEOUT)
    editor.save_button.click()
    qtbot.waitUntil(lambda: OLD_GRAMMAR_KEPT in editor.save_status.text(), timeout=TIMEOUT)
    assert store.grammar is old
    assert editor.test_list.lines() == [needs]
    editor.shutdown()


def test_opened_on_a_broken_grammar_the_cursor_is_on_the_broken_line(
        qtbot: QtBot, grammar: Path) -> None:
    path = grammar / "volume.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(GOOD, BROKEN), encoding="utf-8")
    editor = make_editor(qtbot, grammar)
    assert editor.current_file == "volume.yaml"
    cursor = editor.code.textCursor()
    assert (cursor.blockNumber() + 1, cursor.positionInBlock() + 1) == (LINE, COL)
    assert editor.code.marked_lines() == [LINE]
    editor.shutdown()


class NoMicrophone:
    """An audio source whose device cannot be opened, as when no microphone is plugged in."""

    name = "no microphone"
    finished = False

    def open(self) -> None:
        raise DeviceError("no input device found (plug in a microphone)")

    def read(self, timeout: float) -> AudioChunk | None:
        raise DeviceError("not open")

    def close(self) -> None:
        pass

    def take_overflows(self) -> int:
        return 0


def test_say_it_understands_a_recording_against_the_unsaved_grammar(  # type: ignore[no-untyped-def]
        qtbot: QtBot, grammar: Path, clip, recognizer: Recognizer, to_hanzi: ToHanzi) -> None:
    loads: list[int] = []

    def loader() -> tuple[Recognizer, ToHanzi]:
        loads.append(1)
        return recognizer, to_hanzi

    recording = clip("W0001")  # 设定二十九度, the dev speaker
    editor = make_editor(qtbot, grammar, speech_models=SpeechModels(loader),
                         audio_source=lambda: FileSource(recording, fast=True))
    editor.open_file("home.yaml")
    lines = editor.text_of("home.yaml").splitlines()
    assert lines[INTENT_LINE - 1] == "    intent: set_temperature"
    replace_line(editor, INTENT_LINE, "    intent: set_warmth")  # renamed, not saved
    wait_checked(qtbot, editor)
    editor.say_button.click()
    assert not editor.say_button.isEnabled(), editor.say_result.text()
    qtbot.waitUntil(lambda: editor.say_button.isEnabled(), timeout=120_000)
    assert editor.say_result.text().startswith("听到“"), editor.say_result.text()
    assert "→ home.set_warmth  temperature=29  置信度" in editor.say_result.text()
    assert "set_warmth" not in (grammar / "home.yaml").read_text(encoding="utf-8")

    editor.say_button.click()  # again: the model is loaded once and reused
    qtbot.waitUntil(lambda: editor.say_button.isEnabled(), timeout=120_000)
    assert "home.set_warmth" in editor.say_result.text()
    assert loads == [1]
    editor.shutdown()


def test_say_it_without_a_microphone_says_so(qtbot: QtBot, grammar: Path,
                                             recognizer: Recognizer, to_hanzi: ToHanzi) -> None:
    editor = make_editor(qtbot, grammar, audio_source=NoMicrophone,
                         speech_models=SpeechModels(lambda: (recognizer, to_hanzi)))
    editor.say_button.click()
    qtbot.waitUntil(lambda: editor.say_button.isEnabled(), timeout=120_000)
    text = editor.say_result.text()
    assert text.startswith("无法使用麦克风：no input device found"), text
    assert "请接上麦克风" in text
    editor.shutdown()
