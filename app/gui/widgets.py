"""Small widgets of the main window: state light, level meter, error banner, history table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.gui.history import HistoryEntry
from app.gui.levels import meter_fraction

# listener State value (and two of the window's own) → (label, colour)
STATES: dict[str, tuple[str, str]] = {
    "loading": ("正在加载模型…", "#888888"),
    "failed": ("无法启动", "#c0392b"),
    "idle": ("空闲 · 按住说话", "#7f8c8d"),
    "wake_listen": ("等待唤醒词", "#2980b9"),
    "capture": ("正在听", "#27ae60"),
    "follow_up": ("正在听（接着说）", "#27ae60"),
    "deciding": ("正在思考…", "#8e44ad"),
    "speaking": ("正在回答", "#d35400"),
    "muted": ("已静音", "#555555"),
    "device_lost": ("麦克风不可用", "#c0392b"),
    "stopped": ("已停止收音", "#555555"),
}


class StateIndicator(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = ""
        self.set_state("loading")

    def set_state(self, state: str) -> None:
        if state == self.state:
            return  # a style sheet is costly to apply again
        self.state = state
        label, colour = STATES.get(state, (state, "#888888"))
        self.setText(f"● {label}")
        self.setStyleSheet(f"color: {colour}; font-size: 18px; font-weight: bold;")


class LevelMeter(QProgressBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 100)
        self.setTextVisible(False)
        self.setFixedHeight(10)
        self.setToolTip("麦克风音量")

    def set_rms(self, value: float) -> None:
        shown = round(100 * meter_fraction(value))
        if shown != self.value():  # an unchanged level costs no call into Qt
            self.setValue(shown)


class Banner(QWidget):
    """A line of selectable text across the window with a 知道了 button, hidden until shown."""

    STYLE = "background: #fdecea; color: #8a1f11;"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("知道了")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.setStyleSheet(self.STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.hide()


class ErrorBanner(Banner):
    """A problem and what to do about it, until dismissed."""

    def show_problem(self, message: str, advice: str) -> None:
        self.label.setText(f"<b>出错了：</b>{escape_html(message)}<br><b>怎么办：</b>{escape_html(advice)}")
        self.show()

    @property
    def text(self) -> str:
        return self.label.text()


class PttButton(QPushButton):
    """Held down: pressed() → the listener's press(), released() → release()."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("按住说话 (空格)", parent)
        self.setMinimumHeight(44)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space is the window's shortcut


class HistoryView(QTreeWidget):
    """The conversation, newest at the bottom; ``apply_filter`` hides what does not match."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["时间", "听到", "意图", "回复"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(1, 170)
        self.setColumnWidth(2, 200)
        self._needle = ""

    def add(self, entry: HistoryEntry) -> None:
        item = QTreeWidgetItem([entry.clock, shown(entry.text), entry.meaning, entry.reply])
        item.setData(0, Qt.ItemDataRole.UserRole, entry)
        for column in range(4):
            item.setToolTip(column, item.text(column))
        self.addTopLevelItem(item)
        item.setHidden(not entry.matches(self._needle))
        self.scrollToItem(item)

    def items(self) -> list[QTreeWidgetItem]:
        found = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item for item in found if item is not None]

    def entries(self, visible_only: bool = False) -> list[HistoryEntry]:
        return [it.data(0, Qt.ItemDataRole.UserRole) for it in self.items()
                if not (visible_only and it.isHidden())]

    def apply_filter(self, needle: str) -> None:
        self._needle = needle
        for item in self.items():
            entry: HistoryEntry = item.data(0, Qt.ItemDataRole.UserRole)
            item.setHidden(not entry.matches(needle))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selected()
            return
        super().keyPressEvent(event)

    def copy_selected(self) -> None:
        rows = [it.data(0, Qt.ItemDataRole.UserRole).as_text() for it in self.selectedItems()]
        text = "\n".join(rows)
        if text:
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(text)


NO_GLYPH = ("⏰",)  # emoji the bundled CJK font (fonts-wqy-microhei) lacks: drawn as a box


def shown(text: str) -> str:
    """``text`` without the emoji no bundled font can draw (an old history's "⏰ 到点了")."""
    for emoji in NO_GLYPH:
        text = text.replace(emoji, "")
    return text.strip()


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        "\n", "<br>")
