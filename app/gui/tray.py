"""The system tray: an icon with a menu (show/hide, mode, mute microphone, quit), notifications for
timers going off and for errors while the window is hidden, and "closing the window keeps Lingyin
running" (said once: the fact is remembered in the user data folder).

Only where the desktop has a tray (QSystemTrayIcon.isSystemTrayAvailable()); without one (a bare
X server, some Wayland desktops) there is no Tray and closing the window quits, as usual."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.datafiles import OBJECT_FILE, DataFile
from asr import settings

if TYPE_CHECKING:
    from app.gui.window import MainWindow

log = logging.getLogger("lingyin.gui")
STATE_FILE = "gui.json"
TITLE = "灵音"
STILL_RUNNING = "灵音仍在后台运行…点托盘图标打开窗口，或从它的菜单退出。"
MessageIcon = QSystemTrayIcon.MessageIcon


def app_icon() -> QIcon:
    """A drawn icon (a microphone on a blue disc): no image file to find."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#2f6fdf"))
    painter.drawEllipse(2, 2, 60, 60)
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(QRectF(24, 12, 16, 28), 8, 8)
    painter.drawRect(QRectF(30, 40, 4, 8))
    painter.drawRect(QRectF(22, 48, 20, 4))
    painter.end()
    return QIcon(pixmap)


class NoticeMemory:
    """Whether the person was told that closing the window keeps Lingyin running."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings.data_dir() / STATE_FILE

    def _read(self) -> dict[str, object]:
        return DataFile(self.path, OBJECT_FILE).read()  # a damaged file is kept, not lost

    @property
    def told(self) -> bool:
        return bool(self._read().get("tray_notice_shown"))

    def remember(self) -> None:
        data = self._read()
        data["tray_notice_shown"] = True
        try:
            DataFile(self.path, OBJECT_FILE).write_json(data)
        except OSError as exc:
            log.warning("%s: cannot remember the tray notice (%s)", self.path, exc)


class Tray(QObject):
    """The tray icon for one window. ``available`` says whether the desktop shows a tray now
    (tests force it); the window asks it when it is closed."""

    def __init__(self, window: MainWindow, icon: QSystemTrayIcon | None = None,
                 memory: NoticeMemory | None = None,
                 available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable) -> None:
        super().__init__(window)
        self.window = window
        self.memory = memory or NoticeMemory()
        self.available = available
        self.icon = icon or QSystemTrayIcon(app_icon(), self)
        self.icon.setToolTip("灵音 Lingyin")
        self.menu = self._build_menu()
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        bridge = window.bridge
        bridge.announced.connect(self.notify)
        bridge.error.connect(self._error)
        bridge.failed.connect(self._error)
        window.set_tray(self)
        self.icon.show()

    @classmethod
    def create(cls, window: MainWindow) -> Tray | None:
        """A tray for the window where the desktop has one; None where it has not."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            log.info("no system tray here: closing the window quits Lingyin")
            return None
        return cls(window)

    def _build_menu(self) -> QMenu:
        from app.gui.window import MODES

        menu = QMenu()
        self.show_action = QAction("显示/隐藏窗口", menu)
        self.show_action.triggered.connect(self.toggle_window)
        menu.addAction(self.show_action)
        modes = menu.addMenu("模式")
        self.mode_group = QActionGroup(menu)
        self.mode_actions: list[QAction] = []
        for index, (_, label) in enumerate(MODES):
            action = QAction(label, self.mode_group)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, i=index: self._choose_mode(i))
            modes.addAction(action)
            self.mode_actions.append(action)
        self.mute_action = QAction("麦克风静音", menu)
        self.mute_action.setCheckable(True)
        self.mute_action.triggered.connect(self._mute_from_menu)
        menu.addAction(self.mute_action)
        menu.addSeparator()
        quit_action = QAction("退出灵音", menu)
        quit_action.triggered.connect(self.window.quit_app)
        menu.addAction(quit_action)
        menu.aboutToShow.connect(self.sync)
        self.window.mode_box.currentIndexChanged.connect(lambda _: self.sync())
        self.window.mute_button.toggled.connect(lambda _: self.sync())
        self.sync()
        return menu

    def _choose_mode(self, index: int) -> None:
        self.window.mode_box.setCurrentIndex(index)  # the window tells the listener

    def _mute_from_menu(self) -> None:
        self.window.mute_button.setChecked(self.mute_action.isChecked())  # the window mutes

    def sync(self) -> None:
        """The menu follows the window's controls (enabled only once the core is ready)."""
        w = self.window
        self.mode_actions[w.mode_box.currentIndex()].setChecked(True)
        self.mute_action.setChecked(w.mute_button.isChecked())
        for action in (*self.mode_actions, self.mute_action):
            action.setEnabled(w.mute_button.isEnabled())
        self.show_action.setText("隐藏窗口" if w.isVisible() else "显示窗口")

    # ---- the window ------------------------------------------------------------------------
    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.window.bring_forward()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    def closed_to_tray(self) -> None:
        """The window was closed and hid: the first time ever, say Lingyin still runs."""
        if not self.memory.told:
            self.icon.showMessage(TITLE, STILL_RUNNING, MessageIcon.Information, 8000)
            self.memory.remember()

    # ---- notifications ---------------------------------------------------------------------
    def notify(self, text: str) -> None:
        """A timer, alarm or reminder went off (or anything else said unasked)."""
        if text:
            self.icon.showMessage(TITLE, text, MessageIcon.Information, 10000)

    def _error(self, message: str) -> None:
        if message and not self.window.isVisible():  # a visible window shows it already
            self.icon.showMessage(f"{TITLE}：出错了", message, MessageIcon.Warning, 10000)

    def hide(self) -> None:
        self.icon.hide()
