"""Building the core the window runs (on the bridge's loader thread, never the GUI thread):
the listener options from the user's settings, the audio source wrapped for the level meter;
the first run (no model yet: the window offers to install it, then loads); and saved settings
applied to the running core (``reconfigure``, on the bridge's worker thread).

Before the core loads the grammar, the built-in actions are declared to its store, so a grammar
naming an unknown action (or one without the slots an action needs) is refused like a broken
file: the core then starts on the last good grammar and the window's banner leads to the broken
line (app/gui/start_notes.py). The first run's ~30 s lexicon build is said in the window."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import AppSettings, load_settings

if TYPE_CHECKING:  # the core's modules are imported on the loader thread, after the first paint
    from app.listener.assemble import ListenerOptions

INPUT_ENV = "LINGYIN_GUI_INPUT"  # an audio file to listen to instead of the microphone

# what a running core needs a new listener for; what the actions read; what the voice reads
LISTENING = frozenset({"device", "wake_phrases", "vad", "vad_aggressiveness", "follow_up",
                       "chime", "model_folder"})
ACTIONS = frozenset({"default_city", "weather_url", "weather_timeout", "home_assistant_url",
                     "home_assistant_token", "call_command", "music_folder", "volume_step"})
VOICE = frozenset({"speak", "voice", "rate", "volume"})
LEXICON_NOTE = "正在准备汉字词典（仅首次，约30秒）…"  # the first run builds it


def gui_input() -> Path | None:
    value = os.environ.get(INPUT_ENV, "").strip()
    return Path(value) if value else None


def model_folder(settings: AppSettings) -> Path | None:
    """The model folder the settings name (None: the installed one in the user data dir)."""
    return Path(settings.model_folder).expanduser() if settings.model_folder else None


def listener_options(settings: AppSettings, input_file: Path | None = None) -> ListenerOptions:
    from app.listener.assemble import ListenerOptions
    from app.listener.machine import MachineConfig, Mode
    from app.listener.speaker import SpeakerSettings

    mode = Mode.WAKE if settings.mode == "wake" else Mode.PTT
    return ListenerOptions(
        machine=MachineConfig(mode=mode, hold=True, follow_up=settings.follow_up,
                              chime=settings.chime),
        wake=list(settings.wake_phrases),  # always: the mode switch may turn wake mode on
        device=settings.device, input=input_file,
        speak=settings.speak and input_file is None, vad=settings.vad,
        vad_aggressiveness=settings.vad_aggressiveness, model_dir=model_folder(settings),
        speaker=SpeakerSettings(voice=settings.voice, rate=settings.rate,
                                volume=settings.volume))


def prepare_to_hanzi(note: Callable[[str], None] | None = None) -> Any:
    """The pinyin→Hanzi converter, loaded at its first use (asr/hanzi.py ``lazy_to_hanzi``).
    When its lexicon must be built first (the first run, ~20 s), the build starts now on a
    thread of its own (a child process does the work) while the grammar loads, and ``note``
    says so in the window until it is done; a turn that needs the converter before then waits
    for it."""
    import threading

    from asr.hanzi import LazyConverter, lazy_to_hanzi
    from asr.hanzi_data import lexicon_path

    if note is None or lexicon_path().is_file():
        return lazy_to_hanzi()
    converter = LazyConverter()
    note(LEXICON_NOTE)

    def build() -> None:
        try:
            converter.converter()
        except Exception:  # the first turn that needs it raises it again
            pass
        finally:
            note("")

    threading.Thread(target=build, name="lexicon", daemon=True).start()
    return converter


def live_factory(settings: AppSettings | None = None, input_file: Path | None = None, *,
                 note: Callable[[str], None] | None = None,
                 **parts: Any) -> Callable[[Any], Any]:
    """A factory for Bridge.load: builds app.assistant.live.Live with the bridge's callbacks.
    ``parts`` go to build_listener (a loaded recognizer, to_hanzi or source, as in tests);
    ``note`` shows what takes long (the window's preparing line)."""

    def build(bridge: Any) -> Any:
        from app.assistant.build import declare_actions
        from app.assistant.live import build_live
        from app.gui.levels import LevelSource
        from app.listener.assemble import make_source

        declare_actions()  # before the grammar store loads the user's grammar
        if "to_hanzi" not in parts:
            parts["to_hanzi"] = prepare_to_hanzi(note)
        options = listener_options(settings or load_settings(), input_file)
        source = parts.pop("source", None) or make_source(options)
        return build_live(options, bridge.on_event, source=LevelSource(source, bridge.on_level),
                          on_announce=bridge.on_announce, **parts)

    return build


def start_core(window: Any, bridge: Any, settings: AppSettings, input_file: Path | None = None,
               **parts: Any) -> Any:
    """Load the core on the bridge's worker; on the first run (no model yet) the window first
    shows the model installer (app/gui/first_run.py) and the core loads once it is installed.
    The window says what takes long, and shows the grammar banner when the user's grammar has
    problems (app/gui/start_notes.py). Returns the installer panel, or None when the model was
    there."""
    from app.gui.first_run import missing_model, show_installer
    from app.gui.start_notes import StartNotes

    notes = StartNotes(window, bridge)
    factory = live_factory(settings, input_file, note=notes.note, **parts)
    problem = missing_model(model_folder(settings))
    if not problem:
        bridge.load(factory)
        return None
    return show_installer(window, problem, model_folder(settings),
                          on_installed=lambda: bridge.load(factory))


# ---- saved settings applied to the running core (the bridge's worker thread) --------------------
def changed_fields(old: AppSettings | None, new: AppSettings) -> set[str]:
    names = {f.name for f in fields(AppSettings)}
    return names if old is None else {n for n in names if getattr(old, n) != getattr(new, n)}


def rebuild_factory(settings: AppSettings, live: Any,
                    reuse_model: bool = True) -> Callable[[Any], Any]:
    """A factory for a new core with ``settings``, reusing the running core's loaded
    pinyin→Hanzi converter and (with ``reuse_model``) its recogniser."""
    listened = getattr(live, "listened", None)
    parts: dict[str, Any] = {}
    if listened is not None:
        parts["to_hanzi"] = listened.live.options["to_hanzi"]
        if reuse_model:
            parts["recognizer"] = listened.recognizer
    return live_factory(settings, gui_input(), **parts)


def reconfigure(bridge: Any, live: Any, new: AppSettings, previous: AppSettings | None) -> Any:
    """Apply ``new`` to the running ``live``: a new core to swap in when a listening setting
    changed (built here, off the GUI thread), else None after changing the voice and the
    actions in place. ``bridge.rebuilder`` (tests) replaces ``rebuild_factory``."""
    changed = changed_fields(previous, new)
    voice = getattr(getattr(live, "listened", None), "voice", None)
    wants_voice = "speak" in changed and new.speak and voice is None and gui_input() is None
    if changed & LISTENING or wants_voice:
        rebuilder = getattr(bridge, "rebuilder", None) or rebuild_factory
        built = rebuilder(new, live, "model_folder" not in changed)(bridge)
        _carry_state(live, built)
        return built
    if changed & VOICE and voice is not None:
        update_voice(voice, new)
    if changed & ACTIONS:
        rebuild_actions(live, new)
    return None


def _carry_state(old: Any, new: Any) -> None:
    """The mode and mute the person chose in the window carry over to the new listener."""
    from app.listener.machine import State

    machine = getattr(old.listener, "machine", None)
    if machine is None:
        return
    new.listener.set_mode(machine.mode)
    if machine.state is State.MUTED:
        new.listener.mute(True)


def update_voice(voice: Any, new: AppSettings) -> None:
    """The speaker reads its settings for each reply: the next one uses these."""
    from app.listener.speaker import SpeakerSettings

    current = getattr(voice, "settings", None)
    if isinstance(current, SpeakerSettings):
        voice.settings = replace(current, enabled=new.speak, voice=new.voice, rate=new.rate,
                                 volume=new.volume)


def rebuild_actions(live: Any, new: AppSettings) -> None:
    """Build the actions and the assistant again from ``new`` and put them in the running
    service (the next turn uses them); the old ones are closed."""
    from app.actions.timer_replies import announcement
    from app.assistant.build import build_assistant

    listened, service = live.listened, live.service
    store, voice = listened.live.store, listened.voice
    understanders = listened.listener.understanders
    built = build_assistant(lambda: understanders.current().grammar, store.match,
                            grammar_path=store.path, lists=store.lists_dir, settings=new,
                            on_timer=lambda entry: service.announce(announcement(entry)),
                            stop_speaking=voice.stop if voice is not None else None)
    old, live.built = live.built, built
    service.assistant = built.assistant
    old.close()
