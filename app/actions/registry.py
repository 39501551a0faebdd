"""Every built-in action module, built from the user's settings into one name → handler table;
``BUILT_IN_ACTIONS`` names them without building anything (for checking a grammar).

The modules a start needs are built at once: the assistant's own, the timers (their scheduler
fires them and the missed ones are said at start) and the apps (their list is part of the
grammar). The others (volume, weather, clock, calls, media, system, home, custom) are
``Deferred``: imported and built when one of their actions first runs, so a start never imports
what no turn has asked for yet (the HTTP stack of the weather and Home Assistant, the lunar
calendar, the contacts' file readers…)."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from app.actions.apps import AppActions
from app.actions.assistant_actions import AssistantActions
from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.desktop_apps import AppIndex
from app.actions.timer_store import Entry
from app.actions.timers import TimerActions
from app.config import AppSettings
from asr import settings
from intents.model import Grammar

log = logging.getLogger("lingyin.actions")

# Every name the modules' handler tables give but custom.* (written {run: ...}, {open: ...},
# {http: ...}), known without building the modules; tests keep it equal to the tables.
BUILT_IN_ACTIONS: tuple[str, ...] = (
    "alarm.cancel", "alarm.list", "alarm.set", "app.close", "app.open",
    "assistant.bye", "assistant.cancel", "assistant.greet", "assistant.help", "assistant.repeat",
    "assistant.stop", "assistant.thanks", "call.choose", "call.dial", "call.help",
    "home.cover_position", "home.device_off", "home.device_on", "home.light_brighter",
    "home.light_brightness", "home.light_color", "home.light_dimmer", "home.light_off",
    "home.light_on", "home.lock", "home.scene", "home.set_temperature", "home.state_query",
    "home.temperature_down", "home.temperature_query", "home.temperature_up", "home.unlock",
    "home.vacuum_dock", "home.vacuum_start", "media.next", "media.pause", "media.play",
    "media.play_song", "media.previous", "media.resume", "reminder.cancel", "reminder.create",
    "reminder.list", "system.lock", "system.restart", "system.screenshot", "system.shutdown",
    "system.sleep", "time.date", "time.now", "timer.add", "timer.cancel", "timer.pause",
    "timer.remaining", "timer.resume", "timer.start", "timer.subtract", "volume.down",
    "volume.max", "volume.min", "volume.mute", "volume.set", "volume.unmute", "volume.up",
    "weather.query", "weather.rain", "weather.temperature",
)


def prepare_apps(lists_dir: Path | None) -> AppActions:
    """Installed apps, merged into the grammar's apps list; never into the bundled grammar
    (a grammar used straight from resources/ is only read). Called before the grammar loads
    (app/assistant/live.py), the list is rewritten before it is read, not after: the first
    run then compiles the grammar once, not twice."""
    bundled = settings.resources_dir().resolve()
    if lists_dir is not None and lists_dir.resolve().is_relative_to(bundled):
        lists_dir = None
    apps = AppActions(AppIndex.for_platform(), lists_dir)
    apps.refresh()
    return apps


CUSTOM_ACTIONS = ("custom.run", "custom.open", "custom.http")
# modules built at their first use: (module, class, the prefix of their actions)
DEFERRED = (("app.actions.volume", "VolumeActions", "volume"),
            ("app.actions.weather", "WeatherActions", "weather"),
            ("app.actions.clock", "ClockActions", "time"),
            ("app.actions.calls", "CallActions", "call"),
            ("app.actions.media", "MediaActions", "media"),
            ("app.actions.system", "SystemActions", "system"),
            ("app.actions.home", "HomeActions", "home"),
            ("app.actions.custom", "CustomActions", "custom"))
T = TypeVar("T", bound=Actions)


class Deferred(Actions):
    """An action module imported and built (``build(cls)``) when one of ``names`` first runs,
    once, whichever handler thread comes first."""

    def __init__(self, module: str, name: str, names: tuple[str, ...],
                 build: Callable[[Any], Actions]) -> None:
        self.module, self.name, self.names = module, name, names
        self._build = build
        self._lock = threading.Lock()
        self._built: Actions | None = None
        self._table: Mapping[str, Handler] = {}

    @property
    def loaded(self) -> bool:
        return self._built is not None

    def built(self) -> Actions:
        with self._lock:
            if self._built is None:
                kind = getattr(importlib.import_module(self.module), self.name)
                built = self._build(kind)
                self._table = dict(built.handlers())
                self._built = built
            return self._built

    def handlers(self) -> Mapping[str, Handler]:
        return {name: self._handler(name) for name in self.names}

    def _handler(self, name: str) -> Handler:
        def run(request: ActionRequest) -> ActionResult:
            self.built()
            return self._table[name](request)

        return run

    def close(self) -> None:
        with self._lock:
            built = self._built
        if built is not None:
            built.close()


def _deferred(config: AppSettings, grammar: Callable[[], Grammar | None]) -> list[Actions]:
    out: list[Actions] = []
    for module, name, prefix in DEFERRED:
        if prefix == "custom":  # the custom actions read the grammar in force
            out.append(Deferred(module, name, CUSTOM_ACTIONS,
                                lambda kind: kind.from_settings(config, grammar)))
        else:
            names = tuple(n for n in BUILT_IN_ACTIONS if n.startswith(f"{prefix}."))
            out.append(Deferred(module, name, names, lambda kind: kind.from_settings(config)))
    return out


@dataclass
class ActionSet:
    modules: list[Actions]
    timers: TimerActions
    handlers: dict[str, Handler] = field(default_factory=dict)

    def module(self, kind: type[T]) -> T | None:
        """The module of class ``kind`` (built now if it was deferred), or None."""
        for module in self.modules:
            if isinstance(module, Deferred) and (module.module, module.name) == \
                    (kind.__module__, kind.__name__):
                module = module.built()
            if isinstance(module, kind):
                return module
        return None

    def close(self) -> None:
        for module in self.modules:
            try:
                module.close()
            except Exception:  # closing must never stop the others from closing
                log.exception("closing %s failed", type(module).__name__)


def build_actions(config: AppSettings, grammar: Callable[[], Grammar | None], *,
                  lists_dir: Path | None = None, on_timer: Callable[[Entry], None] | None = None,
                  stop_speaking: Callable[[], None] | None = None,
                  apps: AppActions | None = None) -> ActionSet:
    """``on_timer``: the running assistant (timers fire); without it timers are only stored
    (``lingyin run``: the running Lingyin fires them). ``apps``: from ``prepare_apps``, when
    the apps list was brought up to date already."""
    timers = TimerActions.from_settings(config, on_fire=on_timer)
    modules: list[Actions] = [AssistantActions(stop_speaking), timers,
                              apps or prepare_apps(lists_dir), *_deferred(config, grammar)]
    handlers: dict[str, Handler] = {}
    for module in modules:
        table: Mapping[str, Handler] = module.handlers()
        handlers.update(table)
    return ActionSet(modules, timers, handlers)
