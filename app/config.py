"""The user's settings (the desktop app edits them): one JSON file in the user config directory,
written atomically. Unknown keys are kept; a key of the wrong type falls back to its default and
a damaged file is kept beside it and reported (app/datafiles.py)."""

from __future__ import annotations

import json
import math
import types
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from app.datafiles import DataFile, FileKind, Salvage, holds_replacement, one_line
from app.datafiles import atomic_write_text as atomic_write_text
from asr import settings

FILE_NAME = "settings.json"


@dataclass(frozen=True)
class AppSettings:
    # listening
    mode: str = "ptt"  # "ptt" or "wake"
    wake_phrases: list[str] = field(default_factory=lambda: ["你好小灵"])
    device: str | None = None
    vad: str = "webrtc"
    vad_aggressiveness: int = 2
    follow_up: float = 0.0
    chime: bool = True
    hotkey: str = "Ctrl+Alt+Space"  # the global push-to-talk key (app/gui/hotkey.py)
    ptt_toggle: bool = False  # push-to-talk: False hold to talk, True press to start and to stop
    # speaking
    speak: bool = True
    voice: str | None = None
    rate: int = 175
    volume: float = 1.0
    # actions
    default_city: str = "北京"
    weather_url: str | None = None  # None: $LINGYIN_WEATHER_URL or Open-Meteo
    weather_timeout: float = 4.0
    home_assistant_url: str = ""  # e.g. http://homeassistant.local:8123
    home_assistant_token: str = ""
    call_command: list[str] | None = None  # e.g. ["linphone", "--call", "{uri}"]; None: system
    music_folder: str | None = None
    volume_step: int = 10
    # the model and the desktop session (the settings dialog)
    model_folder: str | None = None  # None: the installed model in the user data dir
    start_at_login: bool = False  # an XDG autostart entry (app/gui/autostart.py)

    @property
    def resolved_weather_url(self) -> str:
        return settings.weather_url(self.weather_url)


def settings_path(config_dir: Path | None = None) -> Path:
    return (config_dir or settings.config_dir()) / FILE_NAME


def settings_file(path: Path | None = None) -> DataFile[dict[str, Any]]:
    return DataFile(path or settings_path(), SETTINGS_FILE)


def load_settings(path: Path | None = None) -> AppSettings:
    """The settings in ``path``: a key of the wrong type falls back to its default, the others
    are kept (the damaged file is kept beside it and the user told: app/datafiles.py)."""
    raw = settings_file(path).read()
    return replace(AppSettings(), **{k: v for k, v in raw.items() if k in _TYPES})


def save_settings(value: AppSettings, path: Path | None = None) -> None:
    """``value`` over the settings on disk now (keys Lingyin does not know are kept)."""
    file = settings_file(path)
    data = file.read()
    data.update(asdict(value))
    file.write_json(data, indent=2)


# ---- checking a settings file, key by key -------------------------------------------------------
_TYPES: dict[str, Any] = get_type_hints(AppSettings)


def _fits(expected: Any, value: Any) -> bool:
    """Whether a JSON value fits a field's annotation (bool is not a number here)."""
    if get_origin(expected) in (Union, types.UnionType):
        return any(_fits(option, value) for option in get_args(expected))
    if expected is type(None):
        return value is None
    if get_origin(expected) is list:
        (item,) = get_args(expected)
        return isinstance(value, list) and all(_fits(item, v) for v in value)
    if expected in (int, float):
        number = isinstance(value, int) or (expected is float and isinstance(value, float))
        return number and not isinstance(value, bool) and _finite(value)
    return isinstance(value, expected)


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _key_problem(key: str, value: Any, damaged: bool) -> str:
    if key in _TYPES and not _fits(_TYPES[key], value):
        got = one_line(json.dumps(value, ensure_ascii=False))[:40]
        return f"{key}: expected {AppSettings.__annotations__[key]}, got {got}"
    if damaged and (holds_replacement(key) or holds_replacement(value)):
        return f"{key}: holds bytes that are not UTF-8"
    return ""


def salvage_settings(raw: Any, damaged: bool) -> Salvage[dict[str, Any]]:
    """Every key that fits (and every key Lingyin does not know); the others are set aside."""
    if not isinstance(raw, dict):
        return Salvage({}, 0, unusable="the file does not hold a JSON object")
    good: dict[str, Any] = {}
    bad: list[str] = []
    for key, value in raw.items():
        why = _key_problem(key, value, damaged)
        if why:
            bad.append(why)
        else:
            good[key] = value
    defaults = tuple(n.split(":", 1)[0] for n in bad if n.split(":", 1)[0] in _TYPES)
    return Salvage(good, len(good), tuple(bad), defaults=defaults)


SETTINGS_FILE = FileKind(salvage_settings, dict, "项设置", "settings")
