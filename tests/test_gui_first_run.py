"""The first run, offscreen (pytest-qt): with no model in the user data directory the window
shows the installer instead of loading; installing from a folder (or a downloaded archive, here a
local file: no network) fills the progress bar on a worker thread, then the core loads and the
window becomes ready. A corrupt or wrong source says what went wrong and installs nothing."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from listen_helpers import silence

from app.config import AppSettings
from app.gui.bridge import Bridge
from app.gui.first_run import InstallPanel, missing_model
from app.gui.history import HistoryStore
from app.gui.startup import start_core
from app.gui.window import MainWindow
from app.listener.sources import FileSource
from asr import settings
from asr.manifest import Manifest

MODEL = settings.DEFAULT_MODEL


@pytest.fixture
def empty_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")
    return tmp_path / "data"


@pytest.fixture
def shared_models(shared: Path) -> Path:
    folder = shared / "models"
    if missing_model(folder / MODEL):
        pytest.fail(f"the shared model is not at {folder / MODEL}", pytrace=False)
    return folder


def linked_copy(source: Path, folder: Path, corrupt: str | None = None) -> Path:
    """The model's files linked into ``folder``; ``corrupt``: that file copied with its bytes
    changed (same size, so only the checksum can tell)."""
    folder.mkdir(parents=True)
    for entry in Manifest.load(MODEL).files:
        if entry.name == corrupt:
            data = bytearray((source / entry.name).read_bytes())
            data[len(data) // 2] ^= 0xFF
            (folder / entry.name).write_bytes(bytes(data))
        else:
            (folder / entry.name).symlink_to(source / entry.name)
    return folder


def open_window(qtbot: Any, tmp_path: Path) -> tuple[MainWindow, Bridge]:
    bridge = Bridge()
    window = MainWindow(bridge, HistoryStore(tmp_path / "history.json"))
    qtbot.addWidget(window)
    window.show()
    return window, bridge


def start(qtbot: Any, tmp_path: Path, to_hanzi: Callable[[str], str]
          ) -> tuple[MainWindow, Bridge, InstallPanel]:
    window, bridge = open_window(qtbot, tmp_path)
    loads: list[bool] = []
    bridge.loading.connect(lambda: loads.append(True))
    panel = start_core(window, bridge, AppSettings(speak=False), to_hanzi=to_hanzi,
                       source=FileSource("silence", 512, fast=False, samples=silence(30.0)))
    assert isinstance(panel, InstallPanel) and panel.isVisible()
    assert "还没有安装语音模型" in panel.findChildren(type(panel.detail))[0].text()
    assert not loads and not bridge.is_ready and not window.ptt.isEnabled()
    return window, bridge, panel


def test_installing_from_a_folder_fills_the_bar_and_the_app_becomes_ready(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, empty_data: Path, shared_models: Path, to_hanzi) -> None:
    window, bridge, panel = start(qtbot, tmp_path, to_hanzi)
    values: list[int] = []
    panel.progress.valueChanged.connect(values.append)
    failures: list[str] = []
    bridge.failed.connect(failures.append)
    panel.install_from(shared_models)  # the parent folder: the model is found below it
    qtbot.waitUntil(lambda: window.ptt.isEnabled() or bool(failures), timeout=60000)
    assert failures == []
    assert any(0 < v < 100 for v in values) and values[-1] == 100
    assert values == sorted(values)
    assert missing_model() == ""
    assert (empty_data / "models" / MODEL / "LICENSE").exists() is False  # only its own notes
    assert (empty_data / "models" / MODEL / "README.md").is_file()
    assert not panel.isVisible()
    assert window.ptt.isEnabled() and bridge.is_ready
    bridge.shutdown()


def test_the_folder_button_asks_for_a_folder(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, empty_data: Path, shared_models: Path, to_hanzi,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    copy = linked_copy(shared_models / MODEL, tmp_path / "copy")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(copy)))
    _window, bridge, panel = start(qtbot, tmp_path, to_hanzi)
    installed: list[bool] = []
    panel.installed.connect(lambda: installed.append(True))
    with qtbot.waitSignal(bridge.loading, timeout=30000):
        panel.folder_button.click()
    assert installed == [True] and missing_model() == ""
    bridge.shutdown()


def test_a_corrupt_source_says_what_went_wrong_and_installs_nothing(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, empty_data: Path, shared_models: Path, to_hanzi) -> None:
    encoder = Manifest.load(MODEL).roles["encoder"]
    broken = linked_copy(shared_models / MODEL, tmp_path / "broken", corrupt=encoder)
    _window, bridge, panel = start(qtbot, tmp_path, to_hanzi)
    panel.install_from(broken)
    qtbot.waitUntil(lambda: panel.folder_button.isEnabled(), timeout=30000)
    text = panel.status.text()
    assert "安装失败" in text and encoder in text and "损坏" in text and "怎么办" in text
    assert not (empty_data / "models" / MODEL).exists()
    assert [p.name for p in (empty_data / "models").iterdir()] == []  # no staging left over
    assert panel.isVisible() and not bridge.is_ready and not panel.progress.isVisible()
    panel.install_from(tmp_path / "broken" / "nowhere")  # a folder without the model
    qtbot.waitUntil(lambda: panel.folder_button.isEnabled(), timeout=30000)
    assert "没有找到模型文件" in panel.status.text()
    bridge.shutdown()


def test_download_installs_the_archive(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, empty_data: Path, shared_models: Path) -> None:
    manifest = Manifest.load(MODEL)
    archive = tmp_path / "model.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        for entry in manifest.files:
            tar.add(shared_models / MODEL / entry.name,
                    arcname=f"{manifest.archive_folder}/{entry.name}")
    panel = InstallPanel(missing_model(), url=archive.as_uri())  # a local file: no network
    qtbot.addWidget(panel)
    panel.show()
    values: list[int] = []
    panel.progress.valueChanged.connect(values.append)
    with qtbot.waitSignal(panel.installed, timeout=60000):
        panel.download_button.click()
    assert any(0 < v <= 80 for v in values) and values[-1] == 100
    assert missing_model() == ""


def test_a_broken_download_is_explained(qtbot, tmp_path: Path, empty_data: Path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "model.tar.bz2"
    archive.write_bytes(b"BZh91AY&SY" + b"\0" * 1000)  # not a real archive
    panel = InstallPanel(missing_model(), url=archive.as_uri())
    qtbot.addWidget(panel)
    panel.download()
    qtbot.waitUntil(lambda: panel.download_button.isEnabled(), timeout=30000)
    assert "安装失败" in panel.status.text() and "损坏" in panel.status.text()
    assert missing_model() != ""


def test_the_first_lexicon_build_is_explained_in_the_window(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, empty_data: Path, shared_models: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: the ~30 s first-run lexicon build showed only 正在加载模型… in the window (the
    explanation was on the terminal, in English). A fresh cache folder: the build is due; here
    it is held until the line has been seen."""
    import threading

    from PySide6.QtWidgets import QLabel

    from asr.hanzi import HanziConverter

    monkeypatch.setenv("LINGYIN_CACHE_DIR", str(tmp_path / "cache"))
    building = threading.Event()

    class Built:
        def convert(self, pinyin: str) -> str:
            return ""

    def slow_build() -> Built:
        building.wait(30)
        return Built()

    # the window's build (app/gui/startup.py prepare_to_hanzi) loads through HanziConverter.load
    # on its "lexicon" thread: held here, it never builds a real lexicon in the fresh cache folder
    # (a ~20 s child process that ran on into the tests after this one)
    monkeypatch.setattr(HanziConverter, "load", staticmethod(slow_build))
    window, bridge = open_window(qtbot, tmp_path)
    start_core(window, bridge, AppSettings(speak=False, model_folder=str(shared_models / MODEL)),
               source=FileSource("silence", 512, fast=False, samples=silence(30.0)))

    def shown() -> list[str]:
        return [w.text() for w in window.findChildren(QLabel)
                if w.isVisible() and "汉字词典" in w.text()]

    qtbot.waitUntil(lambda: bool(shown()), timeout=10_000)
    assert shown() == ["正在准备汉字词典（仅首次，约30秒）…"]
    building.set()
    qtbot.waitUntil(lambda: window.ptt.isEnabled(), timeout=60_000)
    assert shown() == []
    bridge.shutdown()
