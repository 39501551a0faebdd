"""The global push-to-talk hotkey: a key combination parsed from the settings ("Ctrl+Alt+Space"),
one small backend per platform (X11 key grab, Windows RegisterHotKey, the Wayland desktop portal)
and the choice among them.

A backend reports to a ``HotkeySink`` from its own thread; ``HotkeyRelay`` is the sink the window
uses: it posts each report to the GUI thread (app/gui/gui_thread.py), which emits its signals.
``holds`` says whether the backend sees the key go up (hold to talk) or only presses (each press
toggles)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.datafiles import OBJECT_FILE, DataFile
from app.gui.gui_thread import gui_mailbox

log = logging.getLogger("lingyin.gui")
DEFAULT_HOTKEY = "Ctrl+Alt+Space"
MODIFIERS = {"ctrl": "ctrl", "control": "ctrl", "alt": "alt", "shift": "shift",
             "super": "super", "win": "super", "meta": "super", "logo": "super"}
MODIFIER_ORDER = ("ctrl", "alt", "shift", "super")
# canonical key name → (X11 keysym name, Windows virtual-key code, label)
_NAMED: dict[str, tuple[str, int, str]] = {
    "space": ("space", 0x20, "Space"), "return": ("Return", 0x0D, "Return"),
    "tab": ("Tab", 0x09, "Tab"), "escape": ("Escape", 0x1B, "Escape"),
    "pause": ("Pause", 0x13, "Pause"), "insert": ("Insert", 0x2D, "Insert"),
    "home": ("Home", 0x24, "Home"), "end": ("End", 0x23, "End"),
    "pageup": ("Prior", 0x21, "PageUp"), "pagedown": ("Next", 0x22, "PageDown"),
    "scrolllock": ("Scroll_Lock", 0x91, "ScrollLock"),
}
_ALIASES = {"enter": "return", "esc": "escape", "ins": "insert", "pgup": "pageup",
            "pgdown": "pagedown", "pgdn": "pagedown", "空格": "space"}
_ALONE_OK = {"pause", "insert", "scrolllock"}  # keys that may be a hotkey without a modifier


@dataclass(frozen=True)
class KeyCombo:
    """Modifiers (``ctrl``, ``alt``, ``shift``, ``super``) and one key (canonical name)."""

    modifiers: frozenset[str]
    key: str

    @property
    def label(self) -> str:
        mods = [m.capitalize() for m in MODIFIER_ORDER if m in self.modifiers]
        return "+".join([*mods, _key_info(self.key)[2]])

    @property
    def x11_keysym(self) -> str:
        return _key_info(self.key)[0]

    @property
    def windows_vk(self) -> int:
        return _key_info(self.key)[1]

    @property
    def portal_trigger(self) -> str:
        """The XDG shortcuts-spec form the portal takes as preferred trigger ("CTRL+ALT+space")."""
        names = {"ctrl": "CTRL", "alt": "ALT", "shift": "SHIFT", "super": "LOGO"}
        mods = [names[m] for m in MODIFIER_ORDER if m in self.modifiers]
        return "+".join([*mods, self.x11_keysym])


def _key_info(key: str) -> tuple[str, int, str]:
    if key in _NAMED:
        return _NAMED[key]
    if len(key) == 1 and (key.isascii() and key.isalnum()):
        return key, ord(key.upper()), key.upper()
    if key.startswith("f") and key[1:].isdigit() and 1 <= int(key[1:]) <= 24:
        number = int(key[1:])
        return f"F{number}", 0x6F + number, f"F{number}"
    raise ValueError(f"无法识别的按键“{key}”")


def parse_hotkey(text: str) -> KeyCombo:
    """``"Ctrl+Alt+Space"`` (any case, spaces allowed) → KeyCombo; ValueError with a message in
    Chinese that names the part it did not understand."""
    parts = [p.strip().lower() for p in text.replace("-", "+").split("+")]
    if not text.strip() or any(not p for p in parts):
        raise ValueError(f"快捷键“{text}”写法不对：请写成 Ctrl+Alt+Space 这样的形式")
    *mods, key = parts
    unknown = [m for m in mods if m not in MODIFIERS]
    if unknown:
        raise ValueError(f"快捷键“{text}”里的“{unknown[0]}”不是修饰键"
                         "（可用 Ctrl、Alt、Shift、Super）")
    key = _ALIASES.get(key, key)
    if key in MODIFIERS:
        raise ValueError(f"快捷键“{text}”最后要有一个普通按键，例如 Space")
    try:
        _key_info(key)
    except ValueError as exc:
        raise ValueError(f"快捷键“{text}”：{exc}") from None
    combo = KeyCombo(frozenset(MODIFIERS[m] for m in mods), key)
    if not combo.modifiers and key not in _ALONE_OK and not key.startswith("f"):
        raise ValueError(f"快捷键“{text}”需要 Ctrl、Alt 等修饰键，否则会妨碍平常打字")
    return combo


class HotkeySink(Protocol):
    """Where a backend reports, from any thread."""

    def key_pressed(self) -> None: ...

    def key_released(self) -> None: ...

    def unavailable(self, reason: str) -> None: ...


class HotkeyBackend(Protocol):
    name: str
    holds: bool  # the key going up is reported (hold to talk); else each press toggles

    def start(self, sink: HotkeySink) -> None:
        """Begin watching the key; returns at once (the work runs on the backend's thread)."""

    def stop(self) -> None:
        """Stop watching, waiting a bounded time (never hangs quitting)."""


class PollingBackend:
    """A backend whose work runs on its own daemon thread until ``stop`` (X11, the portal):
    subclasses implement ``_run(sink)`` and poll ``self._stop`` every ``poll_seconds``."""

    THREAD_NAME = "lingyin-hotkey"

    def __init__(self, combo: KeyCombo, poll_seconds: float) -> None:
        self.combo = combo
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, sink: HotkeySink) -> None:
        self._thread = threading.Thread(target=self._run, args=(sink,), daemon=True,
                                        name=self.THREAD_NAME)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("%s did not stop within %.1f s", self.THREAD_NAME, timeout)

    def _run(self, sink: HotkeySink) -> None:
        raise NotImplementedError


class HotkeyRelay(QObject):
    """The sink the window uses: a backend's reports (its thread) become signals emitted on the
    GUI thread. Create it on the GUI thread."""

    pressed = Signal()
    released = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mailbox = gui_mailbox(self)

    def key_pressed(self) -> None:
        self.mailbox.call(lambda: self.pressed.emit())

    def key_released(self) -> None:
        self.mailbox.call(lambda: self.released.emit())

    def unavailable(self, reason: str) -> None:
        self.mailbox.call(lambda: self.failed.emit(reason))


def unavailable_message(reason: str) -> str:
    return (f"全局快捷键不可用（{reason}）。窗口在前台时可以按空格说话；也可以在桌面设置里把"
            "“lingyin ptt”绑定到一个快捷键：按一下开始说话，再按一下结束。")


def on_wayland(env: Mapping[str, str]) -> bool:
    return env.get("XDG_SESSION_TYPE") == "wayland" or bool(env.get("WAYLAND_DISPLAY"))


def choose_backend(combo: KeyCombo, platform: str = sys.platform,
                   env: Mapping[str, str] | None = None,
                   portal_available: Callable[[], bool] | None = None,
                   ) -> tuple[HotkeyBackend | None, str]:
    """The backend for this desktop, or None with the reason (in Chinese) there is none.

    Windows: RegisterHotKey. Wayland: the desktop portal's GlobalShortcuts where the desktop
    offers it (an X11 grab there only sees keys typed into X11 windows). X11: a key grab."""
    env = os.environ if env is None else env
    if platform == "win32":
        from app.gui.hotkey_windows import WindowsHotkey

        return WindowsHotkey(combo), ""
    if on_wayland(env):
        from app.gui.hotkey_portal import PortalHotkey, portal_has_global_shortcuts

        if (portal_available or portal_has_global_shortcuts)():
            return PortalHotkey(combo), ""
        return None, "这个 Wayland 桌面没有提供全局快捷键接口（GlobalShortcuts 门户）"
    if platform.startswith("linux") and env.get("DISPLAY"):
        from app.gui.hotkey_x11 import X11Hotkey

        return X11Hotkey(combo, env["DISPLAY"]), ""
    return None, "这个桌面环境不支持全局快捷键"


class NoticeFlag:
    """Whether the person was already told why the global hotkey is unavailable (that reason),
    kept in the data folder's gui.json beside the tray's notice."""

    KEY = "hotkey_notice"

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from asr import settings

            path = settings.data_dir() / "gui.json"
        self.path = path

    def _read(self) -> dict[str, object]:
        return DataFile(self.path, OBJECT_FILE).read()  # a damaged file is kept, not lost

    def told(self, reason: str) -> bool:
        return self._read().get(self.KEY) == reason

    def remember(self, reason: str) -> None:
        data = self._read()
        data[self.KEY] = reason
        try:
            DataFile(self.path, OBJECT_FILE).write_json(data)
        except OSError as exc:
            log.warning("%s: cannot remember the hotkey notice (%s)", self.path, exc)
