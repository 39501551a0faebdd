"""Whether the Qt binding keeps Python's reference counts.

PySide6-Essentials 6.12.0 on Python 3.11 gives back one reference to ``None`` it never took on
every call of a method that returns nothing (``setText``, ``setValue``, ``processEvents``…) and
one to ``True`` on every ``Signal.emit``. Python 3.12 made those objects immortal, so nothing
happens there; on 3.11 the count reaches zero after some thousands of calls and the process dies
with "Fatal Python error: bool_dealloc" (or ``none_dealloc``) wherever it happens to be: the
window's level meter (30 updates a second) got there within minutes. 6.11 does not do this.

``binding_problem`` measures it with a few hundred harmless calls at start; the window says what
to install instead, and the log names the versions."""

from __future__ import annotations

import logging
import sys

from app.gui.problems import Explained

log = logging.getLogger("lingyin.gui")
PROBES = 200
FIX = 'PySide6-Essentials<6.12'


def lost_references(probes: int = PROBES) -> dict[str, int]:
    """How many references to None and True ``probes`` void calls and signal emissions lost
    (0 for a sound binding; ``probes`` for the broken one). Call it on the GUI thread."""
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        pinged = Signal()

    probe = Probe()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(probes):
        probe.setObjectName("probe")  # returns nothing
        probe.pinged.emit()
    after = sys.getrefcount(None), sys.getrefcount(True)
    probe.deleteLater()
    return {"None": before[0] - after[0], "True": before[1] - after[1]}


def binding_problem(probes: int = PROBES) -> Explained | None:
    """What to tell the person when the binding loses references (None when it is sound)."""
    import PySide6

    lost = {name: count for name, count in lost_references(probes).items()
            if count >= probes // 2}
    if not lost:
        return None
    python = ".".join(map(str, sys.version_info[:3]))
    detail = (f"PySide6 {PySide6.__version__} on Python {python} loses a reference to "
              f"{' and '.join(lost)} on every call ({lost} in {probes} calls)")
    log.warning("%s: the window will crash (bool_dealloc); install %s", detail, FIX)
    return Explained(
        f"这个版本的 PySide6（{PySide6.__version__}）在 Python {python} 上有引用计数错误，"
        "窗口会在几分钟后崩溃",
        f"请安装没有这个错误的版本：.venv/bin/pip install '{FIX}'，然后重新打开灵音。", detail)
