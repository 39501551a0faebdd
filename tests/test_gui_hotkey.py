"""The global push-to-talk hotkey: key strings, the choice of backend per desktop, and a real
X11 key grab on a private Xvfb display, driven by XTest key events (as a person pressing and
releasing Ctrl+Alt+Space would be)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.gui import hotkey_portal as portal
from app.gui.hotkey import KeyCombo, choose_backend, parse_hotkey
from app.gui.hotkey_x11 import X11Hotkey, load_xlib


# ---- key strings ------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "mods", "key", "label"), [
    ("Ctrl+Alt+Space", {"ctrl", "alt"}, "space", "Ctrl+Alt+Space"),
    ("  alt + SHIFT + f ", {"alt", "shift"}, "f", "Alt+Shift+F"),
    ("Super+F9", {"super"}, "f9", "Super+F9"),
    ("F12", set(), "f12", "F12"),
    ("Pause", set(), "pause", "Pause"),
    ("control-meta-enter", {"ctrl", "super"}, "return", "Ctrl+Super+Return"),
    ("Win+7", {"super"}, "7", "Super+7"),
])
def test_hotkey_strings_parse(text: str, mods: set[str], key: str, label: str) -> None:
    combo = parse_hotkey(text)
    assert combo == KeyCombo(frozenset(mods), key)
    assert combo.label == label
    assert parse_hotkey(combo.label) == combo


def test_hotkey_names_for_each_platform() -> None:
    combo = parse_hotkey("Ctrl+Alt+Space")
    assert (combo.x11_keysym, combo.windows_vk) == ("space", 0x20)
    assert combo.portal_trigger == "CTRL+ALT+space"
    assert parse_hotkey("shift+super+f1").portal_trigger == "SHIFT+LOGO+F1"
    assert parse_hotkey("Ctrl+F10").windows_vk == 0x79
    assert parse_hotkey("Ctrl+Q").windows_vk == ord("Q")


@pytest.mark.parametrize(("text", "says"), [
    ("", "写法不对"),
    ("Ctrl++", "写法不对"),
    ("Hyper+Space", "“hyper”不是修饰键"),
    ("Ctrl+Alt", "普通按键"),
    ("Ctrl+Banana", "无法识别的按键“banana”"),
    ("Space", "修饰键"),
    ("a", "修饰键"),
    ("Ctrl+F25", "无法识别"),
])
def test_bad_hotkey_strings_are_explained_in_chinese(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_hotkey(text)


# ---- which backend ----------------------------------------------------------------------------
COMBO = parse_hotkey("Ctrl+Alt+Space")


def test_x11_desktops_grab_the_key() -> None:
    backend, reason = choose_backend(COMBO, "linux", {"DISPLAY": ":3"},
                                     portal_available=lambda: pytest.fail("not on X11"))
    assert isinstance(backend, X11Hotkey) and backend.display_name == ":3" and reason == ""
    assert backend.holds


def test_wayland_uses_the_portal_where_the_desktop_offers_it() -> None:
    from app.gui.hotkey_portal import PortalHotkey

    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}
    backend, _ = choose_backend(COMBO, "linux", env, portal_available=lambda: True)
    assert isinstance(backend, PortalHotkey) and backend.holds
    backend, reason = choose_backend(COMBO, "linux", env, portal_available=lambda: False)
    assert backend is None and "GlobalShortcuts" in reason  # never an X11 grab under Wayland


def test_no_desktop_and_windows() -> None:
    from app.gui.hotkey_windows import WindowsHotkey

    backend, reason = choose_backend(COMBO, "linux", {})
    assert backend is None and "不支持" in reason
    backend, _ = choose_backend(COMBO, "win32", {})
    assert isinstance(backend, WindowsHotkey) and not backend.holds


# ---- a real grab on a private X server --------------------------------------------------------
@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private Xvfb; its display name. Xvfb picks a free display and writes it to a pipe."""
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.fail("Xvfb is not installed (packaging/setup.sh installs it)", pytrace=False)
    read_end, write_end = os.pipe()
    process = subprocess.Popen([binary, "-displayfd", str(write_end), "-screen", "0",
                                "640x480x24", "-nolisten", "tcp"], pass_fds=(write_end,),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        number = _read_line(read_end, timeout=10.0)
        assert number.isdigit(), f"Xvfb did not start (it wrote {number!r})"
        yield f":{number}"
    finally:
        os.close(read_end)
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _read_line(fd: int, timeout: float) -> str:
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
        chunk = os.read(fd, 64) if ready else b""
        if ready and not chunk:
            break
        data += chunk
    return data.decode().strip()


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.changed = threading.Condition()

    def _add(self, what: str) -> None:
        with self.changed:
            self.events.append(what)
            self.changed.notify_all()

    def key_pressed(self) -> None:
        self._add("press")

    def key_released(self) -> None:
        self._add("release")

    def unavailable(self, reason: str) -> None:
        self._add(f"unavailable: {reason}")

    def wait_for(self, count: int, timeout: float = 5.0) -> list[str]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)


class Keyboard:
    """XTest key events on the display (what xdotool does)."""

    def __init__(self, display: str) -> None:
        self.x = load_xlib()
        self.xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.x.XFlush.argtypes = [ctypes.c_void_p]
        self.dpy = self.x.XOpenDisplay(display.encode())
        assert self.dpy, f"cannot open {display}"

    def key(self, name: str, down: bool) -> None:
        code = self.x.XKeysymToKeycode(self.dpy, self.x.XStringToKeysym(name.encode()))
        assert code, name
        self.xtst.XTestFakeKeyEvent(self.dpy, code, int(down), 0)
        self.x.XFlush(self.dpy)

    def chord(self, names: list[str], down: bool) -> None:
        for name in names if down else reversed(names):
            self.key(name, down)

    def close(self) -> None:
        self.x.XCloseDisplay(self.dpy)


def started(backend: X11Hotkey, sink: Recorder) -> X11Hotkey:
    backend.start(sink)
    if not backend.grabbed.wait(5.0):
        pytest.fail(f"the grab was not made: {sink.events}")
    return backend


def test_a_real_x11_grab_reports_press_and_release(xvfb: str) -> None:
    sink, keyboard = Recorder(), Keyboard(xvfb)
    backend = started(X11Hotkey(parse_hotkey("Ctrl+Alt+Space"), xvfb, poll_seconds=0.05), sink)
    try:
        keyboard.chord(["Control_L", "Alt_L", "space"], True)
        assert sink.wait_for(1) == ["press"]
        for _ in range(3):  # what auto-repeat sends while the key is held: no new press
            keyboard.key("space", True)
        keyboard.key("space", False)
        assert sink.wait_for(2) == ["press", "release"]
        keyboard.chord(["Control_L", "Alt_L"], False)
        keyboard.key("space", True)  # Space alone is not the hotkey
        keyboard.key("space", False)
        keyboard.chord(["Control_L", "Alt_L", "space"], True)  # again, releasing Ctrl first
        keyboard.key("Control_L", False)
        keyboard.key("space", False)
        keyboard.key("Alt_L", False)
        assert sink.wait_for(4) == ["press", "release", "press", "release"]
        time.sleep(0.3)  # nothing else arrives (Space alone and the repeats reported nothing)
        assert sink.events == ["press", "release", "press", "release"]
    finally:
        stopping = time.monotonic()
        backend.stop()
        keyboard.close()
    assert time.monotonic() - stopping < 1.0
    assert backend._thread is not None and not backend._thread.is_alive()


def test_a_key_another_program_holds_is_reported(xvfb: str) -> None:
    first, second = Recorder(), Recorder()
    holder = started(X11Hotkey(parse_hotkey("Ctrl+Shift+F9"), xvfb), first)
    try:
        other = X11Hotkey(parse_hotkey("Ctrl+Shift+F9"), xvfb)
        other.start(second)
        events = second.wait_for(1)
        assert len(events) == 1 and "已被别的程序占用" in events[0], events
        other.stop()
    finally:
        holder.stop()


def test_a_display_that_is_gone_is_reported() -> None:
    sink = Recorder()
    backend = X11Hotkey(COMBO, ":987")
    backend.start(sink)
    assert sink.wait_for(1) == ["unavailable: 无法连接 X 显示 :987"]
    backend.stop()


@pytest.mark.parametrize("detectable", [True, False], ids=["detectable-repeat", "repeat-pairs"])
def test_the_hotkey_held_for_three_seconds_with_auto_repeat_is_one_press(
        xvfb: str, detectable: bool) -> None:
    """xdotool holds the keys as a person does; the server's own auto-repeat (on, as on every
    X11 desktop) sends repeats all the while. With detectable auto-repeat they are presses only;
    without (``detectable=False``) release+press pairs with one time stamp: both are one hold."""
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (packaging/setup.sh installs it)", pytrace=False)
    subprocess.run(["xset", "-display", xvfb, "r", "on"], check=True, timeout=10)
    env = {**os.environ, "DISPLAY": xvfb}
    sink = Recorder()
    backend = started(X11Hotkey(COMBO, xvfb, poll_seconds=0.05, detectable=detectable), sink)
    try:
        subprocess.run(["xdotool", "keydown", "ctrl+alt+space"], env=env, check=True, timeout=10)
        time.sleep(3)
        subprocess.run(["xdotool", "keyup", "ctrl+alt+space"], env=env, check=True, timeout=10)
        assert sink.wait_for(2) == ["press", "release"]
        time.sleep(0.3)
        assert sink.events == ["press", "release"]
        assert backend._detectable is detectable  # Xvfb supports it: the fallback is tested too
    finally:
        backend.stop()


# ---- the Wayland portal, against a stand-in portal on a private D-Bus bus ---------------------
@pytest.fixture
def bus(tmp_path: Path) -> Iterator[str]:
    """A private D-Bus daemon; its address."""
    binary = shutil.which("dbus-daemon")
    if binary is None:
        pytest.fail("dbus-daemon is not installed (packaging/setup.sh installs dbus)",
                    pytrace=False)
    process = subprocess.Popen([binary, "--session", "--nofork", "--print-address",
                                f"--address=unix:path={tmp_path / 'bus'}"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        address = _read_line(process.stdout.fileno(), timeout=10.0)
        assert address.startswith("unix:"), f"dbus-daemon did not start ({address!r})"
        yield address
    finally:
        process.terminate()
        process.wait(5)


class FakePortal:
    """Answers GlobalShortcuts as xdg-desktop-portal does (the requests' Response signals
    included) and sends Activated / Deactivated when told."""

    SESSION = "/org/freedesktop/portal/desktop/session/1_1/lingyin"

    def __init__(self, address: str, answer: int = 0) -> None:
        from jeepney import message_bus
        from jeepney.io.blocking import Proxy, open_dbus_connection

        self.conn = open_dbus_connection(bus=address)
        Proxy(message_bus, self.conn).RequestName(portal.BUS_NAME)
        self.answer = answer
        self.bound: list[Any] = []
        self.closed: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        from jeepney import MessageType

        while not self._stop.is_set():
            try:
                message = self.conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            if message.header.message_type == MessageType.method_call:
                self._answer(message)

    def _answer(self, message: Any) -> None:
        from jeepney import DBusAddress, HeaderFields, new_method_return, new_signal

        fields = message.header.fields
        member, sender = fields[HeaderFields.member], fields[HeaderFields.sender]
        if member == "Get":
            self.conn.send(new_method_return(message, "v", (("u", 1),)))
            return
        if member == "Close":
            self.closed.append(fields[HeaderFields.path])
            return
        token = message.body[-1]["handle_token"][1]
        request = f"{portal.OBJECT_PATH}/request/{sender[1:].replace('.', '_')}/{token}"
        self.conn.send(new_method_return(message, "o", (request,)))
        results: dict[str, tuple[str, Any]]
        if member == "CreateSession":
            results = {"session_handle": ("s", self.SESSION)}
        else:
            self.bound.append(message.body[1])
            results = {"shortcuts": ("a(sa{sv})", [(portal.SHORTCUT_ID, {
                "trigger_description": ("s", "Ctrl+Alt+Space")})])}
        emitter = DBusAddress(request, interface="org.freedesktop.portal.Request")
        self.conn.send(new_signal(emitter, "Response", "ua{sv}", (self.answer, results)))

    def shortcut(self, signal: str) -> None:
        from jeepney import DBusAddress, new_signal

        emitter = DBusAddress(portal.OBJECT_PATH, interface=portal.INTERFACE)
        self.conn.send(new_signal(emitter, signal, "osta{sv}",
                                  (self.SESSION, portal.SHORTCUT_ID, 0, {})))

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.conn.close()


def test_the_portal_binds_the_shortcut_and_reports_press_and_release(bus: str) -> None:
    fake, sink = FakePortal(bus), Recorder()
    backend = portal.PortalHotkey(parse_hotkey("Ctrl+Alt+Space"), bus=bus, poll_seconds=0.05)
    backend.start(sink)
    try:
        assert backend.bound.wait(5.0), sink.events
        [(shortcut_id, options)] = fake.bound[0]
        assert shortcut_id == "push-to-talk"
        assert options["preferred_trigger"] == ("s", "CTRL+ALT+space")
        fake.shortcut("Activated")
        assert sink.wait_for(1) == ["press"]
        fake.shortcut("Deactivated")
        assert sink.wait_for(2) == ["press", "release"]
    finally:
        stopping = time.monotonic()
        backend.stop()
        assert time.monotonic() - stopping < 1.0
        deadline = time.monotonic() + 3
        while not fake.closed and time.monotonic() < deadline:
            time.sleep(0.02)
        fake.close()
    assert fake.closed == [FakePortal.SESSION]  # the session is closed on the way out


def test_a_refused_shortcut_and_a_missing_portal_are_reported(bus: str) -> None:
    fake, sink = FakePortal(bus, answer=1), Recorder()  # 1: the person cancelled
    backend = portal.PortalHotkey(COMBO, bus=bus, poll_seconds=0.05)
    backend.start(sink)
    assert sink.wait_for(1) == ["unavailable: 在桌面的提示里取消了快捷键"]
    backend.stop()
    fake.close()

    nobody = Recorder()  # no portal on this bus at all
    backend = portal.PortalHotkey(COMBO, bus=bus, poll_seconds=0.05)
    backend.start(nobody)
    events = nobody.wait_for(1)
    assert len(events) == 1 and "GlobalShortcuts" in events[0], events
    backend.stop()


# ---- the whole way: an X11 key held down talks in the window ----------------------------------
def test_the_window_talks_while_the_x11_hotkey_is_held(  # type: ignore[no-untyped-def]
        qtbot, xvfb: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_gui_window import FakeLive

    from app.config import AppSettings
    from app.gui.bridge import Bridge
    from app.gui.history import HistoryStore
    from app.gui.window import MainWindow

    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path / "data"))
    bridge, live = Bridge(), FakeLive()
    window = MainWindow(bridge, HistoryStore(tmp_path / "h.json"),
                        settings=AppSettings(hotkey="Ctrl+Alt+Space"))
    qtbot.addWidget(window)
    bridge.attach(live)
    qtbot.waitUntil(window.ptt.isEnabled, timeout=2000)
    backend = X11Hotkey(parse_hotkey(window.settings.hotkey), xvfb, poll_seconds=0.05)
    window.start_hotkey(backend)
    assert backend.grabbed.wait(5.0) and window.hotkey_label.text() == "全局快捷键 Ctrl+Alt+Space"
    keyboard = Keyboard(xvfb)
    try:
        keyboard.chord(["Control_L", "Alt_L", "space"], True)
        qtbot.waitUntil(lambda: live.listener.calls == [("press", None)], timeout=3000)
        assert window.ptt.isDown()
        keyboard.chord(["Control_L", "Alt_L", "space"], False)
        qtbot.waitUntil(lambda: len(live.listener.calls) == 2, timeout=3000)
        assert live.listener.calls[-1] == ("release", None) and not window.ptt.isDown()
    finally:
        keyboard.close()
        window.close()  # stops the hotkey's thread
    assert backend._thread is not None and not backend._thread.is_alive()
