"""Where forecasts come from: the ``WeatherProvider`` interface and its default, Open-Meteo's
keyless forecast API (``GET <base>?latitude=…&longitude=…&daily=…&current=…&timezone=…``
``&forecast_days=7``).

A provider returns a ``Forecast`` or raises ``WeatherUnavailable`` with the cause (offline, a
timeout, an HTTP error, an answer that is no forecast); it never raises anything else for those.
``Forecast`` converts to and from plain JSON for the cache.

The request goes through :mod:`app.actions.http_fetch`: ``timeout`` bounds it in all (connect,
headers and body), the answer is read up to ``MAX_BYTES``, and a redirect is followed only within
the same origin (another host never learns the place asked about from a redirect).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Protocol

from app.actions.cities import City
from app.actions.http_fetch import Answer, FetchError, fetch

DAILY = ("weather_code", "temperature_2m_max", "temperature_2m_min",
         "precipitation_probability_max", "precipitation_sum", "wind_speed_10m_max",
         "wind_direction_10m_dominant")
CURRENT = ("temperature_2m", "weather_code", "relative_humidity_2m")
FORECAST_DAYS = 7
HOME_TIMEZONE = "Asia/Shanghai"  # places in China; places abroad use their own ("auto")
MAX_BYTES = 1 << 20
REDIRECTS = 3  # followed within the same origin only


class WeatherUnavailable(Exception):
    """No forecast could be had; the message is the technical cause (for the log)."""


@dataclass(frozen=True)
class DayForecast:
    day: date
    code: int | None = None  # WMO weather code
    high: float | None = None  # °C
    low: float | None = None
    rain_chance: float | None = None  # precipitation probability, %
    rain_mm: float | None = None
    wind_kmh: float | None = None  # the day's strongest wind at 10 m
    wind_from: float | None = None  # dominant direction, degrees (0 = from the north)


@dataclass(frozen=True)
class Forecast:
    fetched_at: datetime  # aware
    days: tuple[DayForecast, ...]
    temperature: float | None = None  # now, °C
    code: int | None = None  # now
    humidity: float | None = None  # now, %

    def on(self, day: date) -> DayForecast | None:
        return next((d for d in self.days if d.day == day), None)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["fetched_at"] = self.fetched_at.isoformat()
        data["days"] = [{**asdict(d), "day": d.day.isoformat()} for d in self.days]
        return data

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Forecast:
        days = tuple(DayForecast(**{**d, "day": date.fromisoformat(d["day"])})
                     for d in data["days"])
        fetched = datetime.fromisoformat(data["fetched_at"])
        if fetched.tzinfo is None:
            raise ValueError("fetched_at has no time zone")
        return Forecast(fetched, days, data.get("temperature"), data.get("code"),
                        data.get("humidity"))


class WeatherProvider(Protocol):
    def forecast(self, city: City, now: datetime) -> Forecast:
        """The forecast for ``city`` (``now`` stamps it); raises ``WeatherUnavailable``."""
        ...


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _code(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def parse_open_meteo(data: object, fetched_at: datetime) -> Forecast:
    """An Open-Meteo answer as a ``Forecast``; ``ValueError`` when it is none."""
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    if data.get("error"):
        raise ValueError(f"the service says: {data.get('reason', 'error')}")
    daily = data.get("daily")
    if not isinstance(daily, dict) or not isinstance(daily.get("time"), list):
        raise ValueError("the answer has no daily forecast")
    columns = {name: daily.get(name) for name in DAILY}
    days = []
    for i, stamp in enumerate(daily["time"]):
        def at(name: str, i: int = i) -> object:
            column = columns[name]
            return column[i] if isinstance(column, list) and i < len(column) else None
        days.append(DayForecast(date.fromisoformat(str(stamp)), _code(at("weather_code")),
                                _number(at("temperature_2m_max")),
                                _number(at("temperature_2m_min")),
                                _number(at("precipitation_probability_max")),
                                _number(at("precipitation_sum")),
                                _number(at("wind_speed_10m_max")),
                                _number(at("wind_direction_10m_dominant"))))
    if not days:
        raise ValueError("the daily forecast is empty")
    current = data.get("current")
    current = current if isinstance(current, dict) else {}
    return Forecast(fetched_at, tuple(days), _number(current.get("temperature_2m")),
                    _code(current.get("weather_code")),
                    _number(current.get("relative_humidity_2m")))


def _reason(answer: Answer) -> str:
    """Open-Meteo's ``{"error": true, "reason": …}`` body, if that is what came back."""
    try:
        data = json.loads(answer.body[:4096].decode("utf-8"))
    except ValueError:
        return ""
    return f" ({data['reason']})" if isinstance(data, dict) and data.get("reason") else ""


class OpenMeteo:
    """Open-Meteo's forecast API (or anything that answers like it at ``base_url``)."""

    def __init__(self, base_url: str, timeout: float = 4.0) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"the weather URL must be http(s): {base_url!r}")
        self.base_url = base_url
        self.timeout = timeout

    def url(self, city: City) -> str:
        query = urllib.parse.urlencode({
            "latitude": f"{city.latitude:.4f}", "longitude": f"{city.longitude:.4f}",
            "daily": ",".join(DAILY), "current": ",".join(CURRENT),
            "timezone": "auto" if city.abroad else HOME_TIMEZONE,
            "forecast_days": FORECAST_DAYS})
        return f"{self.base_url}{'&' if '?' in self.base_url else '?'}{query}"

    def forecast(self, city: City, now: datetime) -> Forecast:
        try:
            answer = fetch(self.url(city), timeout=self.timeout, max_bytes=MAX_BYTES,
                           redirects=REDIRECTS, headers={"User-Agent": "lingyin",
                                                         "Accept": "application/json"})
        except FetchError as exc:
            raise WeatherUnavailable(str(exc)) from exc
        if not answer.ok:
            raise WeatherUnavailable(f"{self.base_url}: HTTP {answer.status} {answer.reason}"
                                     f"{_reason(answer)}")
        try:
            return parse_open_meteo(json.loads(answer.body.decode("utf-8")), now)
        except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError is a ValueError
            raise WeatherUnavailable(f"{self.base_url}: not a forecast ({exc})") from exc
