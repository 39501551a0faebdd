"""The settings dialog's slow checks, each on a worker thread with its result delivered to the GUI
thread: the test recording's peak, the wake word test, the voices the speech engine offers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.gui.wake_test import WakeTest, listen_for_wake
from app.listener.sources import AudioSource, MicrophoneSource

VOICE_TIMEOUT = 10.0
ModelLoader = Callable[[], Any]  # → asr.model.TransducerModel
SourceMaker = Callable[[str | None], AudioSource]  # the device setting → a source


class _Done(QObject):
    done = Signal(object)


_PENDING: set[_Done] = set()  # each job's signal object lives until its result is delivered


def _release(signals: _Done) -> None:
    _PENDING.discard(signals)
    signals.deleteLater()  # by Qt, on the GUI thread, never by a collector on another thread


def in_background(job: Callable[[], Any], deliver: Callable[[Any], None],
                  name: str) -> threading.Thread:
    """Run ``job`` on a daemon thread; ``deliver`` gets its result (or the exception it
    raised) on the GUI thread (not at all if its object is gone by then)."""
    signals = _Done()
    _PENDING.add(signals)
    signals.done.connect(deliver, Qt.ConnectionType.QueuedConnection)
    signals.done.connect(lambda _result: _release(signals), Qt.ConnectionType.QueuedConnection)
    emit = signals.done.emit

    def run() -> None:
        try:
            result: Any = job()
        except Exception as exc:  # a test button must never take the app down
            result = exc
        emit(result)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def model_loader(folder: str | None, bridge: Any = None) -> ModelLoader:
    """The running core's model when there is one, else the model in ``folder`` (None: the
    installed one), loaded on the worker."""

    def load() -> Any:
        loaded = bridge.loaded_model() if bridge is not None and not folder else None
        if loaded is not None:
            return loaded
        from asr.model import TransducerModel

        return TransducerModel.load(Path(folder).expanduser() if folder else None)

    return load


def microphone(device: str | None) -> AudioSource:
    return MicrophoneSource(device or None)


def wake_job(specs: list[str], device: str | None, load: ModelLoader,
             source: SourceMaker, has_input: Callable[[], bool]) -> Callable[[], WakeTest]:
    from app.listener.sources import DeviceError

    def job() -> WakeTest:
        model = load()
        if not has_input():
            raise DeviceError("没有找到输入设备（麦克风）：请接上麦克风，或检查音频服务是否在运行")
        return listen_for_wake(model, specs, source(device))

    return job


def engine_voices() -> list[tuple[str, str]]:
    """(id, name) of the voices pyttsx3 (espeak-ng) offers; [] when it cannot start."""
    from app.listener.tts import available_voices

    return available_voices(VOICE_TIMEOUT)
