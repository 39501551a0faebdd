"""The grammar editor's parts: the text box (line numbers, marked lines), the problem list, and
the signals that carry the worker's results to the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit, QTextEdit, QWidget

from intents.errors import Problem

MARK_BACKGROUND = QColor("#fdd9d5")
MARK_NUMBER = QColor("#c0392b")


class LineNumbers(QWidget):
    """The gutter beside a :class:`CodeEditor`; it paints itself through the editor."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """A plain-text editor with line numbers; ``mark_lines`` highlights lines (from 1)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(False)
        self.gutter = LineNumbers(self)
        self._marked: dict[int, str] = {}
        self.blockCountChanged.connect(self._update_width)
        self.updateRequest.connect(self._update_gutter)
        self._update_width()

    # ---- marks ----------------------------------------------------------------------------
    def mark_lines(self, marks: dict[int, str]) -> None:
        """Highlight these lines (line → message, shown as the tooltip); {} clears."""
        self._marked = dict(marks)
        selections = []
        for line in sorted(self._marked):
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(MARK_BACKGROUND)
            selection.format.setProperty(
                QTextFormat.Property.FullWidthSelection, True)
            selection.format.setToolTip(self._marked[line])
            cursor = QTextCursor(block)
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)
        self.gutter.update()

    def marked_lines(self) -> list[int]:
        return sorted(self._marked)

    def go_to(self, line: int, col: int = 1) -> None:
        block = self.document().findBlockByNumber(max(0, line - 1))
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor,
                            min(max(0, col - 1), max(0, block.length() - 1)))
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus()

    # ---- the gutter -----------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _update_width(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_width()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self.gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(),
                                      area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self.gutter)
        painter.fillRect(event.rect(), QColor("#f3f3f3"))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        width = self.gutter.width() - 6
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                line = number + 1
                marked = line in self._marked
                if marked:
                    painter.fillRect(0, top, self.gutter.width(), height, MARK_BACKGROUND)
                painter.setPen(MARK_NUMBER if marked else QColor("#888888"))
                painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight, str(line))
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()


class EditorSignals(QObject):
    """Results from the editor's worker thread; Qt queues them to the GUI thread."""

    validated = Signal(int, object)  # generation, editor_model.Validation
    tried = Signal(str, str)  # sentence, its parse
    saved = Signal(object)  # editor_model.SaveResult
    heard = Signal(str)  # “说一句”: what was understood, or why not
    say_status = Signal(str)  # “说一句”: loading, listening…


class ProblemList(QListWidget):
    """Problems as `lingyin check-grammar` prints them (each item keeps its Problem, if any);
    hidden when there are none."""

    def __init__(self, height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaximumHeight(height)
        self.setStyleSheet("color: #8a1f11;")
        self.hide()

    def show_problems(self, problems: Sequence[Problem | str]) -> None:
        self.clear()
        for problem in problems:
            item = QListWidgetItem(str(problem))
            item.setData(Qt.ItemDataRole.UserRole, problem)
            self.addItem(item)
        self.setVisible(bool(problems))

    def lines(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]
