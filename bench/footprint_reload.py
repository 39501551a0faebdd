"""Grammar reloads for bench/bench_footprint.py, the way a person makes them: the window's
编辑语法 opens the grammar editor, a comment line is typed at the end of the first file and
保存 clicked — the editor writes the file, runs the grammar's own tests and calls the app's
reload (app/gui/editor.py ``save`` → editor_model.after_save → Bridge.reload_grammar) — until
the editor's status line gives the result. The app is tests/person's LingyinApp (the real
`lingyin` on the private desktop, read through AT-SPI: accessibility is on in these runs, so its
memory is compared with its own reading before the first save)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from atspi import A11y, Node
from desktop import Desktop
from footprint_procs import ChildPeaks, MicWatch, RunError, Sample, memory
from lingyin_app import EDITOR_TITLE, LOADING, Home, LingyinApp

EDITOR_X = 800  # the editor is moved here, beside the main window (as bench_gui_soak does)


def run_reload(name: str, home: Home, desktop: Desktop, a11y: A11y, watch: MicWatch,
               log: Path, settle: float, saves: int = 10, timeout: float = 600.0) -> Sample:
    sample = Sample(name)
    app = LingyinApp(home, desktop, a11y, log)
    peaks: ChildPeaks | None = None
    try:
        try:
            app.start(timeout=timeout)
        except (AssertionError, RuntimeError) as exc:
            raise RunError(f"{name}: the app did not get ready: {exc}") from exc
        assert app.process is not None
        pid, started = app.process.pid, app.started_at
        peaks = ChildPeaks(pid)
        changes = app.states.changes
        label_ready = next((t for t, text in changes if LOADING not in text), None)
        opened = watch.wait(pid, 10.0, lambda: app.alive)
        sample.ready_s = None if label_ready is None else label_ready - started
        sample.mic_s = None if opened is None else opened - started
        time.sleep(settle)
        sample.at_ready = memory(pid)
        open_editor(app)
        time.sleep(settle)
        sample.extra["editor_open"] = memory(pid)
        seconds, results = [], []
        for number in range(saves):
            took, said = save_once(app, number + 1)
            seconds.append(took)
            results.append(said)
        time.sleep(settle)
        app.check_alive()
        sample.idle = memory(pid)
        sample.extra["save_s"] = [round(s, 2) for s in seconds]
        sample.extra["save_results"] = sorted(set(results))
        sample.extra["label_ready_minus_mic_s"] = (
            None if label_ready is None or opened is None else round(label_ready - opened, 3))
    except (RunError, AssertionError, RuntimeError) as exc:
        sample.error = f"{name}: {exc}"
    finally:
        if peaks is not None:
            sample.extra.update(peaks.stop())
        app.terminate()
    return sample


def open_editor(app: LingyinApp) -> None:
    button = app.find(lambda n: n.role == "push button" and n.name == "编辑语法",
                      "the 编辑语法 button", timeout=20)
    app.click(button)
    window = app.desktop.xdo.wait_window(EDITOR_TITLE, 30)
    app.desktop.xdo.run("windowmove", "--sync", str(window), str(EDITOR_X), "0")
    code_box(app)


def code_box(app: LingyinApp) -> Node:
    def probe() -> Any:
        frame = app.a11y.frame(EDITOR_TITLE)
        boxes = [] if frame is None else app.a11y.find_all(
            frame, lambda n: n.role == "text" and n.on_screen and n.extents[0] >= EDITOR_X)
        return max(boxes, key=lambda n: n.extents[2] * n.extents[3], default=None)

    return app.a11y.wait_for("the editor's text", probe, 30)


def status(app: LingyinApp) -> str:
    frame = app.a11y.frame(EDITOR_TITLE)
    found = None if frame is None else app.a11y.find(
        frame, lambda n: n.role == "label" and n.name.startswith("已保存"))
    return "" if found is None else found.name


def save_once(app: LingyinApp, number: int, timeout: float = 180.0) -> tuple[float, str]:
    """Type a comment at the end of the open file, click 保存; seconds from the click to the
    editor's result line (已保存并重新加载… or what went wrong, which fails the run)."""
    xdo = app.desktop.xdo
    app.click(code_box(app))
    xdo.key("ctrl+End")
    xdo.key("Return")
    xdo.type(f"# footprint reload {number}", delay_ms=12)
    save = app.find(lambda n: n.role == "push button" and n.name == "保存"
                    and n.extents[0] >= EDITOR_X, "保存", title=EDITOR_TITLE)
    clicked = time.monotonic()
    app.click(save)
    deadline = clicked + timeout
    seen_busy = False
    while time.monotonic() < deadline:
        app.check_alive()
        text = status(app)
        if "正在" in text:
            seen_busy = True
        elif text and (seen_busy or time.monotonic() - clicked > 5.0):
            if "重新加载" not in text:  # 语法有错误，仍在使用旧的语法: nothing was reloaded
                raise RunError(f"save {number}: the editor says {text!r}")
            return time.monotonic() - clicked, text
        time.sleep(0.5)  # each look walks the editor's accessibility tree: not too often
    raise RunError(f"save {number}: no result within {timeout:.0f} s "
                   f"(status {status(app)!r})")
