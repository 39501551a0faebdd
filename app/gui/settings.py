"""The settings dialog: edits the user's AppSettings (app/config.py) and saves them atomically
into the user config directory.

Every field is checked when OK (or 应用) is pressed; a problem is shown in red beside its field and
nothing is saved until all are fixed. "测试录音" records two seconds from the chosen input device on
a worker thread and shows the peak level; "测试唤醒词" listens up to five seconds for the typed wake
phrases and says how strongly each was heard (or, with no microphone, says so). With the running
app's Bridge, saved settings take effect at once (Bridge.apply_settings: the actions and the voice
in place, listening settings by building a new listener on a worker thread); without it (the
dialog on its own) listening settings take effect at the next start. "开机时启动" writes or removes
the XDG autostart entry (app/gui/autostart.py).
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QWidget

from app.config import AppSettings, load_settings, save_settings, settings_path
from app.gui import autostart, settings_jobs
from app.gui.settings_checks import (
    changed_fields,
    check_model_folder,
    check_url,
    join_command,
    parse_command,
    parse_wake_lines,
    peak_dbfs,
    voice_choices,
)
from app.gui.settings_form import ERROR_STYLE, SettingsForm
from app.gui.wake_test import WakeTest
from app.listener.sources import DeviceError, find_device, input_devices
from app.listener.tts import ESPEAK_VOICE

__all__ = ["SettingsDialog", "check_url", "join_command", "parse_command", "parse_wake_lines",
           "record_peak"]

TEST_SECONDS = 2.0
TEST_RATE = 16000
DEFAULT_DEVICE = "系统默认"
DEFAULT_VOICE = f"sit/{ESPEAK_VOICE}"  # espeak-ng's Mandarin, Hanzi read as pinyin

# the field name → how the dialog calls it (for the "takes effect after a restart" note)
LABELS: dict[str, str] = {
    "device": "输入设备", "wake_phrases": "唤醒词", "vad": "语音检测",
    "vad_aggressiveness": "说话检测严格度", "follow_up": "追问时间", "speak": "语音回答",
    "voice": "声音", "rate": "语速", "volume": "音量", "model_folder": "模型文件夹",
    "default_city": "默认城市", "weather_url": "天气服务地址",
    "home_assistant_url": "Home Assistant 地址", "home_assistant_token": "Home Assistant 令牌",
    "music_folder": "音乐文件夹", "call_command": "拨号命令", "start_at_login": "开机时启动",
}
# read when the listener is built: without the running app's bridge they need a restart
LISTENING = ("device", "wake_phrases", "vad", "vad_aggressiveness", "follow_up", "speak",
             "voice", "rate", "volume", "model_folder")

OK_STYLE = "color: #1e7e34;"
# chosen in the main window while the dialog may be open: saved as the file has them then
WINDOW_CHOICES = ("mode", "ptt_toggle")


def record_peak(device: str | None, seconds: float = TEST_SECONDS) -> float:
    """Record ``seconds`` from ``device`` (None: the default input) and return the peak level
    0..1. Raises DeviceError when there is no input device or it cannot be opened."""
    if not input_devices():
        raise DeviceError("没有找到输入设备（麦克风）：请接上麦克风，或检查音频服务是否在运行")
    chosen = find_device(device)  # by name, part of the name or index; None: the default
    import sounddevice as sd

    rate = int(chosen.default_rate) or TEST_RATE  # the device's own rate always opens
    try:
        samples = sd.rec(int(seconds * rate), samplerate=rate, channels=1, dtype="float32",
                         device=chosen.index)
        sd.wait()
    except Exception as exc:  # PortAudio raises its own errors
        raise DeviceError(f"无法从 “{chosen.name}” 录音：{exc}") from exc
    return float(abs(samples).max()) if len(samples) else 0.0


# ---- the dialog --------------------------------------------------------------------------------
class SettingsDialog(SettingsForm):
    """``bridge``: the running app's Bridge (default: the parent window's ``bridge``), so saved
    settings take effect at once. ``wake_source`` and ``wake_model`` replace the microphone and
    the model of the wake word test (tests pass a file and a loaded model)."""

    def __init__(self, path: Path | None = None, parent: QWidget | None = None, *,
                 bridge: Any = None, wake_source: settings_jobs.SourceMaker | None = None,
                 wake_model: settings_jobs.ModelLoader | None = None) -> None:
        super().__init__(parent)
        self.path = path or settings_path()
        self.settings = load_settings(self.path)
        self.saved: AppSettings | None = None
        self.restart_needed: list[str] = []
        self.bridge = bridge if bridge is not None else getattr(parent, "bridge", None)
        self.wake_source = wake_source or settings_jobs.microphone
        self.wake_model = wake_model
        self.wake_result: WakeTest | Exception | None = None
        self._recorder: threading.Thread | None = None
        self._waker: threading.Thread | None = None
        self.setWindowTitle("灵音 · 设置")
        self._show(self.settings)
        self.note.setText("保存后立即生效：听的设置会重新建立收音（约一秒）。" if self.live
                          else "听和说的设置（输入设备、唤醒词、语音检测、追问时间、声音）"
                               "在重新启动灵音后生效。")
        self.test_button.clicked.connect(self.test_recording)
        self.wake_button.clicked.connect(self.test_wake_word)
        self.wake_suggest_button.clicked.connect(self.use_suggested_sensitivity)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        if self.bridge is not None and hasattr(self.bridge, "applied"):
            self.bridge.applied.connect(self._applied)
        self._voices = settings_jobs.in_background(settings_jobs.engine_voices,
                                                   self._got_voices, "lingyin-voices")

    # ---- showing the settings -------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Whether saving applies to a running core (the app's bridge is ready)."""
        return bool(getattr(self.bridge, "is_ready", False))

    def _fill_devices(self, current: str | None) -> None:
        self.device_box.clear()
        self.device_box.addItem(DEFAULT_DEVICE, None)
        try:
            devices = input_devices()
        except DeviceError as exc:
            devices = []
            self._message(self.test_result, f"无法列出输入设备：{exc}", ERROR_STYLE)
        for device in devices:
            mark = "（默认）" if device.is_default else ""
            self.device_box.addItem(f"{device.name}{mark} · {device.host_api}", device.name)
        if current:
            index = self.device_box.findData(current)
            if index < 0:
                self.device_box.addItem(f"{current}（未连接）", current)
                index = self.device_box.count() - 1
            self.device_box.setCurrentIndex(index)

    def _fill_voices(self, voices: list[tuple[str, str]], current: str | None) -> None:
        self.voice_box.clear()
        self.voice_box.addItem("默认：普通话（espeak-ng cmn-latn-pinyin）", None)
        for voice_id, name in voice_choices(voices, DEFAULT_VOICE):
            if voice_id != DEFAULT_VOICE:
                self.voice_box.addItem(f"{name} · {voice_id}", voice_id)
        if current and current != DEFAULT_VOICE:
            index = self.voice_box.findData(current)
            if index < 0:
                self.voice_box.addItem(f"{current}（未找到）", current)
                index = self.voice_box.count() - 1
            self.voice_box.setCurrentIndex(index)

    def _got_voices(self, voices: object) -> None:
        chosen = self.voice_box.currentData()
        self._fill_voices(voices if isinstance(voices, list) else [], chosen)

    def _show(self, s: AppSettings) -> None:
        self._fill_devices(s.device)
        self._fill_voices([], s.voice)
        self.wake_edit.setPlainText("\n".join(s.wake_phrases))
        self.vad_box.setCurrentIndex(max(self.vad_box.findData(s.vad), 0))
        self.aggressiveness.setValue(s.vad_aggressiveness)
        self.follow_up.setValue(s.follow_up)
        self.speak_check.setChecked(s.speak)
        self.rate.setValue(s.rate)
        self.volume.setValue(round(100 * s.volume))
        self.city.setText(s.default_city)
        self.weather_url.setText(s.weather_url or "")
        self.ha_url.setText(s.home_assistant_url)
        self.ha_token.setText(s.home_assistant_token)
        self.music_folder.setText(s.music_folder or "")
        self.call_command.setText(join_command(s.call_command) if s.call_command else "")
        self.model_folder.setText(s.model_folder or "")
        self.autostart_check.setChecked(autostart.is_enabled())  # the entry is the truth

    # ---- checking and saving --------------------------------------------------------------
    def edited(self) -> tuple[AppSettings | None, dict[str, str]]:
        """The settings as edited, or None and the problems (field name → message)."""
        problems: dict[str, str] = {}
        wake, problems["wake_phrases"] = parse_wake_lines(self.wake_edit.toPlainText())
        city = self.city.text().strip()
        problems["default_city"] = "" if city else "请填写默认城市（例如 北京）"
        problems["weather_url"] = check_url(self.weather_url.text())
        problems["home_assistant_url"] = check_url(self.ha_url.text())
        music = self.music_folder.text().strip()
        problems["music_folder"] = ("" if not music or Path(music).expanduser().is_dir()
                                    else "这个文件夹不存在")
        command, problems["call_command"] = parse_command(self.call_command.text())
        model = self.model_folder.text().strip()
        problems["model_folder"] = check_model_folder(model)
        problems = {k: v for k, v in problems.items() if v}
        if problems:
            return None, problems
        value = replace(
            self.settings, device=self.device_box.currentData(), wake_phrases=wake,
            vad=self.vad_box.currentData(), vad_aggressiveness=self.aggressiveness.value(),
            follow_up=round(self.follow_up.value(), 2), speak=self.speak_check.isChecked(),
            voice=self.voice_box.currentData(), rate=self.rate.value(),
            volume=self.volume.value() / 100, default_city=city,
            weather_url=self.weather_url.text().strip() or None,
            home_assistant_url=self.ha_url.text().strip(),
            home_assistant_token=self.ha_token.text().strip(),
            music_folder=music or None, call_command=command, model_folder=model or None,
            start_at_login=self.autostart_check.isChecked())
        return value, {}

    def apply(self) -> bool:
        """Check and save (and apply to the running app); True when saved or nothing changed."""
        value, problems = self.edited()
        for name in self._errors:
            self._set_error(name, problems.get(name, ""))
        if value is None:
            return self._status(f"有 {len(problems)} 处需要改正（见红字），没有保存。", False)
        value = self._with_window_choices(value)
        changed = changed_fields(self.settings, value)
        try:
            save_settings(value, self.path)
        except OSError as exc:
            return self._status(f"无法保存设置到 {self.path}：{exc}", False)
        previous, self.settings, self.saved = self.settings, value, value
        if not self._set_autostart(value.start_at_login):
            return False
        if not changed:
            return self._status("没有更改。", True)
        if self.live and self.bridge is not None and \
                self.bridge.apply_settings(value, previous) is not None:
            return self._status("已保存，正在应用…", True)
        later = [n for n in changed if n in LISTENING]
        self.restart_needed = sorted(set(self.restart_needed) | set(later),
                                     key=list(LABELS).index)
        if later:
            return self._status("已保存。重新启动灵音后生效："
                                + "、".join(LABELS[n] for n in self.restart_needed) + "。", True)
        return self._status("已保存。", True)

    def _with_window_choices(self, value: AppSettings) -> AppSettings:
        """``value`` with the window's own choices (the mode, the push-to-talk style) as they
        are in the file now, so saving the dialog never undoes a choice made meanwhile."""
        current = load_settings(self.path)
        return replace(value, **{name: getattr(current, name) for name in WINDOW_CHOICES})

    def _set_autostart(self, on: bool) -> bool:
        if on == autostart.is_enabled():
            return True
        try:
            autostart.set_enabled(on)
        except OSError as exc:
            self._set_error("start_at_login", f"无法写入 {autostart.autostart_path()}：{exc}")
            return self._status("设置已保存，但开机启动没有设好（见红字）。", False)
        return True

    def _status(self, text: str, ok: bool) -> bool:
        self.status.setText(text)
        self.status.setStyleSheet(OK_STYLE if ok else ERROR_STYLE + " font-weight: bold;")
        return ok

    def _applied(self, error: str) -> None:
        if error:
            self._status(f"设置已保存，但无法应用到正在运行的灵音：{error}。"
                         "请修改设置，或重新启动灵音。", False)
        else:
            self._status("已保存，已生效。", True)

    def accept(self) -> None:
        if self.apply():
            super().accept()

    # ---- the test recording and the wake word test (worker threads) -----------------------
    def test_recording(self) -> None:
        if self._recorder is not None and self._recorder.is_alive():
            return
        device = self.device_box.currentData()
        self.test_button.setEnabled(False)
        self._message(self.test_result, f"正在录音 {TEST_SECONDS:g} 秒，请说几句话…", "")
        self._recorder = settings_jobs.in_background(lambda: record_peak(device), self._recorded,
                                                     "lingyin-test-recording")

    def _recorded(self, peak: object) -> None:
        self.test_button.setEnabled(True)
        if isinstance(peak, Exception):
            error = str(peak) if isinstance(peak, DeviceError) else f"录音失败：{peak}"
            self._message(self.test_result, f"测试录音失败：{error}",
                          ERROR_STYLE + " font-weight: bold;")
            return
        value = float(peak)  # type: ignore[arg-type]
        level = peak_dbfs(value)
        shown = "静音" if level == -math.inf else f"{level:.1f} dBFS"
        hint = ("几乎没有声音：麦克风可能被静音，或选错了设备" if value < 0.01
                else "声音太大，可能失真" if value >= 0.99 else "正常")
        self._message(self.test_result, f"峰值音量：{shown}（{value:.2f}）· {hint}",
                      OK_STYLE if hint == "正常" else ERROR_STYLE)

    def test_wake_word(self) -> None:
        """Listen up to 5 s on the chosen device for the phrases typed in the dialog."""
        if self._waker is not None and self._waker.is_alive():
            return
        specs, error = parse_wake_lines(self.wake_edit.toPlainText())
        self._set_error("wake_phrases", error)
        if error:
            return
        load = self.wake_model or settings_jobs.model_loader(
            self.model_folder.text().strip() or None, self.bridge)
        job = settings_jobs.wake_job(specs, self.device_box.currentData(), load,
                                     self.wake_source, self._has_input)
        self.wake_button.setEnabled(False)
        self.wake_result = None
        self._message(self.wake_test_result, "正在听（最多 5 秒）：请说一遍唤醒词…", "")
        self._waker = settings_jobs.in_background(job, self._wake_tested, "lingyin-wake-test")

    def _has_input(self) -> bool:
        if self.wake_source is not settings_jobs.microphone:
            return True  # a file or a test source
        return bool(input_devices())

    def _wake_tested(self, result: object) -> None:
        self.wake_button.setEnabled(True)
        self.wake_result = result if isinstance(result, WakeTest | Exception) else None
        suggestion = result.suggestion if isinstance(result, WakeTest) else None
        self.wake_suggest_button.setVisible(suggestion is not None)
        if isinstance(result, WakeTest):
            self._message(self.wake_test_result, result.describe(),
                          OK_STYLE if result.heard else ERROR_STYLE)
        else:
            prefix = "" if isinstance(result, DeviceError) else "测试失败："
            self._message(self.wake_test_result, f"{prefix}{result}",
                          ERROR_STYLE + " font-weight: bold;")
        self.keep_on_screen()

    def use_suggested_sensitivity(self) -> None:
        """The wake phrases with the sensitivities the last test found (saved with OK/Apply)."""
        result = self.wake_result
        suggestion = result.suggestion if isinstance(result, WakeTest) else None
        if suggestion:
            self.wake_edit.setPlainText("\n".join(suggestion))
        self.wake_suggest_button.hide()

    @staticmethod
    def _message(label: QLabel, text: str, style: str) -> None:
        label.setText(text)
        label.setStyleSheet(style)
        label.show()

    def wait_for_recording(self, timeout: float = 10.0) -> None:
        for worker in (self._recorder, self._waker):
            if worker is not None:
                worker.join(timeout)
