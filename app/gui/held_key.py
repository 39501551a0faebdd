"""Space as the window's push-to-talk key: one press and one release per hold, however long.

While a key is held, X11 auto-repeat sends a release and a press with the same time stamp about
25 times a second, and Qt marks only some of them ``isAutoRepeat()``. So a release is final only
once no press with its time stamp follows within ``RELEASE_GRACE_MS``; a press that does follow is
part of the repeat and both are dropped. Presses and releases Qt marks as repeats are dropped
at once. Space counts anywhere in the window except in text boxes (and drop-down lists)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QWidget

RELEASE_GRACE_MS = 60  # longer than one repeat's release→press gap, shorter than a person notices
REPEAT_DELAY_MS = 100  # no keyboard repeats sooner after the press (X11's default is 660 ms)
TYPING = (QLineEdit, QComboBox)


class RepeatPairs:
    """Qt-free: which key events of one held key are auto-repeat (time stamps in ms; 0 means
    unknown, as synthesized events carry, and never pairs)."""

    def __init__(self) -> None:
        self.down_at = 0  # time stamp of the press that started the hold
        self.release_at: int | None = None  # a release waiting to become final

    def pressed(self, stamp: int) -> None:
        self.down_at, self.release_at = stamp, None

    def released(self, stamp: int) -> None:
        self.release_at = stamp

    def repeats(self, stamp: int) -> bool:
        """Whether a press at ``stamp`` repeats the waiting release (and so cancels it)."""
        pending, self.release_at = self.release_at, None
        return (pending is not None and stamp != 0 and stamp == pending
                and stamp - self.down_at >= REPEAT_DELAY_MS)


class HeldSpace(QObject):
    """An application event filter for ``window``: ``on_key(True)`` when Space goes down,
    ``on_key(False)`` when it really comes up; only while ``enabled()``."""

    def __init__(self, window: QWidget, enabled: Callable[[], bool],
                 on_key: Callable[[bool], None], grace_ms: int = RELEASE_GRACE_MS) -> None:
        super().__init__(window)
        self.window = window
        self.enabled = enabled
        self.on_key = on_key
        self.down = False
        self.pairs = RepeatPairs()
        self._release = QTimer(self)
        self._release.setSingleShot(True)
        self._release.setInterval(grace_ms)
        self._release.timeout.connect(self._released)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return super().eventFilter(watched, event)
        if not isinstance(event, QKeyEvent) or not self._ours(watched, event):
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.KeyPress:
            self._press(event)
        else:
            self._release_seen(event)
        return True

    def _press(self, event: QKeyEvent) -> None:
        if self._release.isActive():
            self._release.stop()
            if event.isAutoRepeat() or self.pairs.repeats(event.timestamp()):
                return  # an auto-repeat pair: still held
            self._released()  # the waiting release was real: this is a new press
        if event.isAutoRepeat() or self.down:
            return
        self.down = True
        self.pairs.pressed(event.timestamp())
        self.on_key(True)

    def _release_seen(self, event: QKeyEvent) -> None:
        if event.isAutoRepeat() or not self.down or self._release.isActive():
            return
        self.pairs.released(event.timestamp())
        self._release.start()  # final unless a press with this time stamp follows

    def _released(self) -> None:
        if self.down:
            self.down = False
            self.on_key(False)

    def _ours(self, watched: QObject, event: QKeyEvent) -> bool:
        if event.key() != Qt.Key.Key_Space:
            return False
        if self.down:  # once held, its repeats and its release are ours wherever they go
            return True
        if event.modifiers() != Qt.KeyboardModifier.NoModifier or not self.enabled():
            return False
        if event.type() != QEvent.Type.KeyPress:
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self.window:
            return False
        return not isinstance(watched, TYPING) and not isinstance(QApplication.focusWidget(),
                                                                   TYPING)
