"""Every built-in action module, built from the user's settings into one name → handler table;
``BUILT_IN_ACTIONS`` names them without building anything (for checking a grammar)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.actions.apps import AppActions
from app.actions.assistant_actions import AssistantActions
from app.actions.base import Actions, Handler
from app.actions.calls import CallActions
from app.actions.clock import ClockActions
from app.actions.custom import CustomActions
from app.actions.desktop_apps import AppIndex
from app.actions.home import HomeActions
from app.actions.media import MediaActions
from app.actions.system import SystemActions
from app.actions.timer_store import Entry
from app.actions.timers import TimerActions
from app.actions.volume import VolumeActions
from app.actions.weather import WeatherActions
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


def _apps(lists_dir: Path | None) -> AppActions:
    """Installed apps, merged into the grammar's apps list; never into the bundled grammar
    (a grammar used straight from resources/ is only read)."""
    bundled = settings.resources_dir().resolve()
    if lists_dir is not None and lists_dir.resolve().is_relative_to(bundled):
        lists_dir = None
    apps = AppActions(AppIndex.for_platform(), lists_dir)
    apps.refresh()
    return apps


@dataclass
class ActionSet:
    modules: list[Actions]
    timers: TimerActions
    handlers: dict[str, Handler] = field(default_factory=dict)

    def close(self) -> None:
        for module in self.modules:
            try:
                module.close()
            except Exception:  # closing must never stop the others from closing
                log.exception("closing %s failed", type(module).__name__)


def build_actions(config: AppSettings, grammar: Callable[[], Grammar | None], *,
                  lists_dir: Path | None = None, on_timer: Callable[[Entry], None] | None = None,
                  stop_speaking: Callable[[], None] | None = None) -> ActionSet:
    """``on_timer``: the running assistant (timers fire); without it timers are only stored
    (``lingyin run``: the running Lingyin fires them)."""
    timers = TimerActions.from_settings(config, on_fire=on_timer)
    modules: list[Actions] = [
        AssistantActions(stop_speaking), VolumeActions.from_settings(config),
        WeatherActions.from_settings(config), ClockActions.from_settings(config), timers,
        CallActions.from_settings(config), _apps(lists_dir),
        MediaActions.from_settings(config), SystemActions.from_settings(config),
        HomeActions.from_settings(config), CustomActions.from_settings(config, grammar),
    ]
    handlers: dict[str, Handler] = {}
    for module in modules:
        table: Mapping[str, Handler] = module.handlers()
        handlers.update(table)
    return ActionSet(modules, timers, handlers)
