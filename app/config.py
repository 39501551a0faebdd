"""The user's settings (the desktop app edits them): one JSON file in the user config directory,
written atomically. Unknown keys are kept; a broken file is reported and the defaults are used."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from asr import settings

log = logging.getLogger(__name__)
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


def load_settings(path: Path | None = None) -> AppSettings:
    path = path or settings_path()
    if not path.is_file():
        return AppSettings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("the file does not hold a JSON object")
    except (OSError, ValueError) as exc:
        log.warning("%s: cannot read the settings (%s); using the defaults", path, exc)
        return AppSettings()
    known = {f.name for f in fields(AppSettings)}
    return replace(AppSettings(), **{k: v for k, v in raw.items() if k in known})


def save_settings(value: AppSettings, path: Path | None = None) -> None:
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            data = old if isinstance(old, dict) else {}
        except (OSError, ValueError):
            data = {}
    data.update(asdict(value))
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary sibling, flush it to disk, then rename over ``path``: a crash (or
    ``kill -9``) leaves either the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
