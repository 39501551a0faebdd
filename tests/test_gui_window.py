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
    def __init__(self, obey_stop: bool = True, wake_phrases: bool = True) -> None:
        self.calls: list[tuple[str, object]] = []
        self.obey_stop = obey_stop
        self.watcher = object() if wake_phrases else None  # a spotter: wake mode can work
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
    qtbot.keyRelease(window.history_view, Qt.Key.Key_Space)  # final once no repeat follows
    qtbot.waitUntil(lambda: live.listener.calls == [("press", None), ("release", None)],
                    timeout=2000)
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
    # the app starts on a fallback grammar (issue 15: never locked out) and says where to fix it
    qtbot.waitUntil(lambda: window.ptt.isEnabled(), timeout=20000)
    assert window.edit_button.isEnabled() and window.state_light.state != "failed"
    store = bridge.grammar_store()
    assert store is not None and store.status.fallback
    assert any("broken.yaml" in str(p) for p in store.status.problems), store.status


def test_the_edit_button_opens_the_grammar_in_force_and_saving_reloads_it(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, tmp_path: Path) -> None:
    import shutil

    from intents.store import GrammarStore, bundled_grammar_dir

    # the grammar in force: part of the default grammar (its shared rules and volume intents,
    # every list), which loads and passes its check like the whole. What the button opens and
    # what Save reloads is the point here; Save's check of the whole default grammar takes
    # ~15 s (its check is test_default_grammar.py's; the editor's own tests save it whole)
    folder = tmp_path / "grammar"
    folder.mkdir()
    for name in ("common.yaml", "volume.yaml"):
        shutil.copy(bundled_grammar_dir() / name, folder / name)
    shutil.copytree(bundled_grammar_dir() / "lists", folder / "lists")
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


# ---- push-to-talk held or toggled; the global hotkey -----------------------------------------
class FakeHotkey:
    name = "fake"

    def __init__(self, holds: bool = True) -> None:
        self.holds = holds
        self.sink: Any = None
        self.stopped = False

    def start(self, sink: Any) -> None:
        self.sink = sink

    def stop(self) -> None:
        self.stopped = True


def test_toggle_push_to_talk_is_remembered_and_used_by_button_and_space(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path) -> None:
    from app.config import load_settings

    live = FakeLive()
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    assert window.ptt_style.currentText() == "按住说话" and not window.ptt_toggle
    window.ptt_style.setCurrentIndex(1)
    assert window.ptt_style.currentText() == "按一下开始、再按结束"
    assert load_settings().ptt_toggle  # saved in the user's settings file
    qtbot.mouseClick(window.ptt, Qt.MouseButton.LeftButton)
    assert live.listener.calls == [("press", None)] and window.ptt.isDown()
    assert "再按一下结束" in window.ptt.text()
    qtbot.mouseClick(window.ptt, Qt.MouseButton.LeftButton)
    assert live.listener.calls == [("press", None), ("release", None)]
    assert not window.ptt.isDown()
    live.listener.calls.clear()
    window.history_view.setFocus()
    for _ in range(2):  # Space: press starts, the next press ends; releases do nothing
        qtbot.keyPress(window.history_view, Qt.Key.Key_Space)
        qtbot.keyRelease(window.history_view, Qt.Key.Key_Space)
    assert live.listener.calls == [("press", None), ("release", None)]
    window.close()

    again, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), FakeLive())
    assert again.ptt_toggle and again.ptt.text().startswith("按一下开始说话")
    again.close()


def test_the_global_hotkey_holds_or_toggles(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    live = FakeLive()
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    hotkey = FakeHotkey(holds=True)
    window.start_hotkey(hotkey)
    assert hotkey.sink is window.hotkey_relay and "全局快捷键" in window.hotkey_label.text()
    sink: Any = hotkey.sink
    in_thread(sink.key_pressed)  # backends report from their own threads
    qtbot.waitUntil(lambda: live.listener.calls == [("press", None)], timeout=2000)
    in_thread(sink.key_released)
    qtbot.waitUntil(lambda: len(live.listener.calls) == 2, timeout=2000)
    assert live.listener.calls[-1] == ("release", None)

    window.ptt_style.setCurrentIndex(1)  # toggle: releases are ignored
    live.listener.calls.clear()
    for report in (sink.key_pressed, sink.key_released) * 2:
        in_thread(report)
    qtbot.waitUntil(lambda: len(live.listener.calls) == 2, timeout=2000)
    assert live.listener.calls == [("press", None), ("release", None)]

    window.ptt_style.setCurrentIndex(0)
    presses_only = FakeHotkey(holds=False)  # Windows: a press toggles even in hold mode
    window.start_hotkey(presses_only)
    assert hotkey.stopped
    live.listener.calls.clear()
    in_thread(presses_only.sink.key_pressed)
    in_thread(presses_only.sink.key_pressed)
    qtbot.waitUntil(lambda: len(live.listener.calls) == 2, timeout=2000)
    assert live.listener.calls == [("press", None), ("release", None)]
    window.close()
    assert presses_only.stopped


def test_an_unavailable_hotkey_is_explained_once(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), FakeLive())
    window.start_hotkey(None, "这个桌面环境不支持全局快捷键")
    assert window.info.isVisible() and "lingyin ptt" in window.info.text
    assert "不支持全局快捷键" in window.info.text
    assert window.hotkey_label.text() == "全局快捷键不可用"
    window.close()
    again, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), FakeLive())
    again.start_hotkey(None, "这个桌面环境不支持全局快捷键")
    assert not again.info.isVisible() and "lingyin ptt" in again.hotkey_label.toolTip()
    hotkey = FakeHotkey()
    again.start_hotkey(hotkey)
    in_thread(lambda: hotkey.sink.unavailable("Ctrl+Alt+Space 已被别的程序占用"))  # a new reason
    qtbot.waitUntil(lambda: again.info.isVisible(), timeout=2000)
    assert "已被别的程序占用" in again.info.text and hotkey.stopped and again.hotkey is None
    again.close()


def test_a_bad_hotkey_in_the_settings_is_explained(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge()
    window = MainWindow(bridge, HistoryStore(dirs / "h.json"),
                        settings=AppSettings(hotkey="Ctrl+Banana"))
    qtbot.addWidget(window)
    window.show()
    window.start_hotkey()
    assert window.info.isVisible() and "banana" in window.info.text
    window.close()


# ---- timers going off, in the history --------------------------------------------------------
def test_a_timer_going_off_is_kept_in_the_history(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    path = dirs / "data" / "history.json"
    live = FakeLive()
    window, bridge = open_window(qtbot, HistoryStore(path), live)
    in_thread(lambda: bridge.on_announce("3分钟的计时到了"))  # as app.assistant.live calls it
    qtbot.waitUntil(lambda: len(window.history_view.entries()) == 1, timeout=3000)
    entry = window.history_view.entries()[0]
    assert entry.kind == "announce" and entry.reply == "3分钟的计时到了"
    assert entry.meaning == "提醒" and "⏰" in entry.text and entry.time > 0
    assert "3分钟的计时到了" in window.partial.text()
    window.close()
    again, _ = open_window(qtbot, HistoryStore(path))
    assert again.history_view.entries() == [entry]
    again.search.setText("计时")
    assert again.history_view.entries(visible_only=True) == [entry]


# ---- the core's English messages, explained in Chinese ---------------------------------------
@pytest.mark.parametrize(("message", "summary", "advice", "detail"), [
    ("model file missing: /d/models/zh/encoder.int8.onnx; run `lingyin models install` (or "
     "`lingyin models install --from DIR`) for zh", "语音模型没有安装", "lingyin models install",
     "encoder.int8.onnx"),
    ("model file is corrupt (sha256 mismatch): /d/joiner.onnx; run `lingyin models install` "
     "for zh", "语音模型文件已损坏", "重新安装", "joiner.onnx"),
    ("cannot load model file /d/decoder.onnx: INVALID_PROTOBUF; the file is corrupt, reinstall "
     "it with `lingyin models install`", "已损坏", "lingyin models install", "decoder.onnx"),
    ("Silero VAD model missing: /d/silero_vad.onnx; run `lingyin models install --model "
     "silero-vad`", "Silero 语音检测模型没有安装", "lingyin models install", "silero_vad.onnx"),
    ("no microphone found: connect one (or check the audio server) and Lingyin will pick it "
     "up; `lingyin devices` lists what it sees", "没有找到麦克风", "lingyin devices", "no mic"),
    ("the microphone 'USB Mic' stopped (unplugged or taken away?); Lingyin keeps trying",
     "麦克风“USB Mic”没有声音了", "自动重试", "USB Mic"),
    ("cannot open the microphone 'Blue Yeti' (Invalid sample rate); check that no other "
     "program holds it exclusively", "无法打开麦克风“Blue Yeti”", "别的程序", "Invalid"),
    ("no input device 'Webcam'; available: default, pulse. Pick one with --device",
     "输入设备不存在", "设置", "Webcam"),
    ("the grammar at /c/grammar has errors: /c/grammar/timer.yaml:12:5: unknown list 'x' "
     "(intent timer.set); fix them or run `lingyin check-grammar`",
     "语法文件 timer.yaml 第 12 行有错", "lingyin check-grammar", "unknown list"),
    ("the grammar at /c/my grammar cannot be used:\n/c/my grammar/home.yaml:185:5: no action "
     "called 'home.scene' (intent home.scene)\n/c/my grammar/home.yaml:205:5: no action called "
     "'home.lock'\nfix it, or run `lingyin check-grammar`",
     "语法文件 home.yaml 第 185 行有错（共 2 处）", "check-grammar", "home.lock"),
    ("grammar not reloaded: /c/grammar/home.yaml:3:1: YAML: mapping values are not allowed",
     "仍在使用原来的语法", "自动重新加载", "home.yaml:3:1"),
    ("https://api.open-meteo.com/v1/forecast: [Errno -3] Temporary failure in name resolution",
     "天气服务连不上", "检查网络", "open-meteo"),
    ("GET http://homeassistant.local:8123/api/states: [Errno 111] Connection refused",
     "连不上 Home Assistant", "地址和令牌", "Connection refused"),
    ("espeak-ng failed: could not open audio device", "无法朗读回答", "espeak-ng", "espeak-ng"),
])
def test_core_errors_are_explained_in_chinese_with_the_detail(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, message: str, summary: str, advice: str, detail: str) -> None:
    from app.gui.problems import explain

    explained = explain(message)
    assert summary in explained.summary and advice in explained.advice
    assert explained.detail == message and re.search(r"[\u4e00-\u9fff]", explained.summary)
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"))
    window.show_error(message)
    text = window.errors.text
    assert window.errors.isVisible() and summary in text and "<small" in text
    assert detail.replace("'", "&#39;") in text or detail in text


def test_a_chinese_message_is_shown_as_it_is(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    from app.gui.problems import explain

    explained = explain("计时最长一周")
    assert (explained.summary, explained.detail) == ("计时最长一周", "")
    odd = explain("something odd happened")
    assert (odd.summary, odd.detail) == ("出了点问题", "something odd happened")
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"))
    window.show_error("计时最长一周")
    assert "计时最长一周" in window.errors.text and "<small" not in window.errors.text


def test_saved_settings_change_the_style_and_the_hotkey(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), FakeLive())
    hotkey = FakeHotkey()
    window.start_hotkey(hotkey)
    window.apply_settings(replace(window.settings, ptt_toggle=True))
    assert window.ptt_toggle and not hotkey.stopped  # the same key: left running
    window.apply_settings(replace(window.settings, hotkey="Ctrl+Nope"))
    assert hotkey.stopped and window.hotkey is None and "nope" in window.info.text
    window.close()
