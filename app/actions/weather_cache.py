"""The last forecast of each place, kept in memory and in one JSON file in the user cache directory
(written atomically), so a question asked offline still gets the last forecast and its age."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from pathlib import Path

from app.actions.weather_provider import Forecast
from app.config import atomic_write_text

log = logging.getLogger(__name__)
VERSION = 1
MAX_PLACES = 64  # the file keeps the most recently fetched places


class ForecastCache:
    def __init__(self, path: Path | None) -> None:
        """``path`` None: in memory only."""
        self.path = path
        self._lock = threading.Lock()
        self._forecasts: dict[str, Forecast] | None = None

    def get(self, key: str) -> Forecast | None:
        with self._lock:
            return self._loaded().get(key)

    def put(self, key: str, forecast: Forecast) -> None:
        with self._lock:
            forecasts = self._loaded()
            forecasts.pop(key, None)
            forecasts[key] = forecast
            while len(forecasts) > MAX_PLACES:
                forecasts.pop(min(forecasts, key=lambda k: forecasts[k].fetched_at))
            self._save(forecasts)

    def _loaded(self) -> dict[str, Forecast]:
        if self._forecasts is None:
            self._forecasts = self._read()
        return self._forecasts

    def _read(self) -> dict[str, Forecast]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("not a forecast cache of this version")
            return {str(key): Forecast.from_json(value)
                    for key, value in data["forecasts"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("%s: cannot read the weather cache (%s); starting afresh", self.path, exc)
            return {}

    def _save(self, forecasts: dict[str, Forecast]) -> None:
        if self.path is None:
            return
        data = {"version": VERSION,
                "forecasts": {key: value.to_json() for key, value in forecasts.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, ensure_ascii=False) + "\n")
        except OSError as exc:
            log.warning("%s: cannot write the weather cache (%s)", self.path, exc)


def age_text(fetched_at: datetime, now: datetime) -> str:
    """How old a forecast is, for a reply: 30分钟前, 2小时前, 3天前."""
    minutes = max(0, int((now - fetched_at).total_seconds() // 60))
    if minutes < 60:
        return f"{max(minutes, 1)}分钟前"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时前"
    return f"{minutes // (24 * 60)}天前"
