"""What the window says about the start beside its error banner: a line while something slow is
prepared (the first run's pinyin→Hanzi lexicon, ~30 s), and a banner while the user's grammar has
problems — Lingyin then runs on the last good copy (or the default grammar), and the banner's
button opens the editor, which puts the cursor on the broken line.

Only the GUI thread touches the widgets: the loader thread's notes (:meth:`StartNotes.note`) and
the grammar store's news (its ``subscribe``, called on whichever thread reloaded) are posted to
the GUI thread's mailbox (app/gui/gui_thread.py), never emitted as signals from those threads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QWidget,
)
from shiboken6 import isValid

from app.gui.gui_thread import Mailbox, shared_mailbox
from app.gui.problems import ProblemBanner
from app.gui.widgets import escape_html
from intents.store import Fallback, GrammarStatus, GrammarStore

USED_INSTEAD = {
    Fallback.LAST_GOOD: "灵音正在使用上次能用的语法",
    Fallback.BUNDLED: "灵音正在使用自带的默认语法",
    Fallback.NONE: "灵音仍在使用修改前的语法",
}


class PreparingLine(QWidget):
    """A busy bar and what is being prepared; hidden when there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        bar = QProgressBar()
        bar.setRange(0, 0)  # busy: the build reports no progress
        bar.setFixedWidth(120)
        bar.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(bar)
        self.setStyleSheet("color: #5d4200;")
        self.hide()

    def show_note(self, text: str) -> None:
        self.label.setText(text)
        self.setVisible(bool(text))


def grammar_summary(status: GrammarStatus) -> str:
    """``你的语法文件 home.yaml 第 12 行有错（共 2 处），灵音正在使用上次能用的语法。``"""
    first = status.problems[0]
    count = len(status.problems)
    more = f"（共 {count} 处）" if count > 1 else ""
    return (f"你的语法文件 {PurePath(first.loc.file).name} 第 {first.loc.line} 行有错{more}，"
            f"{USED_INSTEAD[status.fallback]}。")


class GrammarBanner(QWidget):
    """The user's grammar has problems: where the first one is, what runs instead, and a button
    that opens the editor there. ``watch`` follows a store (the one in force after each start
    or settings change); its news reaches the banner through ``mailbox``."""

    def __init__(self, open_editor: Callable[[], None], mailbox: Mailbox,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mailbox = mailbox
        self.status = GrammarStatus()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("打开编辑器改正")
        self.button.clicked.connect(open_editor)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.setStyleSheet("background: #fdecea; color: #8a1f11;")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._watching: list[Callable[[], None]] = []  # unsubscribes from the store watched
        watching = self._watching
        self.destroyed.connect(lambda *_: _unsubscribe(watching))
        self.hide()

    def watch(self, store: GrammarStore | None) -> None:
        _unsubscribe(self._watching)
        if store is not None:
            self._watching.append(store.subscribe(self._changed))
            self.show_status(store.status)

    def _changed(self, status: GrammarStatus) -> None:
        """From the thread that reloaded the grammar: shown on the GUI thread."""
        self.mailbox.call(lambda: self.show_status(status) if isValid(self) else None)

    def show_status(self, status: GrammarStatus) -> None:
        self.status = status
        if not status.problems:
            self.hide()
            return
        first = status.problems[0]
        self.label.setText(f"<b>出错了：</b>{escape_html(grammar_summary(status))}<br>"
                           f"<small style='color:#7a4a44'>详情：{escape_html(str(first))}"
                           "</small>")
        self.button.setText(f"打开编辑器（第 {first.loc.line} 行）")
        self.show()


class StartNotes(QObject):
    """The preparing line and the grammar banner, placed beside ``window``'s error banner and
    following ``bridge``: the line hides once the core is up or failed; the banner watches the
    store of every core that comes up. Lives (and goes) with the window's widgets."""

    def __init__(self, window: Any, bridge: Any) -> None:
        preparing = PreparingLine()
        super().__init__(preparing)
        self.mailbox = shared_mailbox()
        self.preparing = preparing
        self.banner = GrammarBanner(window.open_editor, self.mailbox)
        for widget in (self.banner, self.preparing):
            _place(window, widget)
        self.bridge = bridge
        bridge.ready.connect(self._ready)  # bound methods: dropped with the window
        bridge.failed.connect(self._failed)

    def note(self, text: str) -> None:
        """Say what is being prepared ('' when done); any thread."""
        line = self.preparing
        self.mailbox.call(lambda: line.show_note(text) if isValid(line) else None)

    def _ready(self) -> None:
        self.preparing.show_note("")
        store = self.bridge.grammar_store()
        self.banner.watch(store if isinstance(store, GrammarStore) else None)

    def _failed(self, _message: str) -> None:
        self.preparing.show_note("")


def _unsubscribe(watching: list[Callable[[], None]]) -> None:
    while watching:
        watching.pop()()


def _place(window: QWidget, widget: QWidget) -> None:
    """Right below the window's error banner (the top of the window without one)."""
    host = window.centralWidget() if isinstance(window, QMainWindow) else window
    layout = host.layout() if host is not None else None
    if not isinstance(layout, QBoxLayout):
        widget.setParent(window)
        return
    errors = host.findChild(ProblemBanner) if host is not None else None
    index = layout.indexOf(errors) if errors is not None else -1
    layout.insertWidget(index + 1, widget)
