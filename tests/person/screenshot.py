"""Save a PNG of the whole X screen ($DISPLAY): `python screenshot.py OUT.png`.

Qt's own grab of the root window (the window under test is another process, so its
QWidget.grab() is out of reach; this needs no ImageMagick). Run with QT_QPA_PLATFORM=xcb."""

from __future__ import annotations

import sys


def main(path: str) -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    screen = app.primaryScreen()
    if screen is None:
        print("no screen", file=sys.stderr)
        return 1
    image = screen.grabWindow(0)
    if image.isNull() or not image.save(path, "PNG"):
        print(f"cannot grab or save {path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
