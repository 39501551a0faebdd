"""The desktop window (opened by `lingyin` with no arguments).

The window is shown at once in the state "正在加载模型…"; the model, grammar and assistant are
built on a worker thread. ``LINGYIN_GUI_INPUT=FILE`` listens to an audio file instead of the
microphone (tests, screenshots).

One app per user: a second `lingyin` brings the first window forward and exits, `lingyin ptt`
toggles push-to-talk in it (app/gui/instance.py); a global hotkey (Ctrl+Alt+Space by default,
app/gui/hotkey.py) works where the desktop allows one. Where the desktop has a tray, closing the
window keeps Lingyin running there (app/gui/tray.py).

Qt's own texts (the buttons of its dialogs, the folder picker, the text boxes' menus) are in
Chinese too: Qt's zh_CN translations, shipped in the PySide6 wheel, are loaded at start."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QTranslator
    from PySide6.QtWidgets import QApplication

    from app.config import AppSettings
    from app.gui.bridge import Bridge
    from app.gui.window import MainWindow

LOCALE = "zh_CN"
QT_CATALOGS = ("qtbase",)  # the catalogs of the Qt modules the window uses


def install_translations(app: QCoreApplication) -> list[QTranslator]:
    """Load Qt's own zh_CN translations into ``app``; the catalogs that loaded (a missing one
    is logged: Qt's texts then stay in English)."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = []
    for catalog in QT_CATALOGS:
        translator = QTranslator(app)
        if translator.load(QLocale(LOCALE), catalog, "_", folder):
            app.installTranslator(translator)
            loaded.append(translator)
        else:
            logging.getLogger("lingyin.gui").warning("no %s_%s translation in %s", catalog,
                                                     LOCALE, folder)
    return loaded


def make_app() -> QApplication:
    """The QApplication (the running one, if any), named and speaking Chinese."""
    from PySide6.QtWidgets import QApplication

    app = cast("QApplication", QApplication.instance() or QApplication(sys.argv[:1]))
    app.setApplicationName("Lingyin")
    install_translations(app)
    return app


def main_window(bridge: Bridge, settings: AppSettings) -> MainWindow:
    """The window over ``bridge`` in the saved mode, saying so when the Qt binding is one
    known to crash (app/gui/binding.py)."""
    from app.gui.binding import binding_problem
    from app.gui.history import HistoryStore
    from app.gui.window import MainWindow
    from app.listener.machine import Mode

    window = MainWindow(bridge, HistoryStore(),
                        Mode.WAKE if settings.mode == "wake" else Mode.PTT, settings)
    problem = binding_problem()
    if problem is not None:
        window.errors.show_explained(problem)
    return window


def run() -> int:
    from app.config import load_settings
    from app.gui.bridge import Bridge
    from app.gui.instance import InstanceServer
    from app.gui.startup import gui_input, start_core
    from app.gui.tray import Tray

    logging.basicConfig(format="lingyin: %(name)s: %(message)s", level=logging.WARNING)
    # The workers are Python: hand the interpreter lock back to the GUI thread sooner than the
    # default 5 ms, so a long loop on a worker (a grammar reload) does not freeze the window.
    sys.setswitchinterval(0.001)
    app = make_app()
    instance = InstanceServer()
    if not instance.start():  # Lingyin already runs: bring its window forward instead
        from app.gui.instance import send

        if send(instance.name, "show"):
            return 0
        print("lingyin: another Lingyin is starting or not answering; try again", file=sys.stderr)
        return 1
    settings = load_settings()
    bridge = Bridge()
    window = main_window(bridge, settings)
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
