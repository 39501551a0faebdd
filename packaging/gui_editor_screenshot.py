"""Screenshot of the grammar editor showing an error, for docs/gui-editor.png.

Run under Xvfb with a CJK font installed (packaging/setup.sh installs both):
    xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python packaging/gui_editor_screenshot.py docs/gui-editor.png
The editor opens a copy of the bundled grammar in a temporary folder; one sentence of
volume.yaml loses its closing bracket (not saved); "试一句" then asks for the fix first."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

VOLUME = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN" / "volume.yaml"


def broken_line() -> tuple[int, str]:
    """The line of volume.yaml with 把音量<设到>{volume}, and that line with a ``)`` missing."""
    for number, line in enumerate(VOLUME.read_text(encoding="utf-8").splitlines(), 1):
        if "<设到>" in line and "|音响)" in line:
            return number, line.replace("|音响)", "|音响", 1)
    raise SystemExit(f"{VOLUME}: the volume.set sentence to break is not there any more")


def wait_for(app: object, done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the editor")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)  # a script, not the app: poll the event loop while the worker runs


def main(out: Path) -> int:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QTextCursor
    from PySide6.QtWidgets import QApplication

    from app.gui.editor import GrammarEditor
    from intents.store import bundled_grammar_dir

    folder = Path(tempfile.mkdtemp(prefix="lingyin-shot-")) / "grammar"
    shutil.copytree(bundled_grammar_dir(), folder)
    app = QApplication(sys.argv[:1])
    editor = GrammarEditor(folder)
    editor.resize(1100, 720)
    editor.show()
    wait_for(app, lambda: editor.validation is not None, 60)
    editor.try_box.setText("把音量调到三十")
    wait_for(app, lambda: editor.try_result.text().startswith("volume.set"), 60)

    editor.open_file("volume.yaml")
    number, broken = broken_line()
    cursor = QTextCursor(editor.code.document().findBlockByNumber(number - 1))
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText(broken)
    wait_for(app, lambda: bool(editor.problems), 60)
    editor.code.go_to(number, editor.problems[0].loc.col)
    wait_for(app, lambda: "语法有错误" in editor.try_result.text(), 60)
    wait_for(app, lambda: True, 0)
    editor.grab().save(str(out))
    editor.close()
    editor.deleteLater()  # before the QApplication goes, not in whatever order exit picks
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    shutil.rmtree(folder.parent, ignore_errors=True)
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/gui-editor.png")))
