"""“说一句”: understand one spoken sentence against the edited (unsaved) grammar. No Qt here.

The audio comes from an injectable source (the microphone in the app, a :class:`FileSource` in
tests) through the listener's own path: VAD, segmenter, grammar-aware endpointing and command
capture (app/listener/runtime.py), pressed once in toggle push-to-talk mode. The recogniser and
the pinyin→Hanzi converter load once, lazily, on the say-it thread, and are reused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from app.listener.capture import grammar_judge
from app.listener.events import ListenerEvent
from app.listener.machine import MachineConfig, Mode
from app.listener.runtime import Listener, ListenerConfig
from app.listener.sources import AudioSource, MicrophoneSource
from app.listener.vad import make_vad
from asr.recognizer import Recognizer
from intents.model import Grammar
from intents.speech import SpeechUnderstander, ToHanzi

log = logging.getLogger("lingyin.gui.say_it")

Loader = Callable[[], tuple[Recognizer, ToHanzi]]
SourceFactory = Callable[[], AudioSource]
NOTHING_HEARD = "没有听到说话：请点“说一句”后对着麦克风说一句命令"
LIMIT_SECONDS = 20.0  # the longest one recording may take, whatever the source does


def load_models() -> tuple[Recognizer, ToHanzi]:
    from intents.speech import load_to_hanzi

    return Recognizer.load(), load_to_hanzi()


class SpeechModels:
    """The recogniser and converter, loaded on first use (by a worker thread) and kept."""

    def __init__(self, loader: Loader = load_models) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._loaded: tuple[Recognizer, ToHanzi] | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def get(self) -> tuple[Recognizer, ToHanzi]:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._loader()
            return self._loaded


class _Fixed:
    """The listener's understanders: always the one built from the edited grammar."""

    def __init__(self, understander: SpeechUnderstander) -> None:
        self.understander = understander

    def refresh(self) -> list[Any]:
        return []

    def current(self) -> SpeechUnderstander:
        return self.understander


def describe_heard(data: dict[str, object]) -> str:
    """An ``intent`` or ``rejected`` event as the editor shows it."""
    if data.get("rejected", True):
        return f"没听懂（听到：{data.get('text') or '…'}）"
    slots = data.get("slots") or {}
    shown = "  ".join(f"{k}={v}" for k, v in slots.items()) if isinstance(slots, dict) else ""
    confidence = float(data.get("confidence") or 0.0)  # type: ignore[arg-type]
    parts = [f"听到“{data.get('text')}” → {data.get('domain')}.{data.get('intent')}", shown,
             f"置信度 {confidence:.2f}"]
    return "  ".join(p for p in parts if p)


def no_microphone(message: str) -> str:
    return (f"无法使用麦克风：{message}。请接上麦克风（或在设置里选择输入设备）后再点“说一句”；"
            "也可以在左边输入文字试一句")


class SayIt:
    """One recording at a time, on its own thread; ``close`` stops it."""

    def __init__(self, source: SourceFactory | None = None,
                 models: SpeechModels | None = None) -> None:
        self._source = source or (lambda: MicrophoneSource(None))
        self.models = models or SpeechModels()
        self._listener: Listener | None = None
        self._thread: threading.Thread | None = None
        self._cached: tuple[Grammar, SpeechUnderstander] | None = None
        self._closed = False

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, grammar: Grammar, on_status: Callable[[str], None],
              on_done: Callable[[str], None]) -> bool:
        """Record and understand one sentence; False when a recording is already running."""
        if self.busy or self._closed:
            return False
        self._thread = threading.Thread(target=self._run, args=(grammar, on_status, on_done),
                                        name="lingyin-say-it", daemon=True)
        self._thread.start()
        return True

    def _run(self, grammar: Grammar, on_status: Callable[[str], None],
             on_done: Callable[[str], None]) -> None:
        try:
            if not self.models.loaded:
                on_status("正在加载识别模型（只在第一次需要几秒）…")
            understander = self._understander(grammar, on_status)
            source = self._source()
            if not self._closed:
                on_status("请说一句…")
                on_done(self._hear(understander, source))
        except Exception as exc:  # the model missing, PortAudio missing…: say what happened
            log.exception("say it failed")
            on_done(f"“说一句”失败：{exc}")

    def _understander(self, grammar: Grammar,
                      on_status: Callable[[str], None]) -> SpeechUnderstander:
        recognizer, to_hanzi = self.models.get()
        if self._cached is not None and self._cached[0] is grammar:
            return self._cached[1]
        on_status("正在准备语法…")
        understander = SpeechUnderstander(recognizer, grammar, to_hanzi=to_hanzi)
        self._cached = (grammar, understander)
        return understander

    def _hear(self, understander: SpeechUnderstander, source: AudioSource) -> str:
        outcome: list[str] = []

        def on_event(event: ListenerEvent) -> None:
            if outcome:
                return
            if event.kind in ("intent", "rejected"):
                outcome.append(describe_heard(event.data))
            elif event.kind == "error":
                outcome.append(no_microphone(str(event.data.get("message", ""))))
            elif event.kind == "state" and event.data.get("state") == "idle" \
                    and event.data.get("previous") is not None:
                outcome.append(NOTHING_HEARD)
            else:
                return
            listener.stop()

        config = ListenerConfig(machine=MachineConfig(mode=Mode.PTT, hold=False, speak=False))
        listener = Listener(source, _Fixed(understander), make_vad("webrtc", 2),
                            judge=grammar_judge, on_event=on_event, config=config,
                            live_time=isinstance(source, MicrophoneSource))
        self._listener = listener
        limit = threading.Timer(LIMIT_SECONDS, listener.stop)
        limit.start()
        try:
            listener.press()
            listener.run()
        finally:
            limit.cancel()
            self._listener = None
        return outcome[0] if outcome else NOTHING_HEARD

    def close(self, timeout: float = 2.0) -> None:
        self._closed = True
        listener = self._listener
        if listener is not None:
            listener.stop()
        if self._thread is not None:
            self._thread.join(timeout)


__all__ = ["SayIt", "SpeechModels"]
