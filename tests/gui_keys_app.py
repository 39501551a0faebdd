"""The main window over a recording stand-in core, for driving with real keys (xdotool) on an X
display: run as ``python tests/gui_keys_app.py``; it prints ``ready <window id>`` once the window
is up and ready, then, when a line arrives on stdin (or after a minute), the calls that reached
the listener as one JSON line, and quits."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from test_gui_window import FakeLive

from app.gui.bridge import Bridge
from app.gui.history import HistoryStore
from app.gui.window import MainWindow


def main() -> int:
    app = QApplication(sys.argv[:1])
    bridge, live = Bridge(), FakeLive()
    window = MainWindow(bridge, HistoryStore(Path(os.environ["LINGYIN_DATA_DIR"]) / "h.json"))
    window.show()
    bridge.attach(live)
    done = threading.Event()

    def ready() -> None:
        if window.ptt.isEnabled() and window.isVisible():
            window.history_view.setFocus()
            print("ready", int(window.winId()), flush=True)
        else:
            QTimer.singleShot(50, ready)

    def finish() -> None:
        if not done.is_set():
            done.set()
            print(json.dumps([name for name, _ in live.listener.calls]), flush=True)
            window.quit_app()
            app.quit()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(finish)
    QTimer.singleShot(0, ready)
    QTimer.singleShot(60000, finish)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
