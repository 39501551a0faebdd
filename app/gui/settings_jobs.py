"""The settings dialog's slow checks, each on a worker thread with its result delivered to the GUI
thread: the test recording's peak, the wake word test, the voices the speech engine offers. The
worker touches no Qt object: its result is posted to the GUI thread (app/gui/gui_thread.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from app.gui.gui_thread import shared_mailbox
from app.gui.wake_test import WakeTest, listen_for_wake
from app.listener.sources import AudioSource, MicrophoneSource

VOICE_TIMEOUT = 10.0
ModelLoader = Callable[[], Any]  # → asr.model.TransducerModel
SourceMaker = Callable[[str | None], AudioSource]  # the device setting → a source


def _alive(deliver: Callable[[Any], None]) -> bool:
    """Whether the Qt object ``deliver`` is a method of (if any) still exists."""
    owner = getattr(deliver, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


def in_background(job: Callable[[], Any], deliver: Callable[[Any], None],
                  name: str) -> threading.Thread:
    """Run ``job`` on a daemon thread; ``deliver`` gets its result (or the exception it
    raised) on the GUI thread (not at all if its object is gone by then). Call it on the GUI
    thread."""
    mailbox = shared_mailbox()

    def hand_over(result: Any) -> None:
        if _alive(deliver):
            deliver(result)

    def run() -> None:
        try:
            result: Any = job()
        except Exception as exc:  # a test button must never take the app down
            result = exc
        mailbox.post(lambda: hand_over(result))

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
