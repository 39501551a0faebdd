"""The desktop window (opened by `lingyin` with no arguments).

The window is shown at once in the state "正在加载模型…"; the model, grammar and assistant are
built on a worker thread. ``LINGYIN_GUI_INPUT=FILE`` listens to an audio file instead of the
microphone (tests, screenshots).

One app per user: a second `lingyin` brings the first window forward and exits, `lingyin ptt`
toggles push-to-talk in it (app/gui/instance.py); a global hotkey (Ctrl+Alt+Space by default,
app/gui/hotkey.py) works where the desktop allows one. Where the desktop has a tray, closing the
window keeps Lingyin running there (app/gui/tray.py)."""

from __future__ import annotations

import logging
import sys


def run() -> int:
    from PySide6.QtWidgets import QApplication

    from app.config import load_settings
    from app.gui.bridge import Bridge
    from app.gui.history import HistoryStore
    from app.gui.instance import InstanceServer
    from app.gui.startup import gui_input, start_core
    from app.gui.tray import Tray
    from app.gui.window import MainWindow
    from app.listener.machine import Mode

    logging.basicConfig(format="lingyin: %(name)s: %(message)s", level=logging.WARNING)
    # The workers are Python: hand the interpreter lock back to the GUI thread sooner than the
    # default 5 ms, so a long loop on a worker (a grammar reload) does not freeze the window.
    sys.setswitchinterval(0.001)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Lingyin")
    instance = InstanceServer()
    if not instance.start():  # Lingyin already runs: bring its window forward instead
        from app.gui.instance import send

        if send(instance.name, "show"):
            return 0
        print("lingyin: another Lingyin is starting or not answering; try again", file=sys.stderr)
        return 1
    settings = load_settings()
    bridge = Bridge()
    window = MainWindow(bridge, HistoryStore(),
                        Mode.WAKE if settings.mode == "wake" else Mode.PTT, settings)
    instance.message.connect(window.remote)
    Tray.create(window)
    window.show()
    window.start_hotkey()  # the global push-to-talk key, where the desktop allows one
    start_core(window, bridge, settings, gui_input())  # or the model installer first
    code = app.exec()
    window.stop_hotkey()
    instance.close()
    bridge.shutdown()
    return int(code)
