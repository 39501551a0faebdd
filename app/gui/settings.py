"""The settings dialog: edits the user's AppSettings (app/config.py) and saves them atomically
into the user config directory.

Every field is checked when OK (or 应用) is pressed; a problem is shown in red beside its field and
nothing is saved until all are fixed. "测试录音" records two seconds from the chosen input device on
a worker thread and shows the peak level (or, with no microphone, says so). The app reads its
settings when it starts, so the dialog says which of the saved changes take effect after a
restart of Lingyin.
"""

from __future__ import annotations

import math
import re
import shlex
import threading
from dataclasses import fields, replace
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.config import AppSettings, load_settings, save_settings, settings_path
from app.listener.sources import DeviceError, find_device, input_devices

TEST_SECONDS = 2.0
TEST_RATE = 16000
DEFAULT_DEVICE = "系统默认"
VADS = [("webrtc", "WebRTC VAD（默认，快）"), ("silero", "Silero VAD（更准，较慢）")]
PLAIN_ARG = re.compile(r"^[^\s'\"\\]+$")
HANZI = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")

# the field name → how the dialog calls it (for the "takes effect after a restart" note)
LABELS: dict[str, str] = {
    "device": "输入设备", "wake_phrases": "唤醒词", "vad": "语音检测",
    "vad_aggressiveness": "检测灵敏度", "follow_up": "追问时间", "speak": "语音回答",
    "rate": "语速", "volume": "音量", "default_city": "默认城市", "weather_url": "天气服务地址",
    "home_assistant_url": "Home Assistant 地址", "home_assistant_token": "Home Assistant 令牌",
    "music_folder": "音乐文件夹", "call_command": "拨号命令",
}
# read when the listener is built: they need a restart of Lingyin
LISTENING = ("device", "wake_phrases", "vad", "vad_aggressiveness", "follow_up", "speak",
             "rate", "volume")

ERROR_STYLE = "color: #c0392b;"


# ---- checking the fields (pure functions, tested directly) --------------------------------------
def parse_wake_lines(text: str) -> tuple[list[str], str]:
    """Wake phrases, one a line, each optionally ``PHRASE:SENSITIVITY`` → (specs, error)."""
    specs: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().replace("：", ":")
        if not line:
            continue
        phrase, sep, value = line.rpartition(":")
        if not sep:
            phrase = line
        phrase = phrase.strip()
        if not HANZI.match(phrase):
            return [], f"第 {number} 行：唤醒词只能是汉字（例如 你好小灵），现在是 “{phrase}”"
        if sep:
            try:
                sensitivity = float(value)
            except ValueError:
                return [], f"第 {number} 行：冒号后的灵敏度必须是 0 到 1 之间的数字"
            if not (math.isfinite(sensitivity) and 0.0 <= sensitivity <= 1.0):
                return [], f"第 {number} 行：灵敏度必须在 0 到 1 之间，现在是 {value.strip()}"
            specs.append(f"{phrase}:{value.strip()}")
        else:
            specs.append(phrase)
    if not specs:
        return [], "至少需要一个唤醒词"
    return specs, ""


def check_url(text: str, required: bool = False) -> str:
    """An error message for a URL field ('' when it is fine or empty and optional)."""
    value = text.strip()
    if not value:
        return "请填写地址" if required else ""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return "地址要以 http:// 或 https:// 开头，例如 http://homeassistant.local:8123"
    return ""


def parse_command(text: str) -> tuple[list[str] | None, str]:
    value = text.strip()
    if not value:
        return None, ""
    try:
        return shlex.split(value), ""
    except ValueError as exc:
        return None, f"命令无法解析（{exc}）；参数里的空格请用引号括起来"


def join_command(argv: list[str]) -> str:
    """An argument list as one line (quoted only where needed, so ``{uri}`` stays readable)."""
    return " ".join(a if PLAIN_ARG.match(a) else shlex.quote(a) for a in argv)


def changed_fields(old: AppSettings, new: AppSettings) -> list[str]:
    return [f.name for f in fields(AppSettings) if getattr(old, f.name) != getattr(new, f.name)]


def peak_dbfs(peak: float) -> float:
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


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


class _Recording(QObject):
    done = Signal(float, str)  # peak, error ('' when fine)


# ---- the dialog --------------------------------------------------------------------------------
class SettingsDialog(QDialog):
    def __init__(self, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path or settings_path()
        self.settings = load_settings(self.path)
        self.saved: AppSettings | None = None
        self.restart_needed: list[str] = []
        self._recorder: threading.Thread | None = None
        self.setWindowTitle("灵音 · 设置")
        self._errors: dict[str, QLabel] = {}
        self._build()
        self._show(self.settings)

    # ---- layout ---------------------------------------------------------------------------
    def _error_label(self, name: str) -> QLabel:
        label = QLabel("")
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        self._errors[name] = label
        return label

    def _with_error(self, name: str, widget: QWidget | QHBoxLayout) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if isinstance(widget, QHBoxLayout):
            column.addLayout(widget)
        else:
            column.addWidget(widget)
        column.addWidget(self._error_label(name))
        return box

    def _build(self) -> None:
        # listening
        self.device_box = QComboBox()
        self.test_button = QPushButton("测试录音")
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        self.test_result.hide()  # shown with the first message
        device_row = QHBoxLayout()
        device_row.addWidget(self.device_box, 1)
        device_row.addWidget(self.test_button)
        self.wake_edit = QPlainTextEdit()
        self.wake_edit.setPlaceholderText("每行一个唤醒词，可加灵敏度，例如：\n你好小灵:0.6")
        self.wake_edit.setFixedHeight(70)
        self.vad_box = QComboBox()
        for value, label in VADS:
            self.vad_box.addItem(label, value)
        self.aggressiveness = QSpinBox()
        self.aggressiveness.setRange(0, 3)
        self.aggressiveness.setToolTip("0 最宽松（噪声也算说话），3 最严格")
        self.follow_up = QDoubleSpinBox()
        self.follow_up.setRange(0.0, 30.0)
        self.follow_up.setSingleStep(0.5)
        self.follow_up.setSuffix(" 秒")
        self.follow_up.setToolTip("回答后继续听这么久，不用再说唤醒词；0 表示不继续听")
        listening = QFormLayout()
        listening.addRow("输入设备", self._with_error("device", device_row))
        listening.addRow("", self.test_result)
        listening.addRow("唤醒词", self._with_error("wake_phrases", self.wake_edit))
        listening.addRow("语音检测", self.vad_box)
        listening.addRow("检测灵敏度 (0–3)", self.aggressiveness)
        listening.addRow("追问时间", self.follow_up)
        listen_group = QGroupBox("听")
        listen_group.setLayout(listening)

        # speaking
        self.speak_check = QCheckBox("用语音回答")
        self.rate = QSpinBox()
        self.rate.setRange(80, 400)
        self.rate.setSuffix(" 字/分")
        self.volume = QSpinBox()
        self.volume.setRange(0, 100)
        self.volume.setSuffix(" %")
        speaking = QFormLayout()
        speaking.addRow("", self.speak_check)
        speaking.addRow("语速", self.rate)
        speaking.addRow("音量", self.volume)
        speak_group = QGroupBox("说")
        speak_group.setLayout(speaking)

        # actions
        self.city = QLineEdit()
        self.weather_url = QLineEdit()
        self.weather_url.setPlaceholderText("留空：Open-Meteo（免费，无需密钥）")
        self.ha_url = QLineEdit()
        self.ha_url.setPlaceholderText("例如 http://homeassistant.local:8123")
        self.ha_token = QLineEdit()
        self.ha_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.ha_token.setPlaceholderText("长期访问令牌")
        self.music_folder = QLineEdit()
        self.music_button = QPushButton("选择…")
        music_row = QHBoxLayout()
        music_row.addWidget(self.music_folder, 1)
        music_row.addWidget(self.music_button)
        self.call_command = QLineEdit()
        self.call_command.setPlaceholderText("留空：系统默认；例如 linphone --call {uri}")
        actions = QFormLayout()
        actions.addRow("默认城市", self._with_error("default_city", self.city))
        actions.addRow("天气服务地址", self._with_error("weather_url", self.weather_url))
        actions.addRow("Home Assistant 地址", self._with_error("home_assistant_url", self.ha_url))
        actions.addRow("Home Assistant 令牌", self.ha_token)
        actions.addRow("音乐文件夹", self._with_error("music_folder", music_row))
        actions.addRow("拨号命令", self._with_error("call_command", self.call_command))
        action_group = QGroupBox("动作")
        action_group.setLayout(actions)

        self.note = QLabel("听和说的设置（输入设备、唤醒词、语音检测、追问时间、语音回答）"
                           "在重新启动灵音后生效。")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).setText("应用")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")

        layout = QVBoxLayout(self)
        layout.addWidget(listen_group)
        layout.addWidget(speak_group)
        layout.addWidget(action_group)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.test_button.clicked.connect(self.test_recording)
        self.music_button.clicked.connect(self._pick_music_folder)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)

    # ---- showing the settings -------------------------------------------------------------
    def _fill_devices(self, current: str | None) -> None:
        self.device_box.clear()
        self.device_box.addItem(DEFAULT_DEVICE, None)
        try:
            devices = input_devices()
        except DeviceError as exc:
            devices = []
            self._test_message(f"无法列出输入设备：{exc}", ERROR_STYLE)
        for device in devices:
            mark = "（默认）" if device.is_default else ""
            self.device_box.addItem(f"{device.name}{mark} · {device.host_api}", device.name)
        if current:
            index = self.device_box.findData(current)
            if index < 0:
                self.device_box.addItem(f"{current}（未连接）", current)
                index = self.device_box.count() - 1
            self.device_box.setCurrentIndex(index)

    def _show(self, s: AppSettings) -> None:
        self._fill_devices(s.device)
        self.wake_edit.setPlainText("\n".join(s.wake_phrases))
        index = self.vad_box.findData(s.vad)
        self.vad_box.setCurrentIndex(max(index, 0))
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

    def _pick_music_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "选择音乐文件夹",
                                                  self.music_folder.text() or str(Path.home()))
        if folder:
            self.music_folder.setText(folder)

    # ---- checking and saving --------------------------------------------------------------
    def error_of(self, name: str) -> str:
        """The problem shown beside a field ('' when none)."""
        label = self._errors[name]
        return label.text() if not label.isHidden() else ""

    def _set_error(self, name: str, message: str) -> None:
        label = self._errors[name]
        label.setText(message)
        label.setVisible(bool(message))

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
        problems["device"] = ""
        problems = {k: v for k, v in problems.items() if v}
        if problems:
            return None, problems
        value = replace(
            self.settings, device=self.device_box.currentData(), wake_phrases=wake,
            vad=self.vad_box.currentData(), vad_aggressiveness=self.aggressiveness.value(),
            follow_up=round(self.follow_up.value(), 2), speak=self.speak_check.isChecked(),
            rate=self.rate.value(), volume=self.volume.value() / 100,
            default_city=city, weather_url=self.weather_url.text().strip() or None,
            home_assistant_url=self.ha_url.text().strip(),
            home_assistant_token=self.ha_token.text().strip(),
            music_folder=music or None, call_command=command)
        return value, {}

    def apply(self) -> bool:
        """Check and save; True when saved (or nothing changed)."""
        value, problems = self.edited()
        for name in self._errors:
            self._set_error(name, problems.get(name, ""))
        if value is None:
            self.status.setText(f"有 {len(problems)} 处需要改正（见红字），没有保存。")
            self.status.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
            return False
        changed = changed_fields(self.settings, value)
        try:
            save_settings(value, self.path)
        except OSError as exc:
            self.status.setText(f"无法保存设置到 {self.path}：{exc}")
            self.status.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
            return False
        self.settings = self.saved = value
        later = [n for n in changed if n in LISTENING]
        self.restart_needed = sorted(set(self.restart_needed) | set(later),
                                     key=list(LABELS).index)
        if not changed:
            text = "没有更改。"
        elif later:
            text = ("已保存。重新启动灵音后生效："
                    + "、".join(LABELS[n] for n in self.restart_needed) + "。")
        else:
            text = "已保存。"
        self.status.setText(text)
        self.status.setStyleSheet("color: #1e7e34;")
        return True

    def accept(self) -> None:
        if self.apply():
            super().accept()

    # ---- the test recording (worker thread) -----------------------------------------------
    def test_recording(self) -> None:
        if self._recorder is not None and self._recorder.is_alive():
            return
        device = self.device_box.currentData()
        self.test_button.setEnabled(False)
        self._test_message(f"正在录音 {TEST_SECONDS:g} 秒，请说几句话…", "")
        signals = _Recording()  # no parent: it outlives a closed dialog
        signals.done.connect(self._recorded, Qt.ConnectionType.QueuedConnection)
        self._signals = signals

        def job() -> None:
            try:
                peak, error = record_peak(device), ""
            except DeviceError as exc:
                peak, error = 0.0, str(exc)
            except Exception as exc:  # a test button must never take the app down
                peak, error = 0.0, f"录音失败：{exc}"
            signals.done.emit(peak, error)

        self._recorder = threading.Thread(target=job, name="lingyin-test-recording",
                                          daemon=True)
        self._recorder.start()

    def _recorded(self, peak: float, error: str) -> None:
        self.test_button.setEnabled(True)
        if error:
            self._test_message(f"测试录音失败：{error}", ERROR_STYLE + " font-weight: bold;")
            return
        level = peak_dbfs(peak)
        shown = "静音" if level == -math.inf else f"{level:.1f} dBFS"
        hint = ("几乎没有声音：麦克风可能被静音，或选错了设备" if peak < 0.01
                else "声音太大，可能失真" if peak >= 0.99 else "正常")
        self._test_message(f"峰值音量：{shown}（{peak:.2f}）· {hint}",
                           "color: #1e7e34;" if hint == "正常" else ERROR_STYLE)

    def _test_message(self, text: str, style: str) -> None:
        self.test_result.setText(text)
        self.test_result.setStyleSheet(style)
        self.test_result.show()

    def wait_for_recording(self, timeout: float = 10.0) -> None:
        if self._recorder is not None:
            self._recorder.join(timeout)
