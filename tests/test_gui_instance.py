"""One Lingyin per user (a local socket, offscreen): a second `lingyin` brings the first window
forward, `lingyin ptt` toggles push-to-talk in it or says how to start the app, a crashed app's
socket is recovered. The tray: closing the window quits without one and hides with one (saying
so once); timers going off and errors become notifications."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtNetwork import QLocalServer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from test_gui_window import FakeLive, open_window

from app.assistant.service import AssistantService
from app.cli import main
from app.gui import instance as instance_module
from app.gui.history import HistoryStore
from app.gui.instance import InstanceServer, runtime_folder, send, server_name, socket_path
from app.gui.tray import STILL_RUNNING, NoticeMemory, Tray
from app.gui.window import MainWindow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")
    return tmp_path


@pytest.fixture
def server() -> Iterator[InstanceServer]:
    instance = InstanceServer(f"lingyin-test-{uuid.uuid4().hex[:12]}")
    yield instance
    instance.close()


@pytest.fixture
def quit_on_close() -> Iterator[None]:
    yield
    QApplication.setQuitOnLastWindowClosed(True)  # a tray turns it off for the whole app


def in_background(qtbot: Any, job: Callable[[], Any]) -> Any:
    """Run a job off the GUI thread, serving the GUI thread's events meanwhile."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(job()))
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=5000)
    return result[0]


def lingyin(qtbot: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """`lingyin ARGS` in its own process (as a desktop shortcut runs it), while the GUI thread
    serves the socket. (A sender thread in this process would hold the GIL in its blocking wait.)"""
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def sender(qtbot: Any, name: str, command: str) -> bool:
    """app.gui.instance.send(name, command) from another process: True when the app took it."""
    code = ("import sys; from app.gui.instance import send; "
            "sys.exit(0 if send(sys.argv[1], sys.argv[2]) else 3)")
    proc = subprocess.Popen([sys.executable, "-c", code, name, command], cwd=ROOT)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    return proc.returncode == 0


class RecordingIcon(QSystemTrayIcon):
    """A tray icon that records its notifications instead of showing them."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, str]] = []

    def showMessage(self, title: str, text: str, *args: Any) -> None:  # type: ignore[override]
        self.messages.append((title, text))

    def show(self) -> None:
        pass


def forced_tray(window: MainWindow, memory_path: Path) -> Tray:
    return Tray(window, icon=RecordingIcon(), memory=NoticeMemory(memory_path),
                available=lambda: True)


def test_the_name_is_per_user_and_config_folder(tmp_path: Path) -> None:
    a = server_name(tmp_path / "a", "li")
    assert a == server_name(tmp_path / "a", "li")
    assert a != server_name(tmp_path / "b", "li") and a != server_name(tmp_path / "a", "wang")
    assert "/" not in server_name(tmp_path, "a/b c")


def test_a_second_lingyin_brings_the_first_window_forward(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, server: InstanceServer) -> None:
    assert server.start() and server.listening
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"))
    server.message.connect(window.remote)
    window.hide()
    assert not InstanceServer(server.name).start()  # the second app sees the first one
    assert sender(qtbot, server.name, "show")
    qtbot.waitUntil(window.isVisible, timeout=3000)


def test_lingyin_ptt_toggles_push_to_talk(qtbot, dirs: Path, server: InstanceServer) -> None:  # type: ignore[no-untyped-def]
    live = FakeLive()
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    server.message.connect(window.remote)
    assert server.start()
    assert sender(qtbot, server.name, "ptt")
    qtbot.waitUntil(lambda: live.listener.calls == [("press", None)], timeout=3000)
    assert window.ptt.isDown()
    assert sender(qtbot, server.name, "ptt")
    qtbot.waitUntil(lambda: live.listener.calls == [("press", None), ("release", None)],
                    timeout=3000)
    assert not window.ptt.isDown()
    assert not sender(qtbot, server.name, "nonsense")


def test_the_ptt_command_reaches_the_app_of_this_config_folder(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path) -> None:
    live = FakeLive()
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    instance = InstanceServer()  # the default name: this user, LINGYIN_CONFIG_DIR
    assert instance.name == server_name(dirs / "config")
    instance.message.connect(window.remote)
    assert instance.start()
    try:
        done = lingyin(qtbot, "ptt")
        assert done.returncode == 0, done.stderr
        qtbot.waitUntil(lambda: live.listener.calls == [("press", None)], timeout=3000)
    finally:
        instance.close()


def test_lingyin_ptt_without_the_app_says_what_to_do(  # type: ignore[no-untyped-def]
        dirs: Path, capsys) -> None:
    assert main(["ptt"]) == 1
    err = capsys.readouterr().err
    assert "Lingyin is not running" in err and "`lingyin`" in err


def test_a_stale_socket_of_a_crashed_app_is_recovered(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, server: InstanceServer) -> None:
    path = socket_path(server.name)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(path)  # a socket file nobody listens on, as a killed app leaves it
    crashed.close()
    assert Path(path).exists() and not QLocalServer().listen(path)
    assert server.start() and server.listening
    received: list[str] = []
    server.message.connect(received.append)
    assert sender(qtbot, server.name, "show")
    qtbot.waitUntil(lambda: received == ["show"], timeout=3000)


def test_without_a_tray_closing_the_window_quits(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen, like a bare Xvfb
    live = FakeLive()
    window, bridge = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    assert Tray.create(window) is None and window.tray is None
    in_background(qtbot, lambda: bridge.on_announce("计时器时间到了"))
    qtbot.waitUntil(lambda: "计时器时间到了" in window.partial.text(), timeout=3000)
    window.close()
    assert not window.isVisible()
    assert live.listener.calls[-1] == ("stop", None) and live.closed


def test_with_a_tray_closing_hides_and_says_so_once(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, quit_on_close: None) -> None:
    memory = dirs / "data" / "gui.json"
    live = FakeLive()
    window, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    tray = forced_tray(window, memory)
    icon = tray.icon
    assert isinstance(icon, RecordingIcon) and window.tray is tray
    assert not QApplication.quitOnLastWindowClosed()
    window.close()
    assert not window.isVisible() and not live.closed and ("stop", None) not in live.listener.calls
    assert icon.messages == [("灵音", STILL_RUNNING)] and "仍在后台运行" in STILL_RUNNING
    tray.toggle_window()
    assert window.isVisible()
    window.close()
    assert not window.isVisible() and len(icon.messages) == 1  # said once
    window.remote("show")
    tray.mute_action.trigger()
    assert window.mute_button.isChecked() and live.listener.calls == [("mute", True)]
    tray.mode_actions[1].trigger()
    assert window.mode_box.currentIndex() == 1 and live.listener.calls[-1][0] == "set_mode"
    window.quit_app()  # the tray menu's "quit"
    assert live.closed and live.listener.calls[-1] == ("stop", None)

    again, _ = open_window(qtbot, HistoryStore(dirs / "h.json"), FakeLive())  # a restart
    later = forced_tray(again, memory)
    again.close()
    assert not again.isVisible() and later.icon.messages == []  # type: ignore[attr-defined]
    again.quit_app()


def test_timers_and_errors_become_notifications(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, quit_on_close: None) -> None:
    live = FakeLive()
    window, bridge = open_window(qtbot, HistoryStore(dirs / "h.json"), live)
    icon = forced_tray(window, dirs / "gui.json").icon
    assert isinstance(icon, RecordingIcon)
    service = AssistantService(None, lambda *reply: reply)  # type: ignore[arg-type]
    service.on_announce = bridge.on_announce  # as Bridge.attach and live_factory wire it
    said: list[Any] = []
    service.say = said.append
    service.announce("一分钟的计时器时间到了")
    qtbot.waitUntil(lambda: icon.messages == [("灵音", "一分钟的计时器时间到了")], timeout=3000)
    service.close()
    assert said and said[0][0] == "一分钟的计时器时间到了"  # still said aloud too
    bridge.error.emit("microphone lost")  # the window is visible: it shows the error itself
    assert len(icon.messages) == 1
    window.hide()
    bridge.error.emit("microphone 'USB Mic' stopped sending audio")
    assert icon.messages[-1][0].startswith("灵音") and "USB Mic" in icon.messages[-1][1]
    window.quit_app()


def test_live_factory_routes_announcements_to_the_window(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, recognizer, to_hanzi) -> None:
    from listen_helpers import silence

    from app.config import AppSettings
    from app.gui.bridge import Bridge
    from app.gui.startup import live_factory
    from app.listener.sources import FileSource

    bridge = Bridge()
    got: list[str] = []
    bridge.announced.connect(got.append)
    live = live_factory(AppSettings(speak=False), recognizer=recognizer, to_hanzi=to_hanzi,
                        source=FileSource("silence", 512, samples=silence(1)))(bridge)
    try:
        assert live.service.on_announce == bridge.on_announce
        live.service.announce("提醒：喝水")
        qtbot.waitUntil(lambda: got == ["提醒：喝水"], timeout=5000)
    finally:
        live.close()


def test_the_socket_lives_in_a_folder_only_this_user_can_enter(dirs: Path) -> None:
    path = Path(socket_path(server_name()))
    folder = path.parent
    info = folder.lstat()
    assert folder.is_dir() and not folder.is_symlink()
    assert info.st_uid == os.getuid() and info.st_mode & 0o077 == 0, oct(info.st_mode)
    assert path.parent != Path(tempfile.gettempdir())  # never a predictable name in /tmp


def test_a_folder_taken_by_someone_else_is_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(shared_tmp))
    short = Path(tempfile.mkdtemp(prefix="ly"))  # a socket's path must stay short
    monkeypatch.setenv("LINGYIN_CACHE_DIR", str(short / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    squatted = shared_tmp / f"lingyin-{os.getuid()}"
    squatted.mkdir()
    squatted.chmod(0o777)  # another user made it first, open to all
    folder = runtime_folder()
    assert folder != squatted and folder == short / "cache" / "run"
    assert folder.stat().st_mode & 0o077 == 0
    shutil.rmtree(short)


SQUATTER = """
import os, socket, sys
if os.getuid() == 0:
    os.setgid(65534); os.setuid(65534)  # another local user (nobody)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); server.listen(1)
print("ready", flush=True)
conn, _ = server.accept()
conn.recv(100); conn.sendall(b"ok\\n")  # pretends to be the app and takes the message
"""


def test_an_answer_from_another_user_is_never_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(tempfile.mkdtemp(prefix="lingyin-squat-"))  # a shared folder in /tmp
    folder.chmod(0o777)
    path = folder / "lingyin.sock"
    proc = subprocess.Popen([sys.executable, "-c", SQUATTER, str(path)], text=True,
                            stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        if os.getuid() != 0:  # no second user to run as: this process poses as one
            monkeypatch.setattr(instance_module, "_own_uid", lambda: os.getuid() + 1)
        assert not send(str(path), "ptt", timeout_ms=1000)
    finally:
        proc.kill()
        proc.wait(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_runtime_folder_too_long_for_a_socket_is_passed_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / ("x" * 60)
    deep.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    path = socket_path(server_name())
    assert len(os.fsencode(path)) <= 107 and not path.startswith(str(deep))
