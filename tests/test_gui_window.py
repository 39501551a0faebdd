"""The main window over the core, offscreen (pytest-qt): a typed command goes through the real
listener and assistant (a file of silence instead of a microphone) into the history; the controls
drive the listener; the history survives a restart; problems show in the window."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from listen_helpers import silence
from PySide6.QtCore import Qt

from app.assistant.assistant import TurnResult
from app.config import AppSettings
from app.gui.bridge import Bridge
from app.gui.history import HistoryStore
from app.gui.startup import live_factory
from app.gui.window import MainWindow
from app.listener.events import ListenerEvent
from app.listener.machine import Mode
from app.listener.sources import FileSource
from asr.errors import LingyinError


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")
    return tmp_path


class FakeListener:
    def __init__(self, obey_stop: bool = True) -> None:
        self.calls: list[tuple[str, object]] = []
        self.obey_stop = obey_stop
        self._stop = threading.Event()

    def run(self) -> None:
        self._stop.wait(30)

    def press(self) -> None:
        self.calls.append(("press", None))

    def release(self) -> None:
        self.calls.append(("release", None))

    def set_mode(self, mode: Mode) -> None:
        self.calls.append(("set_mode", mode))

    def mute(self, on: bool) -> None:
        self.calls.append(("mute", on))

    def stop(self) -> None:
        self.calls.append(("stop", None))
        if self.obey_stop:
            self._stop.set()


class FakeService:
    def __init__(self) -> None:
        self.on_turn: Callable[[Any], None] | None = None
        self.typed: list[str] = []

    def type_text(self, text: str) -> None:
        self.typed.append(text)


class FakeLive:
    def __init__(self, listener: FakeListener | None = None) -> None:
        self.listener = listener or FakeListener()
        self.service = FakeService()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def open_window(qtbot: Any, store: HistoryStore, live: Any = None) -> tuple[MainWindow, Bridge]:
    bridge = Bridge()
    window = MainWindow(bridge, store)
    qtbot.addWidget(window)
    window.show()
    if live is not None:
        bridge.attach(live)
        qtbot.waitUntil(lambda: window.ptt.isEnabled(), timeout=2000)
    return window, bridge


def in_thread(job: Callable[[], None]) -> None:
    worker = threading.Thread(target=job)
    worker.start()
    worker.join(5)


def test_typed_command_goes_through_the_real_assistant_into_the_history(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, recognizer, to_hanzi) -> None:
    store = HistoryStore(dirs / "data" / "history.json")
    window, bridge = open_window(qtbot, store)
    assert window.state_light.state == "loading" and not window.send.isEnabled()
    source = FileSource("silence", 512, fast=False, samples=silence(60))
    bridge.load(live_factory(AppSettings(speak=False), recognizer=recognizer,
                             to_hanzi=to_hanzi, source=source))
    qtbot.waitUntil(lambda: window.state_light.state == "idle", timeout=60000)
    qtbot.waitUntil(lambda: window.meter.value() == 0 and bridge.is_ready, timeout=5000)
    window.command.setText("现在几点")  # QTest.keyClicks aborts on non-Latin-1 text
    qtbot.keyClick(window.command, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.history_view.entries()) == 1, timeout=10000)
    entry = window.history_view.entries()[0]
    assert (entry.text, entry.domain, entry.intent) == ("现在几点", "time", "now")
    assert re.fullmatch(r"现在是\d{1,2}:\d\d", entry.reply)
    assert window.command.text() == ""
    saved = json.loads((dirs / "data" / "history.json").read_text(encoding="utf-8"))
    assert saved["entries"][0]["reply"] == entry.reply
    thread = bridge._thread
    started = time.monotonic()
    window.close()  # quitting stops the listener and joins its thread
    assert thread is not None and not thread.is_alive()
    assert time.monotonic() - started < 3.0


def test_controls_drive_the_listener(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    live = FakeLive()
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    window.mode_box.setCurrentIndex(1)
    window.mute_button.click()
    qtbot.mousePress(window.ptt, Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(window.ptt, Qt.MouseButton.LeftButton)
    assert live.listener.calls == [("set_mode", Mode.WAKE), ("mute", True), ("press", None),
                                   ("release", None)]
    live.listener.calls.clear()
    window.history_view.setFocus()
    qtbot.keyPress(window.history_view, Qt.Key.Key_Space)
    qtbot.keyRelease(window.history_view, Qt.Key.Key_Space)
    assert live.listener.calls == [("press", None), ("release", None)]
    live.listener.calls.clear()
    window.command.setText("打开")
    window.command.setFocus()
    qtbot.keyClick(window.command, Qt.Key.Key_Space)  # a space in the text box is text
    assert window.command.text() == "打开 "
    qtbot.keyClick(window.command, Qt.Key.Key_Return)
    assert live.listener.calls == [] and live.service.typed == ["打开"]
    assert window.command.text() == ""
    window.close()
    assert live.listener.calls[-1] == ("stop", None) and live.closed


def test_quitting_does_not_hang_on_a_stuck_listener(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    live = FakeLive(FakeListener(obey_stop=False))
    _, bridge = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    started = time.monotonic()
    bridge.shutdown(timeout=0.3)
    assert time.monotonic() - started < 1.0 and live.closed
    live.listener._stop.set()


def test_history_survives_a_restart_and_can_be_searched_and_cleared(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path) -> None:
    path = dirs / "data" / "history.json"
    live = FakeLive()
    window, _ = open_window(qtbot, HistoryStore(path), live)
    on_turn = live.service.on_turn
    assert on_turn is not None
    in_thread(lambda: on_turn(TurnResult("把音量调到三十", "volume", "set", {"volume": 30},
                                         reply="音量已调到30%")))
    in_thread(lambda: on_turn(TurnResult("今天股市怎么样", reply="抱歉，我没听懂")))
    qtbot.waitUntil(lambda: len(window.history_view.entries()) == 2, timeout=3000)
    window.close()

    again, _ = open_window(qtbot, HistoryStore(path))
    entries = again.history_view.entries()
    assert [e.text for e in entries] == ["把音量调到三十", "今天股市怎么样"]
    assert entries[0].meaning == "volume.set volume=30" and entries[0].reply == "音量已调到30%"
    again.search.setText("音量")
    assert [e.text for e in again.history_view.entries(visible_only=True)] == ["把音量调到三十"]
    again.clear_button.click()
    assert again.history_view.entries() == []
    assert HistoryStore(path).entries == []


def test_a_listener_error_shows_in_the_window_with_what_to_do(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    live = FakeLive()
    window, bridge = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    event = ListenerEvent("error", 1.0, {"message": "microphone 'USB Mic' stopped sending audio"})
    in_thread(lambda: bridge.on_event(event))
    in_thread(lambda: bridge.on_event(ListenerEvent("state", 1.0, {"state": "device_lost"})))
    qtbot.waitUntil(lambda: window.errors.isVisible(), timeout=3000)
    assert "USB Mic" in window.errors.text and "麦克风" in window.errors.text
    qtbot.waitUntil(lambda: window.state_light.state == "device_lost", timeout=3000)
    assert "麦克风不可用" in window.state_light.text()


def test_a_core_that_cannot_start_is_explained(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    window, bridge = open_window(qtbot, HistoryStore(dirs / "h.json"))

    def broken(_: Any) -> Any:
        raise LingyinError(f"no model found in {dirs / 'data' / 'models'}")

    bridge.load(broken)
    qtbot.waitUntil(lambda: window.state_light.state == "failed", timeout=3000)
    assert window.errors.isVisible() and "lingyin models install" in window.errors.text
    assert not window.ptt.isEnabled()


def test_a_missing_model_fails_in_the_loader_not_the_window(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    window, bridge = open_window(qtbot, HistoryStore(dirs / "h.json"))
    bridge.load(live_factory(AppSettings(speak=False), source=FileSource(
        "silence", 512, samples=silence(1))))  # LINGYIN_DATA_DIR is empty: no model there
    qtbot.waitUntil(lambda: window.state_light.state == "failed", timeout=20000)
    assert "models install" in window.errors.text


def test_a_broken_grammar_is_shown_with_what_to_do(qtbot, dirs: Path, recognizer, to_hanzi) -> None:  # type: ignore[no-untyped-def]
    from intents.store import user_grammar_dir

    folder = user_grammar_dir()
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("language: zh-CN\nintents:\n  - domain: x\n",
                                        encoding="utf-8")
    window, bridge = open_window(qtbot, HistoryStore(dirs / "h.json"))
    bridge.load(live_factory(AppSettings(speak=False), recognizer=recognizer, to_hanzi=to_hanzi,
                             source=FileSource("silence", 512, samples=silence(1))))
    qtbot.waitUntil(lambda: window.state_light.state == "failed", timeout=20000)
    assert "broken.yaml" in window.errors.text and "check-grammar" in window.errors.text


def test_the_edit_button_opens_the_grammar_in_force_and_saving_reloads_it(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, tmp_path: Path) -> None:
    import shutil

    from intents.store import GrammarStore, bundled_grammar_dir

    folder = tmp_path / "grammar"
    shutil.copytree(bundled_grammar_dir(), folder)
    store = GrammarStore(folder)
    assert store.reload() == []
    reloads: list[int] = []

    class Understanders:
        def __init__(self) -> None:
            self.store = store

        def refresh(self) -> list[object]:
            reloads.append(1)
            return list(store.reload())

    live = FakeLive()
    live.listened = type("Listened", (), {"live": Understanders()})()  # type: ignore[attr-defined]
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    assert window.edit_button.isEnabled()
    qtbot.mouseClick(window.edit_button, Qt.MouseButton.LeftButton)
    editor = window._editor
    qtbot.addWidget(editor)
    assert editor.isVisible() and editor.folder == folder
    editor.save()
    qtbot.waitUntil(lambda: reloads == [1], timeout=30000)
    editor.shutdown()
