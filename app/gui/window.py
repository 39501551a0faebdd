"""The main window: state, microphone level, partial transcript, push-to-talk (held or toggled;
the button, Space, the global hotkey and `lingyin ptt`), mode, mute, the conversation history
(timers going off included) and a box to type a command. It talks to the core only through the
Bridge; everything slow happens on the core's threads."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QCloseEvent
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

from app.config import AppSettings, load_settings, save_settings
from app.gui.bridge import Bridge
from app.gui.held_key import HeldSpace
from app.gui.history import HistoryEntry, HistoryStore
from app.gui.hotkey import (
    HotkeyBackend,
    HotkeyRelay,
    NoticeFlag,
    choose_backend,
    parse_hotkey,
    unavailable_message,
)
from app.gui.problems import FileNotices, InfoBanner, ProblemBanner, explain
from app.gui.widgets import HistoryView, LevelMeter, PttButton, StateIndicator
from app.listener.machine import Mode

if TYPE_CHECKING:
    from app.gui.tray import Tray

log = logging.getLogger("lingyin.gui")
MODES = [(Mode.PTT, "按键说话"), (Mode.WAKE, "唤醒词")]
NO_WAKE_PHRASES = ("唤醒词模式需要至少一个唤醒词：请在“设置”里添加（例如 你好小灵），"
                   "再切换到唤醒词。")
PTT_STYLES = [(False, "按住说话"), (True, "按一下开始、再按结束")]


def advice_for(message: str) -> str:
    return explain(message).advice  # what the person can do (app/gui/problems.py)


class MainWindow(QMainWindow):
    def __init__(self, bridge: Bridge, history: HistoryStore, mode: Mode = Mode.PTT,
                 settings: AppSettings | None = None, settings_file: Path | None = None,
                 notice: NoticeFlag | None = None) -> None:
        super().__init__()
        self.bridge = bridge
        self.history = history
        self.settings_file = settings_file
        self.settings = settings or load_settings(settings_file)
        self.notice = notice or NoticeFlag()
        self.setWindowTitle("灵音 Lingyin")
        self.resize(760, 560)
        self._talking = False  # push-to-talk is down (held, or latched in toggle mode)
        self._quitting = False
        self.tray: Tray | None = None
        self.hotkey: HotkeyBackend | None = None
        self.hotkey_relay: HotkeyRelay | None = None  # the running backend's reports
        self._build(mode)
        self._connect()
        self.files.watch()  # damaged settings, history or timers: what was kept, where
        for entry in history.entries:
            self.history_view.add(entry)
        self._set_ready(bridge.is_ready)
        self.space = HeldSpace(self, self.ptt.isEnabled, self._ptt_input)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.space)  # Space anywhere in the window, not in text boxes

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
        self.errors = ProblemBanner()
        self.info = InfoBanner()
        self.files = FileNotices()
        self.ptt = PttButton()
        self.ptt_style = QComboBox()
        for toggle, label in PTT_STYLES:
            self.ptt_style.addItem(label, toggle)
        self.ptt_style.setCurrentIndex(1 if self.settings.ptt_toggle else 0)
        self.ptt_style.setToolTip("按住说话：按下开始听、松开结束；"
                                  "按一下开始、再按结束：适合不方便一直按住时")
        self.hotkey_label = QLabel("")
        self.hotkey_label.setStyleSheet("color: #666;")
        talk = QHBoxLayout()
        talk.addWidget(self.ptt, 1)
        talk.addWidget(self.ptt_style)
        talk.addWidget(self.hotkey_label)

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
        column.addWidget(self.info)
        column.addWidget(self.files)
        column.addLayout(talk)
        column.addLayout(filters)
        column.addWidget(self.history_view, 1)
        column.addLayout(typed)
        body = QWidget()
        body.setLayout(column)
        self.setCentralWidget(body)
        self._ptt_text()

    def _connect(self) -> None:
        b = self.bridge
        # bound methods, not lambdas: Qt drops them with the window (the bridge may outlive it)
        b.loading.connect(self._loading)
        b.ready.connect(self._ready)
        b.failed.connect(self._failed)
        b.state.connect(self._state)
        b.partial.connect(self.partial.setText)
        b.heard.connect(self._heard)
        b.turn.connect(self._turn)
        b.error.connect(self.show_error)
        b.announced.connect(self._announced)
        b.level.connect(self._level)
        b.stopped.connect(self._stopped)
        self.ptt.pressed.connect(lambda: self._ptt_input(True))
        self.ptt.released.connect(self._button_released)
        self.ptt_style.currentIndexChanged.connect(self._style_chosen)
        self.mode_box.currentIndexChanged.connect(self._mode_chosen)
        self.mute_button.toggled.connect(self._mute)
        self.edit_button.clicked.connect(self.open_editor)
        self.settings_button.clicked.connect(self.open_settings)
        self.search.textChanged.connect(self.history_view.apply_filter)
        self.clear_button.clicked.connect(self._clear)
        self.command.returnPressed.connect(self._send)
        self.send.clicked.connect(self._send)

    # ---- reactions ------------------------------------------------------------------------
    def _loading(self) -> None:
        self.state_light.set_state("loading")

    def _ready(self) -> None:
        self._set_ready(True)

    def _stopped(self) -> None:
        self.state_light.set_state("stopped")

    def _set_ready(self, ready: bool) -> None:
        # 编辑语法 stays enabled: a grammar can always be fixed from the window, even when the
        # core could not start (or is still loading)
        for widget in (self.ptt, self.mode_box, self.mute_button, self.send):
            widget.setEnabled(ready)
        if not ready:
            self._talk(False)

    def _failed(self, message: str) -> None:
        self.state_light.set_state("failed")
        self.show_error(message)

    def _state(self, state: str) -> None:
        lost = self.state_light.state == "device_lost"
        self.state_light.set_state(state)
        if state in ("muted", "device_lost"):
            self.meter.set_rms(0.0)
        elif lost:
            self._microphone_back()
        if state == "capture":
            self.partial.setText("")

    def _level(self, value: float) -> None:
        self.meter.set_rms(value)
        if value > 0.0 and self.state_light.state not in ("device_lost", "muted"):
            self._microphone_back()

    def _microphone_back(self) -> None:
        """Sound comes in again: a banner saying the microphone was silent or gone is over."""
        explained = self.errors.explained
        if explained is not None and explained.topic == "microphone" and self.errors.isVisible():
            self.errors.hide()

    def _heard(self, text: str) -> None:
        self.partial.setText(f"听到：{text}" if text else "")

    def _turn(self, entry: HistoryEntry) -> None:
        self.history.add(entry)
        self.history_view.add(entry)

    def _announced(self, text: str) -> None:
        """A timer or alarm went off: shown above and kept in the history (the tray, where
        there is one, also notifies)."""
        if text:
            self.partial.setText(f"提醒：{text}")  # no emoji: the bundled CJK font has none
            self._turn(HistoryEntry.announcement(text, time.time()))

    def _mute(self, on: bool) -> None:
        self.mute_button.setText("取消静音" if on else "静音")
        self.bridge.mute(on)

    def open_editor(self) -> None:
        """The grammar editor on the grammar in force; saving reloads it (the old one stays in
        force when the new one is broken, and the editor says so)."""
        from app.gui.editor import GrammarEditor

        store = self.bridge.grammar_store()
        if store is not None:
            folder, lists_dir = (store.path if store.path.is_dir() else store.path.parent,
                                 store.lists_dir)
        else:  # no core yet (loading, or it failed): the user's own grammar
            from intents.store import ensure_user_grammar

            folder, lists_dir = ensure_user_grammar(), None
        from app.config import load_settings
        from app.listener.sources import MicrophoneSource

        device = load_settings().device  # "说一句" records from the chosen input device
        self._editor = GrammarEditor(folder, lists_dir, self.bridge.reload_grammar,
                                     audio_source=lambda: MicrophoneSource(device))
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
            self._heard(text)  # what the command was, as for a spoken one

    def show_error(self, message: str) -> None:
        self.errors.show_explained(explain(message))

    # ---- push-to-talk: held or toggled, from the button, Space, the hotkey, `lingyin ptt` ---
    @property
    def ptt_toggle(self) -> bool:
        return bool(self.ptt_style.currentData())

    def _talk(self, on: bool) -> None:
        """The one place push-to-talk goes down or up (the listener is told once)."""
        if on == self._talking or (on and not self.ptt.isEnabled()):
            return
        self._talking = on
        self.ptt.setDown(on)
        self._ptt_text()
        if on:
            self.bridge.press()
        else:
            self.bridge.release()

    def _ptt_input(self, down: bool, holds: bool = True) -> None:
        """A push-to-talk key went down or up: held, it talks while down; toggled (or a key
        whose release is not reported), each press starts or ends talking."""
        if self.ptt_toggle or not holds:
            if down:
                self._talk(not self._talking)
        else:
            self._talk(down)

    def _button_released(self) -> None:
        self._ptt_input(False)
        self.ptt.setDown(self._talking)  # latched in toggle mode: the button stays down

    def _hotkey_input(self, relay: HotkeyRelay, down: bool) -> None:
        if relay is self.hotkey_relay and self.hotkey is not None:  # not a stopped one's
            self._ptt_input(down, holds=self.hotkey.holds)

    def _hotkey_failed(self, relay: HotkeyRelay, reason: str) -> None:
        if relay is self.hotkey_relay:
            self.hotkey_unavailable(reason)

    def toggle_ptt(self) -> None:
        """Push-to-talk as a toggle (`lingyin ptt`): the first call presses, the next releases."""
        self._talk(not self._talking)

    def _ptt_text(self) -> None:
        if self._talking and self.ptt_toggle:
            self.ptt.setText("正在听…再按一下结束 (空格)")
        else:
            self.ptt.setText("按一下开始说话 (空格)" if self.ptt_toggle else "按住说话 (空格)")

    def _style_chosen(self, index: int) -> None:
        toggle = bool(self.ptt_style.itemData(index))
        self._talk(False)
        self._ptt_text()
        self.settings = replace(self.settings, ptt_toggle=toggle)
        self._remember("the push-to-talk style", ptt_toggle=toggle)

    def _mode_chosen(self, index: int) -> None:
        """The mode from the box (or the tray, which sets the box): told to the listener and
        kept in the settings for the next start."""
        mode = Mode(self.mode_box.itemData(index))  # Qt gives the item's data back as a str
        if mode is Mode.WAKE and self.bridge.is_ready and not self.bridge.can_spot:
            self.info.show_notice(NO_WAKE_PHRASES)
            self.mode_box.setCurrentIndex(0)  # back to push-to-talk (the tray follows)
            return
        self.bridge.set_mode(mode)
        self.settings = replace(self.settings, mode=mode.value)
        self._remember("the mode", mode=mode.value)

    def _remember(self, what: str, **changes: Any) -> None:
        """Write ``changes`` over the settings file as it is now."""
        try:
            save_settings(replace(load_settings(self.settings_file), **changes),
                          self.settings_file)
        except OSError as exc:
            log.warning("cannot save %s (%s)", what, exc)

    # ---- the global hotkey -----------------------------------------------------------------
    def start_hotkey(self, backend: HotkeyBackend | None = None, reason: str = "") -> None:
        """Watch the global hotkey: ``backend`` (tests pass one), else the one for this desktop
        and the key in the settings. Where there is none (``reason``), the window says so once."""
        self.stop_hotkey()
        if backend is None and not reason:
            try:
                combo = parse_hotkey(self.settings.hotkey)
            except ValueError as exc:
                self.hotkey_unavailable(str(exc))
                return
            backend, reason = choose_backend(combo)
        if backend is None:
            self.hotkey_unavailable(reason)
            return
        self.hotkey, relay = backend, HotkeyRelay(self)
        self.hotkey_relay = relay
        relay.pressed.connect(lambda: self._hotkey_input(relay, True))
        relay.released.connect(lambda: self._hotkey_input(relay, False))
        relay.failed.connect(lambda why: self._hotkey_failed(relay, why))
        label = getattr(getattr(backend, "combo", None), "label", self.settings.hotkey)
        self.hotkey_label.setText(f"全局快捷键 {label}")
        self.hotkey_label.setToolTip("在任何窗口里都可以用它说话" + (
            "" if backend.holds else "（这个桌面只报告按下：按一下开始、再按结束）"))
        backend.start(relay)

    def stop_hotkey(self) -> None:
        backend, self.hotkey, self.hotkey_relay = self.hotkey, None, None
        if backend is not None:
            backend.stop()

    def hotkey_unavailable(self, reason: str) -> None:
        self.stop_hotkey()
        message = unavailable_message(reason)
        self.hotkey_label.setText("全局快捷键不可用")
        self.hotkey_label.setToolTip(message)
        if not self.notice.told(reason):  # said once per reason, then only in the tooltip
            self.info.show_notice(message)
            self.notice.remember(reason)

    def apply_settings(self, settings: AppSettings) -> None:
        """Saved settings that concern the window (the push-to-talk style, the hotkey)."""
        hotkey_changed = settings.hotkey != self.settings.hotkey
        self.settings = settings
        self.ptt_style.setCurrentIndex(1 if settings.ptt_toggle else 0)
        if hotkey_changed:
            self.start_hotkey()

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
            app.removeEventFilter(self.space)
        self.stop_hotkey()
        self.bridge.shutdown()
        super().closeEvent(event)
        if self.tray is not None:
            self.tray.hide()
            QApplication.quit()  # the last window closing no longer quits by itself
