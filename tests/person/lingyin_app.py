"""The real app as a person has it: a fresh home (config, data, runtime folder), `lingyin` with no
arguments started on the private desktop with the private PulseAudio as its sound server, read
back from what a person sees — the window (through AT-SPI, app/gui state labels) and the files it
keeps (history.json, settings.json, timers.json) — and driven with the mouse, the keyboard, the
tray's menu and `lingyin ptt`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atspi import A11y, A11yError, Node
from desktop import Desktop, DesktopError, require, stop_process
from observe import StateLog

VENV_BIN = Path(sys.executable).parent
SOURCE_ENV = "LINGYIN_PERSON_SOURCE"  # run `lingyin` from this source tree instead (PYTHONPATH)
MAIN_TITLE = "灵音 Lingyin"
EDITOR_TITLE = "编辑语法"
# words of the window's state label (app/gui/widgets.py STATES), matched as parts
LOADING, FAILED = "正在加载", "无法启动"
IDLE, WAKE_LISTEN, LISTENING, FOLLOW_UP = "空闲", "等待唤醒词", "正在听", "接着说"
NOT_UNDERSTOOD = "没听懂"
STATE_WORDS = (LOADING, FAILED, IDLE, WAKE_LISTEN, LISTENING, "正在思考", "正在回答", "已静音",
               "麦克风不可用", "已停止收音")


def lingyin_bin() -> Path:
    path = VENV_BIN / "lingyin"
    if not path.exists():
        raise DesktopError(f"{path} not found: run packaging/setup.sh")
    return path


@dataclass(frozen=True)
class Home:
    """A new user's folders; the installed model is linked in, the cache is the session's."""

    root: Path
    models: Path
    cache: Path
    runtime: Path  # XDG_RUNTIME_DIR: short, as /run/user/UID is (a socket path has ≤ 107 bytes)

    @classmethod
    def create(cls, root: Path, models: Path, cache: Path) -> Home:
        home = cls(root, models, cache, Path(tempfile.mkdtemp(prefix="lyrun-")))
        for folder in (home.config, home.data, home.home):
            folder.mkdir(parents=True, exist_ok=True)
        home.runtime.chmod(0o700)
        (home.data / "models").symlink_to(models, target_is_directory=True)
        return home

    def remove_runtime(self) -> None:
        shutil.rmtree(self.runtime, ignore_errors=True)

    config = property(lambda self: self.root / "config")
    data = property(lambda self: self.root / "data")
    home = property(lambda self: self.root / "home")
    settings_path = property(lambda self: self.config / "settings.json")
    history_path = property(lambda self: self.data / "history.json")
    timers_path = property(lambda self: self.data / "timers.json")
    grammar_dir = property(lambda self: self.config / "grammar")

    def env(self, desktop: Desktop | None = None) -> dict[str, str]:
        env = {**os.environ, "HOME": str(self.home), "XDG_RUNTIME_DIR": str(self.runtime),
               "XDG_CONFIG_HOME": str(self.home / ".config"),
               "XDG_DATA_HOME": str(self.home / ".local" / "share"),
               "XDG_CACHE_HOME": str(self.home / ".cache"),
               "LINGYIN_CONFIG_DIR": str(self.config), "LINGYIN_DATA_DIR": str(self.data),
               "LINGYIN_CACHE_DIR": str(self.cache),
               "LINGYIN_WEATHER_URL": "http://127.0.0.1:9/forecast",  # never the network
               "QT_QPA_PLATFORM": "xcb", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
               "QT_ACCESSIBILITY": "1"}
        for key in ("LINGYIN_GUI_INPUT", "WAYLAND_DISPLAY", "QT_SCALE_FACTOR"):
            env.pop(key, None)
        if source := os.environ.get(SOURCE_ENV):  # another checkout's code (a before/after run)
            env["PYTHONPATH"] = source
        if desktop is not None:
            env.update(desktop.env)
        return env

    # ---- the files a person's Lingyin keeps -------------------------------------------------
    def write_settings(self, **values: Any) -> None:
        current = self.settings()
        current.update(values)
        self.settings_path.write_text(json.dumps(current, ensure_ascii=False, indent=2),
                                      encoding="utf-8")

    def settings(self) -> dict[str, Any]:
        return dict(_read_json(self.settings_path, {}))

    def history(self) -> list[dict[str, Any]]:
        return list(_read_json(self.history_path, {}).get("entries", []))

    def turns(self) -> list[dict[str, Any]]:
        return [e for e in self.history() if e.get("kind", "turn") == "turn"]

    def lingyin(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """A `lingyin` command line run by this user (same folders, same runtime folder)."""
        return subprocess.run([str(lingyin_bin()), *args], env=self.env(), capture_output=True,
                              text=True, timeout=timeout, check=False)


def _read_json(path: Path, empty: Any) -> Any:
    for _ in range(5):  # written atomically, but be patient with a rename in flight
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return empty
        except ValueError:
            time.sleep(0.05)
    return json.loads(path.read_text(encoding="utf-8"))


def describe(entries: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e.get('text')!r} → {e.get('domain')}.{e.get('intent')} "
                     f"{e.get('slots')} / {e.get('reply')!r}" for e in entries) or "(none)"


class LingyinApp:
    """`lingyin` (no arguments) on the desktop, for one home; ``start`` waits until the window
    is up, its core loaded and the microphone recording."""

    def __init__(self, home: Home, desktop: Desktop, a11y: A11y, log_path: Path) -> None:
        self.home = home
        self.desktop = desktop
        self.a11y = a11y
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.state_log: StateLog | None = None
        self._label: Node | None = None
        self.started_at = 0.0

    @property
    def states(self) -> StateLog:
        """The window's state label over time (from the start on)."""
        if self.state_log is None:
            raise AssertionError("the app has not been started")
        return self.state_log

    # ---- life ---------------------------------------------------------------------------
    def start(self, timeout: float = 180.0, ready: bool = True) -> LingyinApp:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== lingyin started {time.strftime('%H:%M:%S')}\n".encode())
            self.process = subprocess.Popen([str(lingyin_bin())], env=self.home.env(self.desktop),
                                            cwd=self.home.home, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.started_at = time.monotonic()
        deadline = self.started_at + timeout
        self.desktop.xdo.wait_window(MAIN_TITLE, timeout)
        self._label = None
        self.a11y.wait_for("the state label", self._find_label, self._left(deadline))
        self.state_log = StateLog(self.state)
        if ready:
            self.wait_ready(self._left(deadline))
        return self

    def _left(self, deadline: float) -> float:
        self.check_alive()
        return max(1.0, deadline - time.monotonic())

    def wait_ready(self, timeout: float = 180.0) -> None:
        """The core is loaded (the label left 正在加载模型…) and the microphone records."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            label = self.state_log.current if self.state_log else ""
            if label and LOADING not in label and self.recording():
                return
            if FAILED in label:
                raise AssertionError(f"the window says {label!r}: {self.banner_text()}")
            time.sleep(0.25)
        raise AssertionError(f"not ready within {timeout:.0f} s: the label says "
                             f"{self.state_log.current if self.state_log else '?'!r}, recording: "
                             f"{self.recording()}; log: {self.log_tail()}")

    def recording(self) -> bool:
        """Whether this process has a recording stream on the PulseAudio server."""
        if self.process is None:
            return False
        out = subprocess.run([require("pactl"), "list", "source-outputs"], capture_output=True,
                             text=True, timeout=10, check=False).stdout
        return f'application.process.id = "{self.process.pid}"' in out

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"lingyin exited with code {self.process.returncode} "
                                 f"{time.monotonic() - self.started_at:.0f} s after it started"
                                 f": {self.last_words()}")

    def last_words(self) -> str:
        """What the app said last: a fatal error with its first lines, else the log's end."""
        text = self.log_tail(200_000)
        fatal = text.rfind("Fatal Python error")
        if fatal >= 0:
            return text[fatal:fatal + 1500]
        return text[-3000:]

    def terminate(self, timeout: float = 10.0) -> None:
        """SIGTERM, as when the session ends (no window manager here to close the window)."""
        if self.state_log is not None:
            self.state_log.stop()
        stop_process(self.process, timeout)

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"lingyin did not quit within {timeout:.0f} s") from exc
        if self.state_log is not None:
            self.state_log.stop()
        return code

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    # ---- the window --------------------------------------------------------------------------
    def window(self) -> Node:
        frame = self.a11y.frame(MAIN_TITLE)
        if frame is None:
            raise A11yError(f"no window {MAIN_TITLE!r}")
        return frame

    def _find_label(self) -> Node | None:
        self.check_alive()
        frame = self.a11y.frame(MAIN_TITLE)
        if frame is None:
            return None
        self._label = self.a11y.find(frame, lambda n: n.role == "label" and any(
            word in n.name for word in STATE_WORDS))
        return self._label

    def state(self) -> str:
        """The state label's text now."""
        label = self._label or self._find_label()
        if label is None:
            raise A11yError("no state label")
        return str(self.a11y.prop(label.bus, label.path, "org.a11y.atspi.Accessible", "Name"))

    def find(self, match: Callable[[Node], bool], what: str, timeout: float = 10.0,
             title: str = MAIN_TITLE) -> Node:
        def probe() -> Node | None:
            self.check_alive()
            frame = self.a11y.frame(title)
            return None if frame is None else self.a11y.find(frame, match)

        return self.a11y.wait_for(what, probe, timeout)

    def mode_combo(self) -> Node:
        def is_mode_box(node: Node) -> bool:
            return node.role == "combo box" and node.name in ("按键说话", "唤醒词")

        return self.find(is_mode_box, "the mode box (按键说话/唤醒词)")

    def click(self, node: Node, button: int = 1) -> None:
        if not node.on_screen:
            raise A11yError(f"{node.role} {node.name!r} is not on the screen ({node.extents})")
        self.desktop.xdo.click(*node.center, button=button)

    def choose_in_combo(self, box: Node, item: str) -> None:
        """Click the combo box open, then click ``item`` in its list."""
        self.click(box)

        def shown_item() -> Node | None:
            found = self.a11y.find(box, lambda n: n.role == "list item" and n.name == item)
            return found if found is not None and found.on_screen and found.extents[1] > 0 \
                else None

        self.click(self.a11y.wait_for(f"the item {item!r} of the open list", shown_item, 5))

    # ---- the tray (trayer) ------------------------------------------------------------------
    def tray_icon(self, timeout: float = 15.0) -> tuple[int, int]:
        """Where Lingyin's icon sits in the tray (its X window inside trayer's)."""
        xdo = self.desktop.xdo
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            tx, ty, tw, th = xdo.geometry(self.desktop.tray_window)
            for window in xdo.search(klass="lingyin", visible=False):
                x, y, w, h = xdo.geometry(window)
                if tx <= x < tx + tw and ty <= y < ty + th and w > 1:
                    return x + w // 2, y + h // 2
            time.sleep(0.25)
        raise AssertionError(f"no Lingyin icon in the tray within {timeout:.0f} s")

    def popups(self) -> list[int]:
        """Lingyin's visible windows other than the main window and the tray icon (menus)."""
        xdo = self.desktop.xdo
        main = set(xdo.search(name=MAIN_TITLE))
        icon = self.tray_icon()
        found = []
        for window in xdo.search(klass="lingyin"):
            x, y, w, h = xdo.geometry(window)
            inside = x <= icon[0] < x + w and y <= icon[1] < y + h
            if window not in main and not inside:
                found.append(window)
        return found

    def tray_menu(self, *keys: str) -> None:
        """Right-click the tray icon, then pick with the keyboard (Qt does not publish the
        tray menu over AT-SPI, so its items cannot be found to click): ``keys`` in order, each
        after the menu or submenu it goes to is on the screen."""
        before = len(self.popups())
        self.desktop.xdo.click(*self.tray_icon(), button=3)
        self._wait_popups(before + 1)
        for key in keys:
            shown = len(self.popups())
            self.desktop.xdo.run("key", key)
            if key == "Right":
                self._wait_popups(shown + 1)
            time.sleep(0.15)

    def _wait_popups(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.popups()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the tray menu did not open within {timeout:.0f} s")
            time.sleep(0.1)

    def banner_text(self) -> str:
        try:
            frame = self.window()
            labels = self.a11y.find_all(frame, lambda n: n.role == "label" and n.on_screen
                                        and ("出错" in n.name or "怎么办" in n.name))
        except A11yError as exc:
            return f"(window unreadable: {exc})"
        return " | ".join(n.name for n in labels)

    def screenshot(self, path: Path) -> Path:
        return self.desktop.screenshot(path)

    # ---- what it did -------------------------------------------------------------------------
    def wait_turns(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """Until the history holds ``count`` turns (heard or typed); returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            turns = self.home.turns()
            if len(turns) >= count:
                return turns
            time.sleep(0.25)
        raise AssertionError(f"{count} turn(s) expected in the history within {timeout:.0f} s, "
                             f"got: {describe(self.home.turns())}; the window went through "
                             f"{self.states.since(self.started_at) if self.states else '?'}")

    def ptt(self) -> None:
        """`lingyin ptt`, as a desktop shortcut runs it (toggles push-to-talk)."""
        result = self.home.lingyin("ptt", timeout=30)
        if result.returncode != 0:
            raise AssertionError(f"lingyin ptt failed ({result.returncode}): {result.stderr}")
