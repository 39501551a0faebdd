"""The lists editor: the grammar's value lists (contacts, apps, songs, cities, rooms, devices…)
as a searchable table, a tab of the grammar editor.

Pick a list, add, edit or delete rows (a row is a spoken form and, for an alias or another
pronunciation, the value it stands for); for contacts also the phone numbers, and "导入 vCard…"
(the import runs on the worker). The rows live in a model/view table, so the 2,600 cities are
as quick as six rooms. Save writes the changed lists atomically, then runs ``after_save`` (the
grammar editor's reload) on the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.actions.contacts import ContactStore
from app.gui.editor_model import SaveResult
from app.gui.editor_widgets import ProblemList
from app.gui.gui_thread import gui_mailbox
from app.gui.lists_model import (
    ImportOutcome,
    ListDoc,
    ListEditError,
    after_import,
    list_names,
    run_import,
    title,
)

Index = QModelIndex | QPersistentModelIndex
Submit = Callable[[Callable[[], None]], None]
SPOKEN, VALUE, PHONES = 0, 1, 2
GENERATED = QColor("#777777")
NEW_ITEM = "新的一项"
HEADERS = ("说法", "对应的值（别名/读音；空＝同说法）", "电话（手机 138…，用逗号分隔）")
ROOT = QModelIndex()


class ItemsModel(QAbstractTableModel):
    """The rows of one :class:`ListDoc`; a refused edit is reported through ``problem``."""

    problem = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc: ListDoc | None = None

    def set_doc(self, doc: ListDoc | None) -> None:
        self.beginResetModel()
        self.doc = doc
        self.endResetModel()

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() or self.doc is None else len(self.doc.items)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 3 if self.doc is not None and self.doc.is_contacts else 2

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.doc is None or not index.isValid():
            return None
        item = self.doc.items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if index.column() == SPOKEN:
                return item.spoken
            if index.column() == VALUE:
                return item.value
            return self.doc.phones_of(index.row())
        if role == Qt.ItemDataRole.ForegroundRole and item.generated and index.column() != PHONES:
            return QBrush(GENERATED)
        if role == Qt.ItemDataRole.ToolTipRole and item.generated:
            return "导入时自动生成的一项：重新导入时会重写"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if self.doc is None or not index.isValid():
            return base
        if index.column() == PHONES or not self.doc.items[index.row()].generated:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if self.doc is None or not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        try:
            if index.column() == SPOKEN:
                self.doc.edit(index.row(), spoken=str(value))
            elif index.column() == VALUE:
                self.doc.edit(index.row(), value=str(value))
            else:
                self.doc.set_phones(index.row(), str(value))
        except ListEditError as exc:
            self.problem.emit(str(exc))
            return False
        first = self.index(0, PHONES if index.column() == PHONES else index.column())
        last = self.index(self.rowCount() - 1, first.column())
        self.dataChanged.emit(first, last)  # an alias row shows the same numbers
        return True

    def add(self) -> int:
        assert self.doc is not None
        row = sum(1 for it in self.doc.items if not it.generated)
        self.beginInsertRows(QModelIndex(), row, row)
        self.doc.add(NEW_ITEM)
        self.endInsertRows()
        return row

    def remove(self, row: int) -> None:
        assert self.doc is not None
        try:
            self.doc.check_delete(row)
        except ListEditError as exc:
            self.problem.emit(str(exc))
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self.doc.delete(row)
        self.endRemoveRows()


class ListsSignals(QObject):
    imported = Signal(object)  # ImportOutcome
    reloaded = Signal(object)  # editor_model.SaveResult


class ListsEditor(QWidget):
    """``submit`` runs a job on the grammar editor's worker; ``after_save`` (on the worker)
    runs the grammar's tests and the app's reload (editor_model.after_save)."""

    saved = Signal()  # lists written and reloaded

    def __init__(self, lists_dir: Path, store: ContactStore, submit: Submit,
                 after_save: Callable[[], SaveResult] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lists_dir, self.store = Path(lists_dir), store
        self._submit, self._after_save = submit, after_save
        self.docs: dict[str, ListDoc] = {}
        self.last_import: ImportOutcome | None = None
        self._signals = ListsSignals(self)
        self._mail = gui_mailbox(self)  # the worker's results reach Qt on the GUI thread only
        self._build()
        self._connect()
        self.select("contacts")

    def _build(self) -> None:
        self.chooser = QComboBox()
        for name in list_names(self.lists_dir):
            self.chooser.addItem(title(name), name)
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索…")
        self.search.setClearButtonEnabled(True)
        self.model = ItemsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.add_button, self.delete_button = QPushButton("添加"), QPushButton("删除")
        self.import_button = QPushButton("导入 vCard…")
        self.save_button = QPushButton("保存清单")
        self.count_label, self.status = QLabel(""), QLabel("")
        self.status.setWordWrap(True)
        self.problem_list = ProblemList(90)
        top = QHBoxLayout()
        top.addWidget(QLabel("清单"))
        top.addWidget(self.chooser)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.delete_button, self.import_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.problem_list)

    def _connect(self) -> None:
        self.chooser.currentIndexChanged.connect(
            lambda i: self.select(str(self.chooser.itemData(i))))
        self.search.textChanged.connect(self._filter)
        self.add_button.clicked.connect(self.add_item)
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button.clicked.connect(self._pick_file)
        self.save_button.clicked.connect(self.save)
        self.model.problem.connect(lambda text: self._say(text, bad=True))
        self.model.dataChanged.connect(lambda *_: self._count())
        self._signals.imported.connect(self._imported)
        self._signals.reloaded.connect(self._reloaded)

    # ---- lists ----------------------------------------------------------------------------
    @property
    def doc(self) -> ListDoc | None:
        return self.model.doc

    def select(self, name: str) -> None:
        """Show list ``name`` (loaded once; unsaved edits stay while switching)."""
        doc = self.docs.get(name)
        if doc is None:
            try:
                doc = ListDoc.load(name, self.lists_dir, self.store)
            except ListEditError as exc:
                self._say(str(exc), bad=True)
                return
            self.docs[name] = doc
        self.model.set_doc(doc)
        self.import_button.setVisible(doc.is_contacts)
        row = self.chooser.findData(name)
        if row >= 0 and self.chooser.currentIndex() != row:
            self.chooser.setCurrentIndex(row)
        self._count()

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._count()

    def _count(self) -> None:
        doc = self.doc
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        mark = " *" if doc is not None and doc.dirty else ""
        self.count_label.setText(f"{shown} / {total} 项{mark}" if shown != total
                                 else f"{total} 项{mark}")

    def visible_spoken(self) -> list[str]:
        return [str(self.proxy.index(r, SPOKEN).data()) for r in range(self.proxy.rowCount())]

    # ---- edits ----------------------------------------------------------------------------
    def add_item(self) -> None:
        if self.doc is None:
            return
        self.search.clear()
        row = self.model.add()
        index = self.proxy.mapFromSource(self.model.index(row, SPOKEN))
        self.table.scrollTo(index)
        self.table.setCurrentIndex(index)
        self.table.edit(index)
        self._count()

    def delete_selected(self) -> None:
        rows = sorted({self.proxy.mapToSource(i).row()
                       for i in self.table.selectionModel().selectedRows()}, reverse=True)
        for row in rows:
            self.model.remove(row)
        self._count()

    def _say(self, text: str, bad: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c0392b; font-weight: bold;" if bad
                                  else "color: #1e7e34;")

    # ---- saving ---------------------------------------------------------------------------
    def dirty(self) -> list[str]:
        return [name for name, doc in self.docs.items() if doc.dirty]

    def save(self) -> None:
        """Write every changed list, then reload the grammar on the worker."""
        written = []
        for name in self.dirty():
            doc = self.docs[name]
            try:
                doc.save(self.store)
            except (ListEditError, OSError) as exc:
                self._say(f"无法保存 {doc.path}：{exc}", bad=True)
                return
            written.append(doc.path.name)
        self._count()
        if not written:
            self._say("没有要保存的修改")
            return
        self._say(f"已保存 {'、'.join(written)}，正在重新加载语法…")
        self._reload()

    def _reload(self) -> None:
        after_save = self._after_save
        self.save_button.setEnabled(False)
        def job() -> None:
            result = after_save() if after_save is not None else SaveResult((), None, "已保存。")
            self._mail.post(lambda: self._signals.reloaded.emit(result))

        self._submit(job)

    def _reloaded(self, result: SaveResult) -> None:
        self.save_button.setEnabled(True)
        previous = self.status.text().removesuffix("正在重新加载语法…")
        self._say(f"{previous}{result.summary}",
                  bad=result.old_grammar_kept or bool(result.problems))
        self.problem_list.show_problems(list(result.reload_problems or ()) or result.problems)
        self.saved.emit()

    # ---- vCard import (worker) ------------------------------------------------------------
    def _pick_file(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, "导入通讯录", str(Path.home()),
                                              "通讯录 (*.vcf *.vcard *.csv);;所有文件 (*)")
        if file:
            self.import_file(Path(file))

    def import_file(self, file: Path) -> None:
        """Import a vCard or CSV file into the contacts (off the GUI thread)."""
        self.import_button.setEnabled(False)
        self._say(f"正在导入 {file.name}…")
        store, lists_dir = self.store, self.lists_dir
        def job() -> None:
            outcome = run_import(file, store, lists_dir)
            self._mail.post(lambda: self._signals.imported.emit(outcome))

        self._submit(job)

    def _imported(self, outcome: ImportOutcome) -> None:
        self.import_button.setEnabled(True)
        self.last_import = outcome
        if not outcome.ok:
            self._say(outcome.message, bad=True)
            return
        doc = self.docs.get("contacts")
        if doc is not None:
            self.docs["contacts"] = after_import(doc, self.store)
            if self.doc is doc:
                self.select("contacts")
        self._say(f"{outcome.message}。正在重新加载语法…")
        self._reload()
