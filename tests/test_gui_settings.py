"""The settings dialog, offscreen (pytest-qt): it shows the user's settings file, saves edits
atomically, blocks saving on a bad field with a message beside it, and the test recording
explains a missing microphone instead of crashing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.config import AppSettings, save_settings, settings_path
from app.gui import settings as settings_module
from app.gui.settings import SettingsDialog, parse_wake_lines
from app.listener.sources import DeviceError, InputDevice


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setattr(settings_module, "input_devices", lambda: [])  # no microphone here
    path = settings_path()
    save_settings(AppSettings(default_city="上海", wake_phrases=["你好小灵:0.6", "小灵小灵"],
                              vad="silero", vad_aggressiveness=3, follow_up=4.0, speak=False,
                              rate=200, volume=0.5, home_assistant_token="secret",
                              call_command=["linphone", "--call", "{uri}"]), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["future_key"] = 1  # unknown keys survive a save
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def open_dialog(qtbot: Any) -> SettingsDialog:
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_dialog_shows_the_settings_file(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot)
    assert dialog.path == config
    assert dialog.city.text() == "上海"
    assert dialog.wake_edit.toPlainText() == "你好小灵:0.6\n小灵小灵"
    assert dialog.vad_box.currentData() == "silero"
    assert dialog.aggressiveness.value() == 3
    assert dialog.follow_up.value() == 4.0
    assert not dialog.speak_check.isChecked()
    assert (dialog.rate.value(), dialog.volume.value()) == (200, 50)
    assert dialog.ha_token.text() == "secret"
    assert dialog.ha_token.echoMode() == dialog.ha_token.EchoMode.Password
    assert dialog.call_command.text() == "linphone --call {uri}"
    assert dialog.device_box.currentText() == "系统默认"


def test_ok_saves_the_changes(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot)
    dialog.city.setText("广州")
    dialog.ha_url.setText("http://homeassistant.local:8123")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    data = json.loads(config.read_text(encoding="utf-8"))
    assert data["default_city"] == "广州"
    assert data["home_assistant_url"] == "http://homeassistant.local:8123"
    assert data["wake_phrases"] == ["你好小灵:0.6", "小灵小灵"]
    assert data["call_command"] == ["linphone", "--call", "{uri}"]
    assert data["future_key"] == 1
    assert dialog.restart_needed == []  # actions only: no listening setting changed


def test_a_listening_change_says_it_needs_a_restart(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot)
    dialog.wake_edit.setPlainText("你好灵音:0.8")
    dialog.aggressiveness.setValue(1)
    dialog.buttons.button(dialog.buttons.StandardButton.Apply).click()
    assert dialog.isVisible()
    assert "重新启动" in dialog.status.text() and "唤醒词" in dialog.status.text()
    assert dialog.restart_needed == ["wake_phrases", "vad_aggressiveness"]
    assert json.loads(config.read_text(encoding="utf-8"))["wake_phrases"] == ["你好灵音:0.8"]


def test_an_invalid_sensitivity_blocks_saving(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    before = config.read_text(encoding="utf-8")
    dialog = open_dialog(qtbot)
    dialog.city.setText("广州")
    dialog.wake_edit.setPlainText("你好小灵:1.5")
    dialog.ha_url.setText("homeassistant.local")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible()  # not accepted
    assert "0 到 1" in dialog.error_of("wake_phrases")
    assert dialog.error_of("home_assistant_url")
    assert dialog.error_of("default_city") == ""
    assert "没有保存" in dialog.status.text()
    assert config.read_text(encoding="utf-8") == before
    dialog.wake_edit.setPlainText("你好小灵:0.5")
    dialog.ha_url.setText("")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.error_of("wake_phrases") == ""
    assert json.loads(config.read_text(encoding="utf-8"))["default_city"] == "广州"


@pytest.mark.parametrize(("text", "ok"), [
    ("你好小灵", True), ("你好小灵：0.7\n\n小灵小灵:0", True), ("hello", False),
    ("你好小灵:abc", False), ("你好小灵:-0.1", False), ("", False), ("你好 小灵", False),
])
def test_wake_lines(text: str, ok: bool) -> None:
    specs, error = parse_wake_lines(text)
    assert bool(specs) == ok and bool(error) != ok


def test_the_test_recording_without_a_microphone_explains(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=5000)
    assert "没有找到输入设备" in dialog.test_result.text()


def test_the_test_recording_when_portaudio_fails(qtbot, config: Path,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> list[InputDevice]:
        raise DeviceError("cannot list audio devices: PortAudio not initialized")

    monkeypatch.setattr(settings_module, "input_devices", broken)
    monkeypatch.setattr("app.listener.sources.input_devices", broken)
    dialog = open_dialog(qtbot)
    assert "无法列出输入设备" in dialog.test_result.text()
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=5000)
    assert "测试录音失败" in dialog.test_result.text() and "PortAudio" in dialog.test_result.text()


def test_the_test_recording_shows_the_peak(qtbot, config: Path,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    mic = InputDevice(3, "USB Mic", 1, 48000.0, True, "ALSA")
    monkeypatch.setattr(settings_module, "input_devices", lambda: [mic])
    monkeypatch.setattr("app.listener.sources.input_devices", lambda: [mic])
    recorded: dict[str, Any] = {}

    class FakeSd:
        @staticmethod
        def rec(frames: int, **kw: Any) -> np.ndarray:
            recorded.update(kw, frames=frames)
            return np.full((frames, 1), 0.25, dtype=np.float32)

        @staticmethod
        def wait() -> None:
            pass

    monkeypatch.setitem(__import__("sys").modules, "sounddevice", FakeSd)
    dialog = open_dialog(qtbot)
    dialog.device_box.setCurrentIndex(dialog.device_box.findData("USB Mic"))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=5000)
    assert "-12.0 dBFS" in dialog.test_result.text()
    assert recorded["device"] == 3 and recorded["frames"] == 96000


def test_the_main_window_opens_the_settings(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    from app.gui.bridge import Bridge
    from app.gui.history import HistoryStore
    from app.gui.window import MainWindow

    bridge = Bridge()
    window = MainWindow(bridge, HistoryStore(config.parent / "history.json"))
    qtbot.addWidget(window)
    window.settings_button.click()  # works before the core is ready (a wrong device, say)
    dialog = window._settings_dialog
    assert dialog.isVisible() and dialog.city.text() == "上海"
    dialog.reject()
    bridge.shutdown()
