"""A private desktop for the person-level suite: an Xvfb display (key auto-repeat left on, as on
every X11 desktop), a D-Bus session bus of its own (the accessibility bus the window is read
through starts on it), xdotool for the mouse and the keyboard, screenshots, and ``trayer`` as a
system tray where a scenario needs one. Everything is started here and stopped here; every wait
is bounded. A missing tool raises ``DesktopError`` naming the Debian package (never a skip)."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PACKAGES = {"Xvfb": "xvfb", "xdotool": "xdotool", "trayer": "trayer", "xset": "x11-xserver-utils",
            "dbus-daemon": "dbus", "pactl": "pulseaudio-utils", "espeak-ng": "espeak-ng"}
SCREEN = (1280, 800)
SCREENSHOT = Path(__file__).resolve().parent / "screenshot.py"
AT_SPI_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")


class DesktopError(RuntimeError):
    """The private desktop could not be set up, or did not do what was asked in time."""


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        package = PACKAGES.get(tool, tool)
        raise DesktopError(f"`{tool}` not found: install Debian's {package} "
                           "(packaging/setup.sh does)")
    return path


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``: the process and its session (it was started with
    ``start_new_session``), so nothing it started outlives the test."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


def _read_line(fd: int, timeout: float) -> str:
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 64) if ready else b""
        if ready and not chunk:
            break
        data += chunk
    return data.decode().strip()


class Desktop:
    """Xvfb on a free display and a private session bus; ``env`` is what a program on this
    desktop needs (DISPLAY, DBUS_SESSION_BUS_ADDRESS)."""

    def __init__(self, root: Path, screen: tuple[int, int] = SCREEN) -> None:
        self.root = root
        self.screen = screen
        self.display = ""
        self.bus_address = ""
        self._xvfb: subprocess.Popen[bytes] | None = None
        self._bus_pid = 0
        self._trayer: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for tool in ("Xvfb", "xdotool", "xset", "dbus-daemon", "trayer"):
            require(tool)
        if not AT_SPI_LAUNCHER.exists():  # the accessibility bus the window is read through
            raise DesktopError(f"{AT_SPI_LAUNCHER} not found: install Debian's at-spi2-core "
                               "(packaging/setup.sh does)")
        read_end, write_end = os.pipe()
        width, height = self.screen
        self._xvfb = subprocess.Popen(
            [require("Xvfb"), "-displayfd", str(write_end), "-screen", "0",
             f"{width}x{height}x24", "-nolisten", "tcp"], pass_fds=(write_end,),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(write_end)
        try:
            number = _read_line(read_end, timeout=15.0)
        finally:
            os.close(read_end)
        if not number.isdigit():
            self.stop()
            raise DesktopError(f"Xvfb did not start (it wrote {number!r})")
        self.display = f":{number}"
        self._start_bus()

    def _start_bus(self) -> None:
        """``dbus-daemon --session`` with its own HOME and runtime folder: the accessibility bus
        it starts on demand (at-spi-bus-launcher) lives there too, not in the user's."""
        home = self.root / "bus-home"
        runtime = home / "runtime"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
               "DISPLAY": self.display}
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        result = subprocess.run(
            [require("dbus-daemon"), "--session", "--fork", "--print-address=1",
             "--print-pid=1"], env=env, capture_output=True, text=True, timeout=15, check=False)
        words = result.stdout.split()
        if result.returncode != 0 or len(words) < 2:
            raise DesktopError(f"dbus-daemon --session failed: {result.stderr.strip()}")
        self.bus_address, self._bus_pid = words[0], int(words[1])

    def stop(self) -> None:
        self.stop_tray()
        if self._bus_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._bus_pid, signal.SIGTERM)
            self._bus_pid = 0
        stop_process(self._xvfb)
        self._xvfb = None

    @property
    def env(self) -> dict[str, str]:
        return {"DISPLAY": self.display, "DBUS_SESSION_BUS_ADDRESS": self.bus_address}

    # ---- the tray --------------------------------------------------------------------------
    def start_tray(self, timeout: float = 15.0) -> None:
        """``trayer`` along the bottom edge (the main window opens at the top left)."""
        if self._trayer is not None:
            return
        self._trayer = subprocess.Popen(
            [require("trayer"), "--edge", "bottom", "--align", "right", "--widthtype", "pixel",
             "--width", "96", "--heighttype", "pixel", "--height", "32", "--SetDockType", "false",
             "--expand", "false", "--transparent", "false"],
            env={**os.environ, **self.env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._trayer.poll() is not None:
                raise DesktopError(f"trayer exited at start (code {self._trayer.returncode})")
            if self.xdo.search(klass="trayer"):
                return
            time.sleep(0.2)
        raise DesktopError(f"trayer showed no window within {timeout:.0f} s")

    def stop_tray(self) -> None:
        stop_process(self._trayer)
        self._trayer = None

    @property
    def tray_window(self) -> int:
        found = self.xdo.search(klass="trayer")
        if not found:
            raise DesktopError("no trayer window")
        return found[0]

    # ---- tools -------------------------------------------------------------------------------
    @property
    def xdo(self) -> Xdo:
        return Xdo(self.display)

    def auto_repeat(self) -> bool:
        result = subprocess.run([require("xset"), "-display", self.display, "q"],
                                capture_output=True, text=True, timeout=10, check=False)
        return "auto repeat:  on" in result.stdout

    def screenshot(self, path: Path) -> Path:
        """The whole screen as PNG (Qt's grab of the root window, run as its own process)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "QT_QPA_PLATFORM": "xcb"}
        result = subprocess.run([sys.executable, str(SCREENSHOT), str(path)], env=env,
                                capture_output=True, text=True, timeout=30, check=False)
        if result.returncode != 0:
            raise DesktopError(f"screenshot failed: {result.stderr.strip()[-500:]}")
        return path


class Xdo:
    """xdotool on one display: windows by name, the mouse, the keyboard."""

    def __init__(self, display: str) -> None:
        self.display = display

    def run(self, *args: str, timeout: float = 15.0, check: bool = True) -> str:
        env = {**os.environ, "DISPLAY": self.display}
        result = subprocess.run([require("xdotool"), *args], env=env, capture_output=True,
                                text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise DesktopError(f"xdotool {' '.join(args)} failed ({result.returncode}): "
                               f"{result.stderr.strip()}")
        return result.stdout

    def search(self, name: str | None = None, klass: str | None = None,
               visible: bool = True) -> list[int]:
        args = ["search"]
        if visible:
            args.append("--onlyvisible")
        if name is not None:
            args += ["--name", name]
        else:
            args += ["--class", klass or ""]
        out = self.run(*args, check=False)
        return [int(line) for line in out.split() if line.isdigit()]

    def wait_window(self, name: str, timeout: float, visible: bool = True) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.search(name=name, visible=visible)
            if found:
                return found[0]
            time.sleep(0.25)
        raise DesktopError(f"no window named {name!r} within {timeout:.0f} s")

    def geometry(self, window: int) -> tuple[int, int, int, int]:
        """x, y, width, height of a window on the screen."""
        out = self.run("getwindowgeometry", "--shell", str(window))
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return (int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"]))

    def focus(self, window: int) -> None:
        """Keyboard focus to ``window`` (there is no window manager to activate it)."""
        self.run("windowfocus", "--sync", str(window))

    def move(self, x: int, y: int) -> None:
        out = self.run("getmouselocation", "--shell")
        where = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        if (where.get("X"), where.get("Y")) != (str(x), str(y)):  # --sync waits for a move
            self.run("mousemove", "--sync", str(x), str(y))

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.move(x, y)
        time.sleep(0.1)
        self.run("click", str(button))

    def key(self, *keys: str) -> None:
        self.run("key", "--clearmodifiers", *keys)

    def key_down(self, key: str) -> None:
        self.run("keydown", key)

    def key_up(self, key: str) -> None:
        self.run("keyup", key)

    def type(self, text: str, delay_ms: int = 40) -> None:
        self.run("type", "--delay", str(delay_ms), "--", text, timeout=60)
