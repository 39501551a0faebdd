"""Screenshot of the main window with a few history entries, for docs/gui-main.png.

Run under Xvfb with a CJK font installed (packaging/setup.sh installs both):
    xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python packaging/gui_screenshot.py docs/gui-main.png
The real model, grammar and assistant answer typed commands; a file of silence stands in for the
microphone; settings and history live in a temporary folder."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

COMMANDS = ["现在几点", "窗帘关了吗", "设定三十五度", "上海明天天气怎么样", "不要关灯"]


def wait_for(app: object, done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the window")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)  # a script, not the app: poll the event loop while the core works


def main(out: Path) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="lingyin-shot-"))
    os.environ["LINGYIN_CONFIG_DIR"] = str(tmp / "config")
    os.environ.setdefault("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")  # offline
    from PySide6.QtWidgets import QApplication

    from app.config import AppSettings
    from app.gui.bridge import Bridge
    from app.gui.history import HistoryStore
    from app.gui.startup import live_factory
    from app.gui.window import MainWindow
    from app.listener.sources import FileSource

    app = QApplication(sys.argv[:1])
    bridge = Bridge()
    window = MainWindow(bridge, HistoryStore(tmp / "history.json"))
    window.show()
    silence = np.zeros(16000 * 120, dtype=np.float32)
    bridge.load(live_factory(AppSettings(speak=False),
                             source=FileSource("silence", 512, samples=silence)))
    wait_for(app, lambda: bridge.is_ready and window.state_light.state == "idle", 120)
    for n, text in enumerate(COMMANDS, 1):
        window.command.setText(text)
        window.send.click()
        wait_for(app, lambda n=n: len(window.history_view.entries()) == n, 30)  # type: ignore[misc]
    window.command.setText("把音量调到三十")
    wait_for(app, lambda: True, 0)
    window.grab().save(str(out))
    window.close()
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/gui-main.png")))
