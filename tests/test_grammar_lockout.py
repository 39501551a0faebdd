"""Issue 15 (7): a grammar edit never locks the person out of Lingyin.

The store of the user's grammar keeps a copy of the last version that loaded and passed every
check (actions included) and starts on it — or on the default grammar — when the user's grammar
cannot be used, naming the problems; the window then shows a banner whose button opens the editor
on the broken line. Unknown action names and slots an action cannot use are refused by every
check. The window test drives the real start-up code offscreen in fresh config, data and cache
folders: start, break the grammar in the editor and save, start again."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from listen_helpers import silence
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from app.actions.registry import BUILT_IN_ACTIONS, build_actions
from app.assistant.build import declare_actions, known_actions
from app.config import AppSettings
from app.gui.bridge import Bridge
from app.gui.editor import GrammarEditor
from app.gui.editor_model import OLD_GRAMMAR_KEPT
from app.gui.history import HistoryStore
from app.gui.startup import start_core
from app.gui.window import MainWindow
from app.listener.sources import FileSource
from asr import settings
from intents.errors import Problem
from intents.last_good import LastGood
from intents.store import (
    Fallback,
    GrammarStatus,
    GrammarStore,
    bundled_grammar_dir,
    ensure_user_grammar,
)

TIMEOUT = 60_000


def lines_of(file: str) -> list[str]:
    return (bundled_grammar_dir() / file).read_text(encoding="utf-8").splitlines()


VOLUME = lines_of("volume.yaml")
INTENT_LINE = VOLUME.index("    intent: set")  # the line of "  - domain: volume" (from 1)
ACTION_LINE = VOLUME.index("    action: volume.set", INTENT_LINE) + 1
SENTENCE_LINE = INTENT_LINE + 3  # volume.set's first sentence
GOOD_SENTENCE = VOLUME[SENTENCE_LINE - 1]
assert VOLUME[INTENT_LINE - 1] == "  - domain: volume" and "(" in GOOD_SENTENCE
# (what is typed over which line, the line of the problem, what the problem says)
BREAKS = {
    "unknown_action": (ACTION_LINE, "    action: volume.sett", INTENT_LINE,
                       "unknown action 'volume.sett' (did you mean volume.set?)"),
    "unbalanced": (SENTENCE_LINE, GOOD_SENTENCE.replace(")", "", 1), SENTENCE_LINE,
                   "unbalanced '('"),
}


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"LINGYIN_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setenv("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")
    return tmp_path


def break_file(path: Path, line: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---- what the checks know of the actions --------------------------------------------------------
def test_the_built_in_action_names_are_the_handler_tables(dirs: Path) -> None:
    actions = build_actions(AppSettings(), lambda: None, lists_dir=dirs / "lists")
    try:
        names = {n for n in actions.handlers if not n.startswith("custom.")}
    finally:
        actions.close()
    assert names == set(BUILT_IN_ACTIONS)


def test_the_built_in_actions_are_documented() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "grammar.md").read_text(encoding="utf-8")
    assert [name for name in BUILT_IN_ACTIONS if f"`{name}`" not in docs] == []


def test_each_action_needs_the_slots_the_assistant_asks_for() -> None:
    known = known_actions()
    assert known["app.open"].any_of == ("app",)
    assert known["call.dial"].any_of == ("contact", "number", "name")
    assert known["time.now"].any_of == ()


# ---- the store: a last good copy, used when the grammar cannot be ------------------------------
def test_a_start_on_a_broken_grammar_uses_the_last_good_copy(tmp_path: Path) -> None:
    folder = tmp_path / "grammar"
    shutil.copytree(bundled_grammar_dir(), folder)
    last_good = LastGood(tmp_path / "last-good")
    known = known_actions()
    assert GrammarStore(folder, known_actions=known, last_good=last_good).reload() == []
    assert last_good.grammar_dir is not None and (last_good.grammar_dir / "volume.yaml").is_file()

    line, text, at, _ = BREAKS["unbalanced"]
    break_file(folder / "volume.yaml", line, text)
    store = GrammarStore(folder, known_actions=known, last_good=last_good)  # the next start
    problems = store.reload()
    assert [(p.loc.file, p.loc.line) for p in problems] == [(str(folder / "volume.yaml"), at)]
    assert store.grammar is not None and store.status == GrammarStatus(tuple(problems),
                                                                        Fallback.LAST_GOOD)
    match = store.match("把音量调到三十")
    assert match is not None and match.key == "volume.set"
    copied = (last_good.grammar_dir / "volume.yaml").read_text(encoding="utf-8")
    assert text not in copied  # the broken version was never kept

    seen: list[GrammarStatus] = []
    store.subscribe(seen.append)
    break_file(folder / "volume.yaml", line, GOOD_SENTENCE)
    assert store.refresh() == [] and seen == [GrammarStatus()]
    assert store.grammar is not None and str(folder) in str(store.grammar.files[0])


def test_without_a_copy_the_default_grammar_is_used(dirs: Path) -> None:
    """An unknown action stops nothing either: the store of the user's grammar checks the
    actions the app declared."""
    folder = ensure_user_grammar()
    line, text, at, message = BREAKS["unknown_action"]
    break_file(folder / "volume.yaml", line, text)
    declare_actions()
    store = GrammarStore(folder)
    problems = store.reload()
    assert [str(p) for p in problems] == [
        f"{folder / 'volume.yaml'}:{at}:5: {message} (intent volume.set)"]
    assert store.status.fallback is Fallback.BUNDLED and store.grammar is not None
    assert store.grammar.files[0].is_relative_to(bundled_grammar_dir())


def test_a_grammar_named_explicitly_has_no_fallback(tmp_path: Path) -> None:
    folder = tmp_path / "grammar"
    shutil.copytree(bundled_grammar_dir(), folder)
    line, text, _, _ = BREAKS["unbalanced"]
    break_file(folder / "volume.yaml", line, text)
    store = GrammarStore(folder)
    assert store.reload() and store.grammar is None and store.last_good is None


def test_a_copy_left_half_swapped_is_still_found(tmp_path: Path) -> None:
    last_good = LastGood(tmp_path / "last-good")
    assert last_good.save(bundled_grammar_dir(), bundled_grammar_dir() / "lists")
    assert not last_good.save(bundled_grammar_dir(), bundled_grammar_dir() / "lists")  # same
    (tmp_path / "last-good" / "current").rename(tmp_path / "last-good" / "old")
    assert last_good.grammar_dir == tmp_path / "last-good" / "old" / "grammar"


# ---- the window: save a broken grammar, start again --------------------------------------------
def start_app(qtbot: QtBot, dirs: Path, recognizer: Any, to_hanzi: Any,
              model: Path) -> tuple[MainWindow, Bridge]:
    bridge = Bridge()
    window = MainWindow(bridge, HistoryStore(dirs / "history.json"))
    qtbot.addWidget(window)
    window.show()
    start_core(window, bridge, AppSettings(speak=False, model_folder=str(model)),
               recognizer=recognizer, to_hanzi=to_hanzi,
               source=FileSource("silence", 512, samples=silence(30.0)))
    qtbot.waitUntil(lambda: window.ptt.isEnabled()
                    or window.state_light.state == "failed", timeout=TIMEOUT)
    assert bridge.is_ready, window.errors.text
    return window, bridge


def open_editor(qtbot: QtBot, window: MainWindow) -> GrammarEditor:
    editor = window._editor
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.validation is not None and not editor._debounce.isActive()
                    and not editor.status.text().startswith("正在检查"), timeout=TIMEOUT)
    return editor


def replace_line(editor: GrammarEditor, line: int, text: str) -> None:
    block = editor.code.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText(text)


def save(qtbot: QtBot, editor: GrammarEditor) -> str:
    editor.save()
    qtbot.waitUntil(lambda: editor.save_button.isEnabled(), timeout=TIMEOUT)
    return editor.save_status.text()


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_a_broken_save_then_a_restart_runs_on_the_last_good_grammar(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, shared: Path, recognizer, to_hanzi, kind: str) -> None:
    model = shared / "models" / settings.DEFAULT_MODEL
    line, text, at, message = BREAKS[kind]
    window, bridge = start_app(qtbot, dirs, recognizer, to_hanzi, model)
    qtbot.mouseClick(window.edit_button, Qt.MouseButton.LeftButton)
    editor = open_editor(qtbot, window)
    editor.open_file("volume.yaml")
    replace_line(editor, line, text)
    qtbot.waitUntil(lambda: bool(editor.problems), timeout=TIMEOUT)
    assert [(p.loc.line, message in p.message) for p in editor.problems] == [(at, True)]
    assert OLD_GRAMMAR_KEPT in save(qtbot, editor)  # saved, and the app kept the old grammar
    editor.shutdown()
    window.close()

    window, bridge = start_app(qtbot, dirs, recognizer, to_hanzi, model)  # the next start
    from app.gui.start_notes import GrammarBanner

    banner = window.findChild(GrammarBanner)
    assert banner is not None and banner.isVisible()
    assert f"volume.yaml 第 {at} 行有错" in banner.label.text()
    assert "上次能用的语法" in banner.label.text() and message in banner.label.text()
    assert window.edit_button.isEnabled() and not window.errors.isVisible()
    store = bridge.grammar_store()
    assert isinstance(store, GrammarStore) and store.status.fallback is Fallback.LAST_GOOD
    match = store.match("把音量调到三十")
    assert match is not None and match.key == "volume.set"

    qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)  # the editor, at the line
    editor = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.current_file == "volume.yaml"
                    and editor.code.textCursor().blockNumber() == at - 1, timeout=TIMEOUT)
    assert editor.code.marked_lines() == [at]
    first = editor.problems[0]
    assert isinstance(first, Problem) and first == store.status.problems[0]

    replace_line(editor, line, VOLUME[line - 1])  # fixed and saved: the banner goes
    qtbot.waitUntil(lambda: not editor.problems and editor.validation is not None
                    and editor.validation.ok, timeout=TIMEOUT)
    assert "全部通过" in save(qtbot, editor) or "已保存并重新加载" in editor.save_status.text()
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=TIMEOUT)
    assert store.status == GrammarStatus()
    editor.shutdown()
    window.close()
