"""The global hotkey on X11: a passive key grab (XGrabKey) on the root window through libX11
(ctypes), read on a worker thread that owns its own X connection.

Hold semantics: the grab reports the key going down and up, once per hold however long. Auto-repeat
is switched to "detectable" (XkbSetDetectableAutoRepeat: repeats arrive as presses only, which
are ignored while the key is down); where the server refuses, a release followed by a press of the
same key with the same time stamp is a repeat and is dropped too (the press is waited for briefly,
``PAIR_WAIT`` seconds, when it has not arrived with the release). The grab is made with and without
Caps Lock and Num Lock, so either being on does not disable the hotkey."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import select
import threading

from app.gui.hotkey import HotkeySink, KeyCombo, PollingBackend

log = logging.getLogger("lingyin.gui")
KEY_PRESS, KEY_RELEASE = 2, 3
BAD_ACCESS = 10
GRAB_MODE_ASYNC = 1
MASKS = {"shift": 1 << 0, "ctrl": 1 << 2, "alt": 1 << 3, "super": 1 << 6}
LOCK_MASK, NUM_LOCK_MASK = 1 << 1, 1 << 4
QUEUED_AFTER_READING = 1
PAIR_WAIT = 0.03  # how long a release waits for its auto-repeat press (they are sent together)


class XKeyEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("root", ctypes.c_ulong), ("subwindow", ctypes.c_ulong),
                ("time", ctypes.c_ulong), ("x", ctypes.c_int), ("y", ctypes.c_int),
                ("x_root", ctypes.c_int), ("y_root", ctypes.c_int), ("state", ctypes.c_uint),
                ("keycode", ctypes.c_uint), ("same_screen", ctypes.c_int)]


class XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xkey", XKeyEvent), ("pad", ctypes.c_long * 24)]


class XErrorEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("display", ctypes.c_void_p),
                ("resourceid", ctypes.c_ulong), ("serial", ctypes.c_ulong),
                ("error_code", ctypes.c_ubyte), ("request_code", ctypes.c_ubyte),
                ("minor_code", ctypes.c_ubyte)]


ErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(XErrorEvent))
_errors: dict[int, list[int]] = {}  # display address → X error codes seen
_handler_lock = threading.Lock()
_handler: object = None  # kept alive for as long as libX11 may call it


@ErrorHandler  # type: ignore[untyped-decorator,unused-ignore]
def _record_error(display: int | None, event: ctypes._Pointer[XErrorEvent]) -> int:
    _errors.setdefault(int(display or 0), []).append(int(event.contents.error_code))
    return 0  # instead of Xlib's default handler, which ends the process


def load_xlib() -> ctypes.CDLL:
    """libX11 with the signatures used here; OSError when it is not installed."""
    lib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    vp, ul, i, ui = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_uint
    signatures: dict[str, tuple[list[object], object]] = {
        "XOpenDisplay": ([ctypes.c_char_p], vp), "XCloseDisplay": ([vp], i),
        "XDefaultRootWindow": ([vp], ul), "XStringToKeysym": ([ctypes.c_char_p], ul),
        "XKeysymToKeycode": ([vp, ul], ctypes.c_ubyte),
        "XGrabKey": ([vp, i, ui, ul, i, i, i], i), "XUngrabKey": ([vp, i, ui, ul], i),
        "XSync": ([vp, i], i), "XPending": ([vp], i), "XEventsQueued": ([vp, i], i),
        "XNextEvent": ([vp, ctypes.POINTER(XEvent)], i),
        "XPeekEvent": ([vp, ctypes.POINTER(XEvent)], i), "XConnectionNumber": ([vp], i),
        "XkbSetDetectableAutoRepeat": ([vp, i, ctypes.POINTER(ctypes.c_int)], i),
        "XSetErrorHandler": ([vp], vp),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = args, result
    return lib


def _install_error_handler(lib: ctypes.CDLL) -> None:
    global _handler
    with _handler_lock:
        if _handler is None:
            lib.XSetErrorHandler(ctypes.cast(_record_error, ctypes.c_void_p))
            _handler = _record_error


class X11Hotkey(PollingBackend):
    """Grabs ``combo`` on the X display ``display`` (":0") and reports it to the sink."""

    name = "x11"
    holds = True

    THREAD_NAME = "lingyin-hotkey-x11"

    def __init__(self, combo: KeyCombo, display: str, poll_seconds: float = 0.1,
                 detectable: bool = True) -> None:
        super().__init__(combo, poll_seconds)
        self.display_name = display
        self.detectable = detectable  # ask for detectable auto-repeat (tests turn it off)
        self.grabbed = threading.Event()  # set once the grab is in place (tests wait for it)

    # ---- the worker thread: it alone touches its X connection ------------------------------
    def _run(self, sink: HotkeySink) -> None:
        try:
            lib = load_xlib()
        except OSError:
            sink.unavailable("没有找到 libX11")
            return
        _install_error_handler(lib)
        display = lib.XOpenDisplay(self.display_name.encode())
        if not display:
            sink.unavailable(f"无法连接 X 显示 {self.display_name}")
            return
        try:
            grabbed = self._grab(lib, display)
            if isinstance(grabbed, str):
                sink.unavailable(grabbed)
                return
            self.grabbed.set()
            self._loop(lib, display, grabbed, sink)
        except Exception as exc:  # reported, not a crash of the app
            log.exception("the X11 hotkey failed")
            sink.unavailable(f"X11 出错：{exc}")
        finally:
            lib.XCloseDisplay(display)
            _errors.pop(display, None)

    def _grab(self, lib: ctypes.CDLL, display: int) -> int | str:
        """The grabbed keycode, or why the key cannot be grabbed."""
        keysym = lib.XStringToKeysym(self.combo.x11_keysym.encode())
        keycode = int(lib.XKeysymToKeycode(display, keysym)) if keysym else 0
        if not keycode:
            return f"键盘上没有 {self.combo.label} 里的按键"
        root = lib.XDefaultRootWindow(display)
        mask = sum(MASKS[m] for m in self.combo.modifiers)
        supported = ctypes.c_int(0)
        if self.detectable:
            lib.XkbSetDetectableAutoRepeat(display, 1, ctypes.byref(supported))
        self._detectable = bool(supported.value)
        _errors[display] = []
        for extra in (0, LOCK_MASK, NUM_LOCK_MASK, LOCK_MASK | NUM_LOCK_MASK):
            lib.XGrabKey(display, keycode, mask | extra, root, 0, GRAB_MODE_ASYNC,
                         GRAB_MODE_ASYNC)
        lib.XSync(display, 0)
        if _errors.get(display):
            for extra in (0, LOCK_MASK, NUM_LOCK_MASK, LOCK_MASK | NUM_LOCK_MASK):
                lib.XUngrabKey(display, keycode, mask | extra, root)
            lib.XSync(display, 0)
            if BAD_ACCESS in _errors[display]:
                return f"{self.combo.label} 已被别的程序占用，请在设置里换一个快捷键"
            return f"无法注册 {self.combo.label}（X 错误 {_errors[display]}）"
        return keycode

    def _loop(self, lib: ctypes.CDLL, display: int, keycode: int, sink: HotkeySink) -> None:
        fd = lib.XConnectionNumber(display)
        event = XEvent()
        down = False
        while not self._stop.is_set():
            if not lib.XPending(display):
                select.select([fd], [], [], self.poll_seconds)
                continue
            lib.XNextEvent(display, ctypes.byref(event))
            key = event.xkey
            if event.type not in (KEY_PRESS, KEY_RELEASE) or key.keycode != keycode:
                continue
            if event.type == KEY_PRESS and not down:
                down = True
                sink.key_pressed()
            elif event.type == KEY_RELEASE and down and not self._repeat(lib, display, key):
                down = False
                sink.key_released()

    def _repeat(self, lib: ctypes.CDLL, display: int, release: XKeyEvent) -> bool:
        """A release followed by a press of the same key at the same time: auto-repeat on a
        server without detectable auto-repeat (the press is consumed here)."""
        if lib.XEventsQueued(display, QUEUED_AFTER_READING) == 0:
            select.select([lib.XConnectionNumber(display)], [], [], PAIR_WAIT)
            if lib.XEventsQueued(display, QUEUED_AFTER_READING) == 0:
                return False
        following = XEvent()
        lib.XPeekEvent(display, ctypes.byref(following))
        nxt = following.xkey
        if (following.type == KEY_PRESS and nxt.keycode == release.keycode
                and nxt.time == release.time):
            lib.XNextEvent(display, ctypes.byref(following))
            return True
        return False
