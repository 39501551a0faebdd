"""The main window: state, microphone level, partial transcript, push-to-talk, mode, mute,
the conversation history and a box to type a command. It talks to the core only through the
Bridge; everything slow happens on the core's threads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.bridge import Bridge
from app.gui.history import HistoryEntry, HistoryStore
from app.gui.widgets import ErrorBanner, HistoryView, LevelMeter, PttButton, StateIndicator
from app.listener.machine import Mode

if TYPE_CHECKING:
    from app.gui.tray import Tray

MODES = [(Mode.PTT, "按键说话"), (Mode.WAKE, "唤醒词")]


def advice_for(message: str) -> str:
    """What the person can do about a problem, from the core's message."""
    low = message.lower()
    if "grammar" in low:
        return "修改语法文件（或运行 `lingyin check-grammar` 查看出错的行），然后重新打开灵音。"
    if "model" in low:
        return "安装模型：运行 `lingyin models install`（或 `--from 文件夹`），然后重新打开灵音。"
    if any(word in low for word in ("device", "microphone", "portaudio", "input")):
        return "检查麦克风是否接好；灵音会自动重试。也可以在设置里选择另一个输入设备。"
    if "weather" in low or "network" in low:
        return "天气需要联网；请检查网络或设置里的天气服务地址。"
    return "可以在下方输入框里打字下命令；如果问题持续，请重新打开灵音。"


class MainWindow(QMainWindow):
    def __init__(self, bridge: Bridge, history: HistoryStore, mode: Mode = Mode.PTT) -> None:
        super().__init__()
        self.bridge = bridge
        self.history = history
        self.setWindowTitle("灵音 Lingyin")
        self.resize(760, 560)
        self._space_down = False
        self._ptt_latched = False  # push-to-talk held down by `lingyin ptt`
        self._quitting = False
        self.tray: Tray | None = None
        self._build(mode)
        self._connect()
        for entry in history.entries:
            self.history_view.add(entry)
        self._set_ready(bridge.is_ready)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # Space anywhere in the window, except in text boxes

    # ---- layout ---------------------------------------------------------------------------
    def _build(self, mode: Mode) -> None:
        self.state_light = StateIndicator()
        self.mode_box = QComboBox()
        for value, label in MODES:
            self.mode_box.addItem(label, value)
        self.mode_box.setCurrentIndex([m for m, _ in MODES].index(mode))
        self.mute_button = QPushButton("静音")
        self.mute_button.setCheckable(True)
        self.edit_button = QPushButton("编辑语法")
        self.settings_button = QPushButton("设置")
        top = QHBoxLayout()
        top.addWidget(self.state_light, 1)
        top.addWidget(QLabel("模式"))
        top.addWidget(self.mode_box)
        top.addWidget(self.mute_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.settings_button)

        self.meter = LevelMeter()
        self.partial = QLabel("")
        self.partial.setStyleSheet("color: #555; font-size: 16px;")
        self.errors = ErrorBanner()
        self.ptt = PttButton()

        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索记录…")
        self.search.setClearButtonEnabled(True)
        self.clear_button = QPushButton("清空记录")
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.clear_button)
        self.history_view = HistoryView()

        self.command = QLineEdit()
        self.command.setPlaceholderText("输入命令，例如：现在几点")
        self.send = QPushButton("发送")
        typed = QHBoxLayout()
        typed.addWidget(self.command, 1)
        typed.addWidget(self.send)

        column = QVBoxLayout()
        column.addLayout(top)
        column.addWidget(self.meter)
        column.addWidget(self.partial)
        column.addWidget(self.errors)
        column.addWidget(self.ptt)
        column.addLayout(filters)
        column.addWidget(self.history_view, 1)
        column.addLayout(typed)
        body = QWidget()
        body.setLayout(column)
        self.setCentralWidget(body)

    def _connect(self) -> None:
        b = self.bridge
        b.loading.connect(lambda: self.state_light.set_state("loading"))
        b.ready.connect(lambda: self._set_ready(True))
        b.failed.connect(self._failed)
        b.state.connect(self._state)
        b.partial.connect(self.partial.setText)
        b.heard.connect(lambda text: self.partial.setText(f"听到：{text}" if text else ""))
        b.turn.connect(self._turn)
        b.error.connect(self.show_error)
        b.announced.connect(lambda text: self.partial.setText(f"⏰ {text}"))
        b.level.connect(self.meter.set_rms)
        b.stopped.connect(lambda: self.state_light.set_state("stopped"))
        self.ptt.pressed.connect(b.press)
        self.ptt.released.connect(b.release)
        self.mode_box.currentIndexChanged.connect(
            lambda i: b.set_mode(self.mode_box.itemData(i)))
        self.mute_button.toggled.connect(self._mute)
        self.edit_button.clicked.connect(self.open_editor)
        self.settings_button.clicked.connect(self.open_settings)
        self.search.textChanged.connect(self.history_view.apply_filter)
        self.clear_button.clicked.connect(self._clear)
        self.command.returnPressed.connect(self._send)
        self.send.clicked.connect(self._send)

    # ---- reactions ------------------------------------------------------------------------
    def _set_ready(self, ready: bool) -> None:
        for widget in (self.ptt, self.mode_box, self.mute_button, self.send, self.edit_button):
            widget.setEnabled(ready)

    def _failed(self, message: str) -> None:
        self.state_light.set_state("failed")
        self.show_error(message)

    def _state(self, state: str) -> None:
        self.state_light.set_state(state)
        if state in ("muted", "device_lost"):
            self.meter.set_rms(0.0)
        if state == "capture":
            self.partial.setText("")

    def _turn(self, entry: HistoryEntry) -> None:
        self.history.add(entry)
        self.history_view.add(entry)

    def _mute(self, on: bool) -> None:
        self.mute_button.setText("取消静音" if on else "静音")
        self.bridge.mute(on)

    def open_editor(self) -> None:
        """The grammar editor on the grammar in force; saving reloads it (the old one stays in
        force when the new one is broken, and the editor says so)."""
        from app.gui.editor import GrammarEditor

        store = self.bridge.grammar_store()
        if store is None:
            return
        folder = store.path if store.path.is_dir() else store.path.parent
        self._editor = GrammarEditor(folder, store.lists_dir, self.bridge.reload_grammar)
        self._editor.setWindowTitle("灵音 · 编辑语法")
        self._editor.resize(900, 640)
        self._editor.show()

    def open_settings(self) -> None:
        """The settings dialog on the user's settings file; listening settings take effect at
        the next start (the dialog says so)."""
        from app.gui.settings import SettingsDialog

        self._settings_dialog = SettingsDialog(parent=self)
        self._settings_dialog.resize(620, 720)
        self._settings_dialog.show()

    def _clear(self) -> None:
        self.history.clear()
        self.history_view.clear()

    def _send(self) -> None:
        text = self.command.text().strip()
        if text and self.bridge.is_ready:
            self.bridge.type_text(text)
            self.command.clear()

    def show_error(self, message: str) -> None:
        self.errors.show_problem(message, advice_for(message))

    # ---- push-to-talk from the keyboard, quitting -----------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and \
                self._space_for_ptt(watched, event):
            pressed = event.type() == QEvent.Type.KeyPress
            if event.isAutoRepeat() or pressed == self._space_down:  # type: ignore[attr-defined]
                return True
            self._space_down = pressed
            self.ptt.setDown(pressed)
            if pressed:
                self.bridge.press()
            else:
                self.bridge.release()
            return True
        return super().eventFilter(watched, event)

    def _space_for_ptt(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, QKeyEvent) or event.key() != Qt.Key.Key_Space:
            return False
        if event.type() == QEvent.Type.KeyRelease and self._space_down:
            return True
        if event.modifiers() != Qt.KeyboardModifier.NoModifier or not self.ptt.isEnabled():
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self:
            return False
        typing = (QLineEdit, QComboBox)
        return not isinstance(watched, typing) and not isinstance(QApplication.focusWidget(),
                                                                   typing)

    # ---- the outside world: a second `lingyin`, `lingyin ptt`, the tray --------------------
    def remote(self, command: str) -> None:
        """A command from another `lingyin` process (app/gui/instance.py)."""
        if command == "show":
            self.bring_forward()
        elif command == "ptt":
            self.toggle_ptt()

    def bring_forward(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def toggle_ptt(self) -> None:
        """Push-to-talk as a toggle: the first call presses, the next releases."""
        if not self.ptt.isEnabled() and not self._ptt_latched:
            return  # the core is not ready yet: nothing to press
        self._ptt_latched = not self._ptt_latched
        self.ptt.setDown(self._ptt_latched)
        if self._ptt_latched:
            self.bridge.press()
        else:
            self.bridge.release()

    def set_tray(self, tray: Tray) -> None:
        """With a tray, closing the window hides it; quitting is the tray menu's."""
        self.tray = tray
        QApplication.setQuitOnLastWindowClosed(False)

    def quit_app(self) -> None:
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray is not None and self.tray.available() and not self._quitting:
            event.ignore()
            self.hide()
            self.tray.closed_to_tray()
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.bridge.shutdown()
        super().closeEvent(event)
        if self.tray is not None:
            self.tray.hide()
            QApplication.quit()  # the last window closing no longer quits by itself
