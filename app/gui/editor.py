"""The grammar editor: the grammar files of a folder, checked as you type.

Left, the files; right, the text with line numbers. About 400 ms after the last keystroke the
edited grammar (unsaved buffers over the files on disk, in a temporary copy) is loaded on a
worker thread; its problems appear under the text exactly as `lingyin check-grammar` prints them,
and the offending lines are marked. "试一句" parses a sentence against the edited grammar. Save
writes the changed files atomically, runs the grammar's own tests and calls ``on_saved`` (the
app's reload, which keeps the old grammar when the new one is broken) — both on the worker.
"说一句" records one sentence (the microphone, or the injected ``audio_source``) and shows what
the edited grammar understands of it (app/gui/say_it.py). The second tab edits the grammar's
lists (app/gui/lists_editor.py); saving a list goes through the same tests and reload.
Every check knows the app's built-in actions: an unknown action name, or an intent without a slot
its action needs, is a problem like any other. Opened on a broken grammar, the editor puts the
cursor on the first problem's line (where the window's banner, after a start on the last good
grammar, leads).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.actions.contacts import ContactStore, store_path
from app.assistant.build import known_actions as builtin_actions
from app.gui.editor_model import (
    SaveResult,
    Validation,
    Worker,
    WorkerState,
    after_save,
    describe,
    grammar_file_names,
    lists_folder,
    save_files,
    validate,
)
from app.gui.editor_widgets import CodeEditor, EditorSignals, ProblemList
from app.gui.gui_thread import gui_mailbox
from app.gui.lists_editor import ListsEditor
from app.gui.say_it import SayIt, SourceFactory, SpeechModels
from intents.errors import Problem
from intents.model import KnownActions

DEBOUNCE_MS = 400
TRY_DEBOUNCE_MS = 150
OnSaved = Callable[[], list[str]]


class GrammarEditor(QWidget):
    def __init__(self, folder: Path, lists_dir: Path | None = None,
                 on_saved: OnSaved | None = None, parent: QWidget | None = None, *,
                 contacts: ContactStore | None = None,
                 audio_source: SourceFactory | None = None,
                 speech_models: SpeechModels | None = None,
                 known_actions: KnownActions | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.lists_dir = lists_folder(self.folder, lists_dir)
        self.on_saved = on_saved
        self.known_actions = known_actions if known_actions is not None else builtin_actions()
        self._placed = False  # the cursor was put on the first problem (once, on opening)
        self.setWindowTitle(f"编辑语法 — {self.folder}")
        self.resize(1000, 680)
        self._names = grammar_file_names(self.folder, self.lists_dir)
        self._saved = {n: (self.folder / n).read_text(encoding="utf-8") for n in self._names}
        self._texts = dict(self._saved)
        self._current: str | None = None
        self._switching = False
        self._generation = 0
        self.validation: Validation | None = None
        self.problems: tuple[Problem, ...] = ()
        self._results = EditorSignals(self)
        self._mail = gui_mailbox(self)  # the worker's results reach Qt on the GUI thread only
        self._state = WorkerState()
        self._worker: Worker | None = Worker()
        self._contacts = contacts or ContactStore(store_path())
        self.say_it = SayIt(audio_source, speech_models)
        self._build()
        self._connect()
        if self._names:
            self.open_file(self._names[0])
        self.validate_now()

    # ---- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.file_list = QListWidget()
        for name in self._names:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.file_list.addItem(item)
        self.code = CodeEditor()
        self.status = QLabel("正在检查…")
        self.problem_list = ProblemList(120)
        self.try_box = QLineEdit()
        self.try_box.setPlaceholderText("输入一句话，看它被理解成什么，例如：把音量调到三十")
        self.try_result = QLabel("")
        self.try_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        tryrow = QHBoxLayout()
        tryrow.addWidget(QLabel("试一句"))
        tryrow.addWidget(self.try_box, 2)
        tryrow.addWidget(self.try_result, 3)
        self.say_button = QPushButton("说一句")
        self.say_button.setToolTip("对着麦克风说一句命令，看修改后（未保存）的语法怎么理解它")
        tryrow.addWidget(self.say_button)
        self.say_result = QLabel("")
        self.say_result.setWordWrap(True)
        self.say_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = QPushButton("保存")
        self.save_status = QLabel("")
        self.save_status.setWordWrap(True)
        self.test_list = ProblemList(90)
        saverow = QHBoxLayout()
        saverow.addWidget(self.save_button)
        saverow.addWidget(self.save_status, 1)

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.code, 1)
        column.addWidget(self.status)
        column.addWidget(self.problem_list)
        column.addLayout(tryrow)
        column.addWidget(self.say_result)
        column.addLayout(saverow)
        column.addWidget(self.test_list)
        splitter = QSplitter()
        splitter.addWidget(self.file_list)
        splitter.addWidget(right)
        splitter.setSizes([180, 820])
        self.lists = self._lists_editor()
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "语法")
        self.tabs.addTab(self.lists, "清单（联系人、应用、歌曲、城市…）")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._try_debounce = QTimer(self, singleShot=True, interval=TRY_DEBOUNCE_MS)

    def _connect(self) -> None:
        self.file_list.currentItemChanged.connect(self._file_chosen)
        self.code.textChanged.connect(self._edited)
        self._debounce.timeout.connect(self.validate_now)
        self.try_box.textChanged.connect(lambda _t: self._try_debounce.start())
        self._try_debounce.timeout.connect(self.try_now)
        self.problem_list.itemActivated.connect(self._jump)
        self.problem_list.itemClicked.connect(self._jump)
        self.save_button.clicked.connect(self.save)
        self._results.validated.connect(self._validated)
        self._results.tried.connect(self._tried)
        self._results.saved.connect(self._saved_result)
        self.say_button.clicked.connect(self.say_now)
        self._results.say_status.connect(self.say_result.setText)
        self._results.heard.connect(self._heard)
        self.lists.saved.connect(self.validate_now)  # the lists are part of the grammar

    # ---- files and buffers ----------------------------------------------------------------
    @property
    def current_file(self) -> str | None:
        return self._current

    def edited(self) -> dict[str, str]:
        """The files whose text differs from what is on disk (name → text)."""
        return {n: t for n, t in self._texts.items() if t != self._saved.get(n)}

    def text_of(self, name: str) -> str:
        return self._texts[name]

    def open_file(self, name: str) -> None:
        if name == self._current:
            return
        self._switching = True
        try:
            self._current = name
            self.code.setPlainText(self._texts[name])
        finally:
            self._switching = False
        row = self._names.index(name)
        if self.file_list.currentRow() != row:
            self.file_list.setCurrentRow(row)
        self._show_marks()

    def _file_chosen(self, item: QListWidgetItem | None, _old: object) -> None:
        if item is not None:
            self.open_file(item.data(Qt.ItemDataRole.UserRole))

    def _edited(self) -> None:
        if self._switching or self._current is None:
            return
        self._texts[self._current] = self.code.toPlainText()
        self._refresh_file_list()
        self.status.setText("正在检查…")
        self._debounce.start()

    def _refresh_file_list(self) -> None:
        edited = self.edited()
        broken = {self._name_of(p) for p in self.problems}
        for row, name in enumerate(self._names):
            item = self.file_list.item(row)
            item.setText(f"{name} *" if name in edited else name)
            item.setData(Qt.ItemDataRole.ForegroundRole,  # the theme's colour unless broken
                         QBrush(QColor("#c0392b")) if name in broken else None)

    def _name_of(self, problem: Problem) -> str | None:
        try:
            return Path(problem.loc.file).relative_to(self.folder).as_posix()
        except ValueError:
            return None

    # ---- validation (worker) --------------------------------------------------------------
    def validate_now(self) -> None:
        """Check the edited grammar now (normally ~400 ms after the last keystroke)."""
        self._debounce.stop()
        self._generation += 1
        generation, edited, sentence = self._generation, self.edited(), self.try_box.text()
        folder, lists_dir, known = self.folder, self.lists_dir, self.known_actions

        def job() -> None:
            if generation != self._generation:  # newer text is waiting: skip this one
                return
            result = validate(folder, lists_dir, edited, known)
            self._state.matcher, self._state.broken = result.matcher, not result.ok
            self._mail.post(lambda: self._results.validated.emit(generation, result))
            self._try_in_worker(sentence)

        self._submit(job)

    def _validated(self, generation: int, result: Validation) -> None:
        if generation != self._generation:
            return
        self.validation, self.problems = result, result.problems
        self.problem_list.show_problems(result.problems)
        if result.ok and result.grammar is not None:
            self.status.setText(f"语法正确：{len(result.grammar.intents)} 个意图"
                                f"（检查用了 {result.seconds:.1f} 秒）")
            self.status.setStyleSheet("color: #1e7e34;")
        else:
            count = len(result.problems)
            self.status.setText(f"语法有 {count} 个问题（保存前请改正）：")
            self.status.setStyleSheet("color: #c0392b; font-weight: bold;")
        self._show_marks()
        self._refresh_file_list()
        if not self._placed and not self.edited():
            self._placed = True
            if result.problems:
                self.show_problem(result.problems[0])

    def show_problem(self, problem: Problem) -> bool:
        """Open the problem's file with the cursor on its line and column; False when it is
        not one of this grammar's files."""
        name = self._name_of(problem)
        if name is None or name not in self._texts:
            return False
        self.open_file(name)
        self.code.go_to(problem.loc.line, problem.loc.col)
        return True

    def _show_marks(self) -> None:
        marks: dict[int, str] = {}
        for problem in self.problems:
            if self._name_of(problem) == self._current:
                marks.setdefault(problem.loc.line, str(problem))
        self.code.mark_lines(marks)

    def _jump(self, item: QListWidgetItem) -> None:
        problem = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(problem, Problem):
            self.show_problem(problem)

    # ---- try a sentence (worker) ----------------------------------------------------------
    def try_now(self) -> None:
        self._try_debounce.stop()
        sentence = self.try_box.text()
        self._submit(lambda: self._try_in_worker(sentence))

    def _try_in_worker(self, sentence: str) -> None:
        if not sentence.strip():
            self._mail.post(lambda: self._results.tried.emit(sentence, ""))
            return
        matcher = self._state.matcher
        if matcher is None:
            text = "语法有错误，改正后才能试" if self._state.broken else "正在检查语法…"
        else:
            text = describe(matcher.match(sentence))
        self._mail.post(lambda: self._results.tried.emit(sentence, text))

    def _tried(self, sentence: str, text: str) -> None:
        if sentence == self.try_box.text():
            self.try_result.setText(text)

    # ---- say it (its own thread) ----------------------------------------------------------
    def say_now(self) -> None:
        """Record one sentence and show what the edited grammar understands of it."""
        grammar = self.validation.grammar if self.validation is not None else None
        if grammar is None:
            self.say_result.setText("语法有错误或还在检查，改正后才能说一句")
            return
        if self.say_it.start(grammar, self._results.say_status.emit, self._results.heard.emit):
            self.say_button.setEnabled(False)

    def _heard(self, text: str) -> None:
        self.say_button.setEnabled(True)
        self.say_result.setText(text)

    # ---- lists --------------------------------------------------------------------------
    def _lists_editor(self) -> ListsEditor:
        folder, lists_dir, on_saved = self.folder, self.lists_dir, self.on_saved
        known = self.known_actions
        return ListsEditor(lists_dir, self._contacts, self._submit,
                           lambda: after_save(folder, lists_dir, on_saved, known))

    # ---- saving ---------------------------------------------------------------------------
    def save(self) -> None:
        """Write the changed files, then (on the worker) run the tests and the app's reload."""
        edited = self.edited()
        save_files(self.folder, edited)
        self._saved.update(edited)
        self._refresh_file_list()
        self.save_button.setEnabled(False)
        self.save_status.setText("已保存，正在运行语法自带的测试…")
        self.save_status.setStyleSheet("")
        self.test_list.hide()
        folder, lists_dir, on_saved = self.folder, self.lists_dir, self.on_saved
        known = self.known_actions
        def job() -> None:
            result = after_save(folder, lists_dir, on_saved, known)
            self._mail.post(lambda: self._results.saved.emit(result))

        self._submit(job)

    def _saved_result(self, result: SaveResult) -> None:
        self.save_button.setEnabled(True)
        self.save_status.setText(result.summary)
        bad = result.old_grammar_kept or bool(result.problems)
        self.save_status.setStyleSheet("color: #c0392b; font-weight: bold;" if bad
                                       else "color: #1e7e34;")
        self.test_list.show_problems(list(result.reload_problems or ()) or result.problems)

    # ---- the worker -----------------------------------------------------------------------
    def _submit(self, job: Callable[[], None]) -> None:
        if self._worker is not None:
            self._worker.submit(job)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the worker after its current job (joined with a timeout)."""
        worker, self._worker = self._worker, None
        self.say_it.close()
        self._debounce.stop()
        self._try_debounce.stop()
        if worker is not None:
            worker.close(timeout)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
