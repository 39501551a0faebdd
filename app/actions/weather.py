"""Weather actions: ``weather.query``, ``weather.rain``, ``weather.temperature``.

Slots (resources/grammar/zh-CN/weather.yaml): ``city`` (a name of the bundled place table or an
alias; none: the default city), ``day`` (今天, 明天, 后天, 周末, 周五, 下周…; none: today) and, for
queries, ``aspect`` (湿度, 风力, 风向; others are not forecast and get the general weather).

A forecast younger than ``fresh_for`` is answered from the cache; otherwise the provider is asked
(a timeout of a few seconds), and when it fails the last cached forecast answers with its age
(“（30分钟前的预报）”), or the reply says the weather cannot be had and ``error`` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from app.actions import weather_text as text
from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.cities import City, CityTable
from app.actions.weather_cache import ForecastCache, age_text
from app.actions.weather_days import Span, label, resolve_day
from app.actions.weather_provider import (
    FORECAST_DAYS,
    DayForecast,
    Forecast,
    OpenMeteo,
    WeatherProvider,
    WeatherUnavailable,
)
from app.config import AppSettings
from asr import settings as locations

log = logging.getLogger(__name__)
CACHE_FILE = "weather.json"
UNAVAILABLE = "暂时无法获取天气，请稍后再试"


def local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class Lookup:
    forecast: Forecast
    stale: bool  # the provider failed: this is the last cached forecast
    cause: str | None = None  # why the provider failed


@dataclass(frozen=True)
class Question:
    city: City
    span: Span
    now: datetime


class WeatherActions(Actions):
    def __init__(self, provider: WeatherProvider, cities: CityTable, default_city: str,
                 cache: ForecastCache | None = None, now: Callable[[], datetime] = local_now,
                 fresh_for: timedelta = timedelta(minutes=30)) -> None:
        self.provider = provider
        self.cities = cities
        self.default_city = default_city
        self.cache = cache or ForecastCache(None)
        self.now = now
        self.fresh_for = fresh_for

    @classmethod
    def from_settings(cls, settings: AppSettings, *, cities: CityTable | None = None,
                      cache_path: Path | None = None,
                      now: Callable[[], datetime] = local_now) -> WeatherActions:
        """The provider at ``settings.resolved_weather_url`` with ``settings.weather_timeout``,
        the bundled place table, the cache in the user cache directory (``cache_path``
        overrides)."""
        provider = OpenMeteo(settings.resolved_weather_url, settings.weather_timeout)
        cache = ForecastCache(cache_path or locations.cache_dir() / CACHE_FILE)
        return cls(provider, cities or CityTable.bundled(), settings.default_city, cache, now)

    def handlers(self) -> Mapping[str, Handler]:
        return {"weather.query": self.query, "weather.rain": self.rain,
                "weather.temperature": self.temperature}

    def query(self, request: ActionRequest) -> ActionResult:
        return self._answer(request, "天气", self._query_text)

    def rain(self, request: ActionRequest) -> ActionResult:
        return self._answer(request, "降水情况", self._rain_text)

    def temperature(self, request: ActionRequest) -> ActionResult:
        return self._answer(request, "气温", self._temperature_text)

    # -- one question -------------------------------------------------------------------------

    def _answer(self, request: ActionRequest, what: str,
                compose: Callable[[Question, list[DayForecast], Lookup, ActionRequest], str]
                ) -> ActionResult:
        name = str(request.slots.get("city") or self.default_city)
        city = self.cities.find(name)
        if city is None:
            return ActionResult.failed(f"我还不知道{name}在哪里", f"no place named {name!r}")
        now = self.now()
        day_word = request.slots.get("day")
        span = resolve_day(str(day_word) if day_word else None, now.date())
        if span is None:
            return ActionResult.failed(f"我还不会查{day_word}的天气", f"unknown day {day_word!r}")
        if span.days[-1] < now.date():
            return ActionResult.failed("我只能查今天和以后几天的天气", f"{span.word} is past")
        if request.dry_run:
            return ActionResult.dry(f"查询{city.display}{span.word}的{what}")
        lookup = self._lookup(city, now)
        if isinstance(lookup, str):
            return ActionResult.failed(UNAVAILABLE, lookup)
        days = [d for d in (lookup.forecast.on(day) for day in span.days) if d is not None]
        if not days:
            if lookup.stale:
                return ActionResult.failed(UNAVAILABLE, lookup.cause or "stale forecast")
            return ActionResult.failed(f"只能查到未来{FORECAST_DAYS}天的天气",
                                       f"{span.word} is beyond the forecast")
        reply = compose(Question(city, span, now), days, lookup, request)
        if lookup.stale:
            reply += f"（{age_text(lookup.forecast.fetched_at, now)}的预报）"
        context = {"city": self.cities.value_of(city) or city.name, "day": span.word}
        return ActionResult(True, reply=reply, context=context, error=lookup.cause)

    def _lookup(self, city: City, now: datetime) -> Lookup | str:
        """The forecast to answer from, or the cause when there is none."""
        cached = self.cache.get(city.key)
        if cached is not None and timedelta(0) <= now - cached.fetched_at < self.fresh_for:
            return Lookup(cached, stale=False)
        try:
            fresh = self.provider.forecast(city, now)
        except WeatherUnavailable as exc:
            log.warning("weather for %s: %s", city.display, exc)
            return Lookup(cached, stale=True, cause=str(exc)) if cached else str(exc)
        self.cache.put(city.key, fresh)
        return Lookup(fresh, stale=False)

    def _current(self, q: Question, lookup: Lookup) -> Forecast | None:
        """The forecast whose “now” values may be said: fresh, and asked about today."""
        fresh = not lookup.stale and q.span.days == (q.now.date(),)
        return lookup.forecast if fresh else None

    # -- the three answers --------------------------------------------------------------------

    def _query_text(self, q: Question, days: list[DayForecast], lookup: Lookup,
                    request: ActionRequest) -> str:
        aspect = str(request.slots.get("aspect") or "")
        where = f"{q.city.display}{q.span.word}"
        current = self._current(q, lookup)
        if aspect == "湿度":
            if current is not None and current.humidity is not None:
                return f"{q.city.display}现在湿度{text.degrees(current.humidity)}%"
            return f"暂时只能查现在的湿度。{where}{text.summary(days[0])}"
        if aspect in ("风力", "风向"):
            return self._listed(q, days, lambda d: text.wind(d) or "暂无风力预报")
        prefix = f"暂时查不到{aspect}。" if aspect else ""
        if not q.span.single:
            return prefix + self._listed(q, days, text.summary)
        reply = f"{where}{text.summary(days[0])}"
        if current is not None and current.temperature is not None:
            reply += f"，现在{text.degrees(current.temperature)}℃"
        return prefix + reply

    def _rain_text(self, q: Question, days: list[DayForecast], lookup: Lookup,
                   request: ActionRequest) -> str:
        if q.span.single:
            return f"{q.city.display}{q.span.word}{text.rain_answer(days[0])}"
        return self._listed(q, days, text.rain_brief) + text.umbrella(days)

    def _temperature_text(self, q: Question, days: list[DayForecast], lookup: Lookup,
                          request: ActionRequest) -> str:
        current = self._current(q, lookup)
        if not q.span.single:
            return self._listed(q, days, lambda d: text.temperature_answer(d, request.text))
        answer = text.temperature_answer(days[0], request.text)
        if current is not None and current.temperature is not None:
            return (f"{q.city.display}现在{text.degrees(current.temperature)}℃，"
                    f"今天{answer}")
        return f"{q.city.display}{q.span.word}{answer}"

    def _listed(self, q: Question, days: list[DayForecast],
                describe: Callable[[DayForecast], str]) -> str:
        if q.span.single:
            return f"{q.city.display}{q.span.word}{describe(days[0])}"
        today = q.now.date()
        listed = "；".join(f"{label(d.day, today)}{describe(d)}" for d in days)
        return f"{q.city.display}{q.span.word}：{listed}"
