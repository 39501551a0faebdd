"""Screenshot of the settings dialog, for docs/gui-settings.png.

Run under Xvfb with a CJK font installed (packaging/setup.sh installs both):
    xvfb-run -a -s "-screen 0 1280x900x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python packaging/gui_settings_screenshot.py docs/gui-settings.png
The settings live in a temporary folder; the dialog shows a wake phrase with a bad sensitivity
after pressing OK, so the figure shows how a problem is reported (nothing is saved), and the
result of "测试录音" (on a machine without a microphone, the message saying so)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="lingyin-shot-"))
    os.environ["LINGYIN_CONFIG_DIR"] = str(tmp / "config")
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    from app.config import AppSettings, save_settings, settings_path
    from app.gui.settings import SettingsDialog

    save_settings(AppSettings(default_city="上海", wake_phrases=["你好小灵:0.6", "小灵小灵"],
                              follow_up=5.0, home_assistant_url="http://homeassistant.local:8123",
                              home_assistant_token="eyJhbGciOiJIUzI1NiJ9.example",
                              music_folder=str(Path.home())), settings_path())
    app = QApplication(sys.argv[:1])
    dialog = SettingsDialog()
    dialog.resize(640, 0)
    dialog.show()
    dialog.wake_edit.setPlainText("你好小灵:0.6\n小灵小灵:1.5")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()  # blocked: shows why
    dialog.test_button.click()  # on a machine without a microphone: says so
    deadline = time.monotonic() + 10
    while not dialog.test_button.isEnabled() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)  # a script, not the app: wait for the test recording
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)  # a script, not the app: let the window settle
    dialog.grab().save(str(out))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/gui-settings.png")))
