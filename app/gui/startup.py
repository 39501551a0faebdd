"""Building the core the window runs (on the bridge's loader thread, never the GUI thread):
the listener options from the user's settings, the audio source wrapped for the level meter."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.config import AppSettings, load_settings
from app.gui.levels import LevelSource
from app.listener.assemble import ListenerOptions, make_source
from app.listener.machine import MachineConfig, Mode
from app.listener.speaker import SpeakerSettings

INPUT_ENV = "LINGYIN_GUI_INPUT"  # an audio file to listen to instead of the microphone


def gui_input() -> Path | None:
    value = os.environ.get(INPUT_ENV, "").strip()
    return Path(value) if value else None


def listener_options(settings: AppSettings, input_file: Path | None = None) -> ListenerOptions:
    mode = Mode.WAKE if settings.mode == "wake" else Mode.PTT
    return ListenerOptions(
        machine=MachineConfig(mode=mode, hold=True, follow_up=settings.follow_up,
                              chime=settings.chime),
        wake=list(settings.wake_phrases),  # always: the mode switch may turn wake mode on
        device=settings.device, input=input_file,
        speak=settings.speak and input_file is None, vad=settings.vad,
        vad_aggressiveness=settings.vad_aggressiveness,
        speaker=SpeakerSettings(voice=settings.voice, rate=settings.rate,
                                volume=settings.volume))


def live_factory(settings: AppSettings | None = None, input_file: Path | None = None,
                 **parts: Any) -> Callable[[Any], Any]:
    """A factory for Bridge.load: builds app.assistant.live.Live with the bridge's callbacks.
    ``parts`` go to build_listener (a loaded recognizer, to_hanzi or source, as in tests)."""

    def build(bridge: Any) -> Any:
        from app.assistant.live import build_live

        options = listener_options(settings or load_settings(), input_file)
        source = parts.pop("source", None) or make_source(options)
        return build_live(options, bridge.on_event, source=LevelSource(source, bridge.on_level),
                          on_announce=bridge.on_announce, **parts)

    return build
