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


# ---- the wake word test --------------------------------------------------------------------
def wake_dialog(qtbot: Any, recognizer: Any, samples: Any) -> SettingsDialog:
    from app.listener.sources import FileSource

    dialog = SettingsDialog(wake_model=lambda: recognizer.model,
                            wake_source=lambda device: FileSource("dev", 512, fast=True,
                                                                  samples=samples))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def run_wake_test(qtbot: Any, dialog: SettingsDialog, phrases: str) -> str:
    dialog.wake_edit.setPlainText(phrases)
    dialog.wake_button.click()
    assert not dialog.wake_button.isEnabled()  # busy on its worker thread
    qtbot.waitUntil(lambda: dialog.wake_button.isEnabled(), timeout=20000)
    return dialog.wake_test_result.text()


def test_the_wake_test_hears_the_dev_speaker_say_the_phrase(  # type: ignore[no-untyped-def]
        qtbot, config: Path, recognizer, clip) -> None:
    from listen_helpers import dev_wake_phrase, silence

    from app.gui.wake_test import WakeTest

    phrase = dev_wake_phrase(recognizer, clip("W0038"))
    dialog = wake_dialog(qtbot, recognizer, np.concatenate([silence(0.5), phrase, silence(1.0)]))
    text = run_wake_test(qtbot, dialog, "想听歌曲:0.6\n你好小灵")
    result = dialog.wake_result
    assert isinstance(result, WakeTest), text
    heard = {r.phrase: r for r in result.results}
    assert heard["想听歌曲"].heard and not heard["你好小灵"].heard
    score = heard["想听歌曲"].score
    assert score is not None and score >= heard["想听歌曲"].threshold == -1.2
    assert "✓ 听到了 “想听歌曲”" in text and f"得分 {score:.2f}" in text and "门槛 -1.20" in text
    assert "✗ 没有听到 “你好小灵”" in text
    assert result.seconds <= 5.0


def test_the_wake_test_says_when_nothing_was_heard(  # type: ignore[no-untyped-def]
        qtbot, config: Path, recognizer) -> None:
    from listen_helpers import silence

    dialog = wake_dialog(qtbot, recognizer, silence(8.0))
    text = run_wake_test(qtbot, dialog, "你好小灵:0.5")
    assert "听了 5.0 秒，没有听到唤醒词" in text and "✗ 没有听到 “你好小灵”" in text
    assert dialog.wake_result is not None and not dialog.wake_result.heard  # type: ignore[union-attr]


def test_the_wake_test_without_a_microphone_explains(  # type: ignore[no-untyped-def]
        qtbot, config: Path, recognizer) -> None:
    dialog = SettingsDialog(wake_model=lambda: recognizer.model)  # the real microphone source
    qtbot.addWidget(dialog)
    text = run_wake_test(qtbot, dialog, "你好小灵")
    assert "没有找到输入设备" in text
    assert isinstance(dialog.wake_result, DeviceError)


def test_the_wake_test_checks_the_phrases_first(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot)
    dialog.wake_edit.setPlainText("hello")
    dialog.wake_button.click()
    assert dialog.wake_button.isEnabled() and "只能是汉字" in dialog.error_of("wake_phrases")


# ---- voice, model folder, start at login -------------------------------------------------------
def test_the_voice_list_offers_the_engine_voices(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot)
    assert dialog.voice_box.currentData() is None  # the default: cmn-latn-pinyin
    assert "cmn-latn-pinyin" in dialog.voice_box.currentText()
    qtbot.waitUntil(lambda: dialog.voice_box.count() > 10, timeout=15000)
    ids = [dialog.voice_box.itemData(i) for i in range(dialog.voice_box.count())]
    assert "sit/cmn" not in ids  # reads Hanzi as English digits: not offered
    assert "sit/yue" in ids[:5]  # the other Chinese voices come first
    dialog.voice_box.setCurrentIndex(ids.index("sit/yue"))
    assert dialog.apply()
    assert json.loads(config.read_text(encoding="utf-8"))["voice"] == "sit/yue"


def test_the_model_folder_must_hold_the_model(qtbot, config: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                              shared: Path) -> None:
    dialog = open_dialog(qtbot)
    dialog.model_folder.setText(str(tmp_path))
    assert not dialog.apply()
    assert "缺少" in dialog.error_of("model_folder") and "tokens.txt" in dialog.error_of(
        "model_folder")
    dialog.model_folder.setText(str(tmp_path / "nowhere"))
    assert not dialog.apply() and "不存在" in dialog.error_of("model_folder")
    model = shared / "models" / "zh-pinyin-zipformer-3.3M"
    dialog.model_folder.setText(str(model))
    assert dialog.apply() and dialog.error_of("model_folder") == ""
    assert json.loads(config.read_text(encoding="utf-8"))["model_folder"] == str(model)
    assert "模型文件夹" in dialog.status.text()  # without the running app: after a restart


def test_start_at_login_writes_and_removes_the_autostart_entry(  # type: ignore[no-untyped-def]
        qtbot, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "lingyin.desktop"
    dialog = open_dialog(qtbot)
    assert not dialog.autostart_check.isChecked()
    dialog.autostart_check.setChecked(True)
    assert dialog.apply()
    assert "Exec=" in entry.read_text(encoding="utf-8")
    assert json.loads(config.read_text(encoding="utf-8"))["start_at_login"] is True
    assert open_dialog(qtbot).autostart_check.isChecked()  # shown from the entry itself
    dialog.autostart_check.setChecked(False)
    assert dialog.apply() and not entry.exists()


# ---- saved settings take effect in the running app ---------------------------------------------
@pytest.fixture
def running(qtbot, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
            recognizer, to_hanzi):
    """The real core (a file of silence as the microphone, speech on) behind a bridge."""
    from listen_helpers import silence

    from app.config import load_settings
    from app.gui.bridge import Bridge
    from app.gui.startup import live_factory
    from app.listener.sources import FileSource

    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path / "data"))
    save_settings(replace_settings(load_settings(), speak=True, vad="webrtc"), config)

    def source() -> FileSource:
        return FileSource("silence", 512, fast=False, samples=silence(60.0))

    bridge = Bridge()
    bridge.rebuilder = lambda settings, live, reuse: live_factory(  # type: ignore[attr-defined]
        settings, recognizer=recognizer, to_hanzi=to_hanzi, source=source())
    failures: list[str] = []
    bridge.failed.connect(failures.append)
    bridge.load(live_factory(load_settings(), recognizer=recognizer, to_hanzi=to_hanzi,
                             source=source()))
    qtbot.waitUntil(lambda: bridge.is_ready or bool(failures), timeout=60000)
    assert failures == []
    yield bridge
    bridge.shutdown()


def replace_settings(value: AppSettings, **changes: Any) -> AppSettings:
    from dataclasses import replace

    return replace(value, **changes)


def weather_of(live: Any) -> Any:
    from app.actions.weather import WeatherActions

    return live.built.actions.module(WeatherActions)  # built now if no turn asked yet


def apply_and_wait(qtbot: Any, dialog: SettingsDialog) -> None:
    assert dialog.bridge is not None
    with qtbot.waitSignal(dialog.bridge.applied, timeout=60000) as blocker:
        assert dialog.apply()
        assert "正在应用" in dialog.status.text()
    assert blocker.args == [""], blocker.args


def test_action_and_voice_settings_apply_at_once(qtbot, running) -> None:  # type: ignore[no-untyped-def]
    live = running._live
    assert weather_of(live).default_city == "上海"
    dialog = SettingsDialog(bridge=running)
    qtbot.addWidget(dialog)
    assert "立即生效" in dialog.note.text()
    dialog.city.setText("广州")
    dialog.rate.setValue(230)
    dialog.volume.setValue(40)
    apply_and_wait(qtbot, dialog)
    assert running._live is live  # the same listener: nothing was rebuilt
    assert weather_of(live).default_city == "广州"
    assert live.service.assistant is live.built.assistant
    voice = live.listened.voice
    assert (voice.settings.rate, voice.settings.volume, voice.settings.enabled) == (230, 0.4, True)
    assert "已生效" in dialog.status.text() and "重新启动" not in dialog.status.text()
    assert dialog.restart_needed == []
    dialog.speak_check.setChecked(False)
    apply_and_wait(qtbot, dialog)
    assert voice.settings.enabled is False and running._live is live


def test_listening_settings_rebuild_the_listener(qtbot, running) -> None:  # type: ignore[no-untyped-def]
    from app.listener.machine import Mode

    old = running._live
    old.listener.set_mode(Mode.WAKE)  # the window's mode switch: carried over
    dialog = SettingsDialog(bridge=running)
    qtbot.addWidget(dialog)
    dialog.wake_edit.setPlainText("想听歌曲:0.5")
    dialog.follow_up.setValue(3.0)
    apply_and_wait(qtbot, dialog)
    new = running._live
    assert new is not old and running.is_ready
    assert [k.phrase for k in new.listener.watcher.spotter.keywords] == ["想听歌曲"]
    assert new.listener.machine.config.follow_up == 3.0
    qtbot.waitUntil(lambda: new.listener.machine.mode is Mode.WAKE, timeout=5000)
    assert running._thread is not None and running._thread.is_alive()
    assert "已生效" in dialog.status.text() and dialog.restart_needed == []


def test_a_listening_setting_that_cannot_be_used_keeps_the_old_listener(  # type: ignore[no-untyped-def]
        qtbot, running) -> None:
    old = running._live
    dialog = SettingsDialog(bridge=running)
    qtbot.addWidget(dialog)
    dialog.vad_box.setCurrentIndex(dialog.vad_box.findData("silero"))
    dialog.wake_edit.setPlainText("你好小灵")
    dialog.buttons.button(dialog.buttons.StandardButton.Apply).click()
    qtbot.waitUntil(lambda: "正在应用" not in dialog.status.text(), timeout=60000)
    assert "无法应用" in dialog.status.text() and "silero" in dialog.status.text().lower()
    assert running._live is old and running.is_ready and running._thread.is_alive()
