"""The settings dialog's form: its groups of fields (听, 说, 动作, 常规), the red problem label
beside each checked field, the status line and the buttons. app/gui/settings.py fills it, checks
and saves it.

The groups scroll (a test's result can be many lines) while the note, the status line and
确定/应用/取消 stay below them, and the dialog never grows past the screen: the buttons are always
within reach."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
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
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from asr.kws import DEFAULT_SENSITIVITY

VADS = [("webrtc", "WebRTC VAD（默认，快）"), ("silero", "Silero VAD（更准，较慢）")]
ERROR_STYLE = "color: #c0392b;"
HINT_STYLE = "color: #666;"
VAD_LABEL = "说话检测严格度 (0–3)"
VAD_TIP = ("语音检测判断麦克风里是不是有人在说话（用来知道一句话何时说完）："
           "0 最宽松，噪声也可能算作说话；3 最严格，轻声可能被漏掉。"
           "它和唤醒词的灵敏度无关。")
VAD_HINT = "判断“有人在说话”的严格程度；与唤醒词的灵敏度无关。"
WAKE_HINT = (f"唤醒词后的 :数字 是唤醒灵敏度（0–1，默认 {DEFAULT_SENSITIVITY:g}）："
             "越大越容易被唤醒，也越容易误唤醒。")


class SettingsForm(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._errors: dict[str, QLabel] = {}
        self._build()

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

    @staticmethod
    def _row(widget: QWidget, button: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(widget, 1)
        row.addWidget(button)
        return row

    @staticmethod
    def _result_label() -> QLabel:
        label = QLabel("")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.hide()  # shown with the first message
        return label

    @staticmethod
    def _hint(text: str, tip: str = "") -> QLabel:
        """A one-line explanation under a field, in grey."""
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet(HINT_STYLE)
        label.setToolTip(tip or text)
        return label

    @staticmethod
    def _group(title: str, form: QFormLayout) -> QGroupBox:
        group = QGroupBox(title)
        group.setLayout(form)
        return group

    def _build(self) -> None:
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Cancel)
        for which, text in ((QDialogButtonBox.StandardButton.Ok, "确定"),
                            (QDialogButtonBox.StandardButton.Apply, "应用"),
                            (QDialogButtonBox.StandardButton.Cancel, "取消")):
            self.buttons.button(which).setText(text)
        layout = QVBoxLayout(self)
        layout.addWidget(self._scrolled([self._build_listening(), self._build_speaking(),
                                          self._build_actions(), self._build_general()]), 1)
        for widget in (self.note, self.status, self.buttons):
            layout.addWidget(widget)

    def _scrolled(self, groups: list[QWidget]) -> QScrollArea:
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        for group in groups:
            column.addWidget(group)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(body)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body.setMinimumWidth(body.sizeHint().width())  # scroll up and down, never sideways
        return self.scroll_area

    def showEvent(self, event: QShowEvent) -> None:
        self.fit_to_screen()
        super().showEvent(event)
        QTimer.singleShot(0, self.keep_on_screen)  # once the window system has placed it

    def fit_to_screen(self) -> None:
        """Never taller (or wider) than the screen the dialog is on, frame included."""
        screen = self.screen()
        if screen is None:
            return
        room = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()
        height = room.height() - max(frame.height(), 0)
        width = room.width() - max(frame.width(), 0)
        self.setMaximumSize(width, height)
        if self.height() > height or self.width() > width:
            self.resize(min(self.width(), width), min(self.height(), height))
        self.keep_on_screen()

    def keep_on_screen(self) -> None:
        """Move the dialog so its frame (and OK/Cancel/Apply) is wholly on its screen."""
        screen = self.screen()
        if screen is None:
            return
        room, frame = screen.availableGeometry(), self.frameGeometry()
        x = max(room.left(), min(frame.left(), room.right() - frame.width() + 1))
        y = max(room.top(), min(frame.top(), room.bottom() - frame.height() + 1))
        if (x, y) != (frame.left(), frame.top()):
            self.move(x, y)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.keep_on_screen()

    def _build_listening(self) -> QGroupBox:
        self.device_box = QComboBox()
        self.test_button = QPushButton("测试录音")
        self.test_result = self._result_label()
        self.wake_edit = QPlainTextEdit()
        self.wake_edit.setPlaceholderText("每行一个唤醒词，可加灵敏度，例如：\n你好小灵:0.6")
        self.wake_edit.setFixedHeight(70)
        self.wake_edit.setToolTip(WAKE_HINT)
        self.wake_button = QPushButton("测试唤醒词")
        self.wake_button.setToolTip("在选定的输入设备上听 5 秒：请说一遍唤醒词")
        self.wake_test_result = self._result_label()
        self.wake_suggest_button = QPushButton("使用建议的灵敏度")
        self.wake_suggest_button.setToolTip("把唤醒词的灵敏度改成刚才测试能听到的值（保存后生效）")
        self.wake_suggest_button.hide()
        self.vad_box = QComboBox()
        for value, label in VADS:
            self.vad_box.addItem(label, value)
        self.aggressiveness = QSpinBox()
        self.aggressiveness.setRange(0, 3)
        self.aggressiveness.setToolTip(VAD_TIP)
        self.follow_up = QDoubleSpinBox()
        self.follow_up.setRange(0.0, 30.0)
        self.follow_up.setSingleStep(0.5)
        self.follow_up.setSuffix(" 秒")
        self.follow_up.setToolTip("回答后继续听这么久，不用再说唤醒词；0 表示不继续听")
        form = QFormLayout()
        form.addRow("输入设备", self._with_error("device", self._row(self.device_box,
                                                                      self.test_button)))
        form.addRow("", self.test_result)
        form.addRow("唤醒词", self._with_error("wake_phrases", self._row(self.wake_edit,
                                                                         self.wake_button)))
        form.addRow("", self._hint(WAKE_HINT))
        form.addRow("", self.wake_test_result)
        form.addRow("", self.wake_suggest_button)
        form.addRow("语音检测", self.vad_box)
        form.addRow(VAD_LABEL, self.aggressiveness)
        form.addRow("", self._hint(VAD_HINT, VAD_TIP))
        form.addRow("追问时间", self.follow_up)
        return self._group("听", form)

    def _build_speaking(self) -> QGroupBox:
        self.speak_check = QCheckBox("用语音回答")
        self.voice_box = QComboBox()
        self.voice_box.setToolTip("语音引擎（pyttsx3 / espeak-ng）提供的声音")
        self.rate = QSpinBox()
        self.rate.setRange(80, 400)
        self.rate.setSuffix(" 字/分")
        self.volume = QSpinBox()
        self.volume.setRange(0, 100)
        self.volume.setSuffix(" %")
        form = QFormLayout()
        form.addRow("", self.speak_check)
        form.addRow("声音", self.voice_box)
        form.addRow("语速", self.rate)
        form.addRow("音量", self.volume)
        return self._group("说", form)

    def _build_actions(self) -> QGroupBox:
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
        self.call_command = QLineEdit()
        self.call_command.setPlaceholderText("留空：系统默认；例如 linphone --call {uri}")
        form = QFormLayout()
        form.addRow("默认城市", self._with_error("default_city", self.city))
        form.addRow("天气服务地址", self._with_error("weather_url", self.weather_url))
        form.addRow("Home Assistant 地址", self._with_error("home_assistant_url", self.ha_url))
        form.addRow("Home Assistant 令牌", self.ha_token)
        form.addRow("音乐文件夹", self._with_error("music_folder", self._row(
            self.music_folder, self.music_button)))
        form.addRow("拨号命令", self._with_error("call_command", self.call_command))
        self.music_button.clicked.connect(
            lambda: self._pick_folder(self.music_folder, "选择音乐文件夹"))
        return self._group("动作", form)

    def _build_general(self) -> QGroupBox:
        self.model_folder = QLineEdit()
        self.model_folder.setPlaceholderText("留空：已安装的模型（lingyin models install）")
        self.model_button = QPushButton("选择…")
        self.autostart_check = QCheckBox("登录桌面时自动启动灵音")
        form = QFormLayout()
        form.addRow("模型文件夹", self._with_error("model_folder", self._row(
            self.model_folder, self.model_button)))
        form.addRow("开机时启动", self._with_error("start_at_login", self.autostart_check))
        self.model_button.clicked.connect(
            lambda: self._pick_folder(self.model_folder, "选择语音模型文件夹"))
        return self._group("常规", form)

    def _pick_folder(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)

    def error_of(self, name: str) -> str:
        """The problem shown beside a field ('' when none)."""
        label = self._errors[name]
        return label.text() if not label.isHidden() else ""

    def _set_error(self, name: str, message: str) -> None:
        label = self._errors[name]
        label.setText(message)
        label.setVisible(bool(message))
