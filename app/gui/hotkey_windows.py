"""The global hotkey on Windows: RegisterHotKey (user32, through ctypes) on a worker thread that
runs its own message loop. Windows reports only presses (MOD_NOREPEAT drops auto-repeat), so each
press toggles push-to-talk. Not exercised on Linux beyond construction."""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from typing import Any

from app.gui.hotkey import HotkeySink, KeyCombo

log = logging.getLogger("lingyin.gui")
WM_HOTKEY, WM_QUIT = 0x0312, 0x0012
MOD_NOREPEAT = 0x4000
MODS = {"alt": 0x1, "ctrl": 0x2, "shift": 0x4, "super": 0x8}
HOTKEY_ID = 0x4C59  # "LY"


class WindowsHotkey:
    name = "windows"
    holds = False

    def __init__(self, combo: KeyCombo) -> None:
        self.combo = combo
        self._thread: threading.Thread | None = None
        self._thread_id = 0
        self._ready = threading.Event()

    def start(self, sink: HotkeySink) -> None:
        if sys.platform != "win32":
            sink.unavailable("只在 Windows 上可用")
            return
        self._thread = threading.Thread(target=self._run, args=(sink,), daemon=True,
                                        name="lingyin-hotkey-windows")
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        thread = self._thread
        if thread is None:
            return
        self._ready.wait(timeout)
        if self._thread_id and sys.platform == "win32":
            user32: Any = ctypes.windll.user32  # type: ignore[attr-defined,unused-ignore]
            user32.PostThreadMessageW(self._thread_id, WM_QUIT, 0, 0)
        thread.join(timeout)

    def _run(self, sink: HotkeySink) -> None:
        from ctypes import wintypes

        user32: Any = ctypes.windll.user32  # type: ignore[attr-defined,unused-ignore]
        kernel32: Any = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        self._thread_id = int(kernel32.GetCurrentThreadId())
        mods = MOD_NOREPEAT | sum(MODS[m] for m in self.combo.modifiers)
        ok = user32.RegisterHotKey(None, HOTKEY_ID, mods, self.combo.windows_vk)
        self._ready.set()
        if not ok:
            sink.unavailable(f"{self.combo.label} 已被别的程序占用，请在设置里换一个快捷键")
            return
        try:
            message = wintypes.MSG()
            while user32.GetMessageW(ctypes.byref(message), None, 0, 0) > 0:
                if message.message == WM_HOTKEY and message.wParam == HOTKEY_ID:
                    sink.key_pressed()
        finally:
            user32.UnregisterHotKey(None, HOTKEY_ID)
