"""The first run: no model yet. The window shows what is missing and offers to install it from a
folder the person picks ("从文件夹安装…", e.g. a copy of ``models/zh-pinyin-zipformer-3.3M`` or
its parent) or from the public archive ("在线下载"), with a progress bar. The install
(asr/install.py: copied into a staging folder, every checksum verified, then renamed into place)
runs on a worker thread, so the window never freezes; a broken source says what went wrong and
what to do, and nothing half-written is left behind. When it is in place the core loads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.gui_thread import gui_mailbox
from asr import settings
from asr.errors import InstallError, ModelError
from asr.manifest import Manifest, verify_dir

log = logging.getLogger("lingyin.gui")
ERROR_STYLE = "color: #c0392b;"


def missing_model(model_dir: Path | None = None, name: str = settings.DEFAULT_MODEL) -> str:
    """'' when the model's files are in place (names and sizes; the loader checks the sums),
    else what is wrong."""
    manifest = Manifest.load(name)
    try:
        verify_dir(model_dir or settings.model_dir(name), manifest)
    except ModelError as exc:
        return str(exc)
    return ""


class InstallProgress:
    """asr.install's per-file progress (label, done, total) → one percentage for the whole
    install: a download fills the first 80 %, copying the model files the rest."""

    def __init__(self, manifest: Manifest, report: Callable[[int, str], None],
                 downloading: bool = False) -> None:
        self.sizes = {f.name: f.bytes for f in manifest.files}
        self.total = sum(self.sizes.values())
        self.report = report
        self.downloading = downloading
        self.copied: dict[str, int] = {}
        self.percent = -1

    def __call__(self, label: str, done: int, total: int) -> None:
        copy_share = 20 if self.downloading else 100
        if label in self.sizes:
            self.copied[label] = done
            value = 100 - copy_share + copy_share * sum(self.copied.values()) // self.total
            text = f"正在复制 {label}"
        else:
            value = (100 - copy_share) * done // total if total else 0
            text = f"正在下载 {label}（{done / 1e6:.1f} MB）"
        value = min(value, 100)
        if value != self.percent:
            self.percent = value
            self.report(value, text)


def advice_for(error: str, source: str) -> str:
    """What to do about a failed install, in the person's words."""
    if error.startswith("could not download"):
        return "无法下载：请检查网络连接；没有网络时，可以从文件夹安装模型的副本。"
    if " does not hold model " in error:
        return (f"{source} 里没有找到模型文件。请选择模型文件夹本身（例如 "
                f"zh-pinyin-zipformer-3.3M）或它的上一级文件夹。")
    if error.startswith(("checksum mismatch", "the downloaded archive")):
        return (f"{source} 里的模型文件已损坏或不是这个模型。请重新复制或下载模型文件夹"
                "（或改用在线下载），然后再试。")
    if "could not download" in error:
        return "无法下载：请检查网络连接；没有网络时，可以从文件夹安装模型的副本。"
    return "请检查模型文件夹是否可写、磁盘是否已满，然后再试。"


class _Signals(QObject):
    progressed = Signal(int, str)
    finished = Signal(str)  # '' installed, else the message to show


class InstallPanel(QWidget):
    """Shown in the window while the model is missing. ``installed`` fires once the model is in
    place (then the panel hides itself)."""

    installed = Signal()

    def __init__(self, problem: str, target: Path | None = None,
                 name: str = settings.DEFAULT_MODEL, url: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manifest = Manifest.load(name)
        self.target = target or settings.model_dir(name)
        self.url = url or self.manifest.archive_url
        self._worker: threading.Thread | None = None
        self._build(problem)

    def _build(self, problem: str) -> None:
        title = QLabel("<b>还没有安装语音模型</b>")
        self.detail = QLabel(f"灵音需要语音模型 {self.manifest.name}（约 5 MB）才能听懂你说的话。"
                             f"它将安装到 {self.target}。")
        self.detail.setWordWrap(True)
        self.detail.setToolTip(problem)
        self.folder_button = QPushButton("从文件夹安装…")
        self.download_button = QPushButton("在线下载")
        buttons = QHBoxLayout()
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.download_button)
        buttons.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        for widget in (title, self.detail):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.setStyleSheet("InstallPanel { background: #fff8e1; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.folder_button.clicked.connect(self.pick_folder)
        self.download_button.clicked.connect(lambda: self.download())

    # ---- the person's choices ------------------------------------------------------------
    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "选择含有语音模型的文件夹",
                                                  str(Path.home()))
        if folder:
            self.install_from(Path(folder))

    def install_from(self, folder: Path) -> threading.Thread | None:
        """Install from ``folder`` (the model folder or its parent) on a worker thread."""

        def job(progress: InstallProgress) -> None:
            from asr.install import install_from_dir  # the HTTP stack: only for an install

            install_from_dir(folder, self.target, self.manifest, progress)

        return self._start(job, str(folder), downloading=False)

    def download(self, url: str | None = None) -> threading.Thread | None:
        """Download the public archive (or ``url``) and install it, on a worker thread."""
        manifest = replace(self.manifest, archive_url=url or self.url)

        def job(progress: InstallProgress) -> None:
            from asr.install import install_from_url

            install_from_url(self.target, manifest, progress)

        return self._start(job, manifest.archive_url, downloading=True)

    # ---- the worker ----------------------------------------------------------------------
    def _start(self, job: Callable[[InstallProgress], None], source: str,
               downloading: bool) -> threading.Thread | None:
        if self._worker is not None and self._worker.is_alive():
            return None
        self._busy(True, f"正在从 {source} 安装模型…")
        signals = _Signals()  # no parent: it may outlive the panel
        signals.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        signals.finished.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self._signals = signals
        mail = gui_mailbox(self)  # the installer's news reach Qt on the GUI thread only

        def progressed(percent: int, text: str) -> None:
            mail.post(lambda: signals.progressed.emit(percent, text))

        def finished(message: str) -> None:
            mail.post(lambda: signals.finished.emit(message))

        progress = InstallProgress(self.manifest, progressed, downloading)

        def run() -> None:
            try:
                job(progress)
            except (InstallError, OSError) as exc:
                log.warning("installing the model from %s failed: %s", source, exc)
                finished(f"安装失败：{exc}\n怎么办：{advice_for(str(exc), source)}")
                return
            except Exception as exc:  # an installer must never take the window down
                log.exception("installing the model failed")
                finished(f"安装失败：{exc}")
                return
            finished("")

        self._worker = threading.Thread(target=run, name="lingyin-model-install", daemon=True)
        self._worker.start()
        return self._worker

    def _busy(self, busy: bool, text: str) -> None:
        self.folder_button.setEnabled(not busy)
        self.download_button.setEnabled(not busy)
        if busy:
            self.progress.setValue(0)
            self.progress.show()
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _progressed(self, value: int, text: str) -> None:
        self.progress.setValue(value)
        self.status.setText(text)

    def _finished(self, error: str) -> None:
        if error:
            self._busy(False, "")
            self.progress.hide()
            self.status.setText(error)
            self.status.setStyleSheet(ERROR_STYLE)
            return
        self.progress.setValue(100)
        self.status.setText(f"模型已安装到 {self.target}，正在加载…")
        self.hide()
        self.installed.emit()

    def wait(self, timeout: float = 60.0) -> None:
        if self._worker is not None:
            self._worker.join(timeout)


def show_installer(window: QWidget, problem: str, target: Path | None = None,
                   on_installed: Callable[[], Any] | None = None,
                   url: str | None = None) -> InstallPanel:
    """Put an InstallPanel at the top of ``window`` (a QMainWindow whose central widget has a
    box layout, or any widget with one); ``on_installed`` runs once the model is in place."""
    panel = InstallPanel(problem, target, url=url)
    host = window.centralWidget() if isinstance(window, QMainWindow) else window
    layout = host.layout() if host is not None else None
    if isinstance(layout, QBoxLayout):
        layout.insertWidget(0, panel)
    else:
        panel.setParent(window, Qt.WindowType.Window)
        panel.setWindowTitle("灵音 · 安装语音模型")
    light = getattr(window, "state_light", None)
    if light is not None and hasattr(light, "set_state"):
        light.set_state("需要安装语音模型")
    if on_installed is not None:
        panel.installed.connect(on_installed)
    panel.show()
    return panel
