"""Weather actions against a real HTTP server on 127.0.0.1 that answers like Open-Meteo (also a
slow one, a failing one and one that sends garbage), with a fixed clock: today, tomorrow, the
weekend, a weekday, rain and temperature questions, the cache and the offline fallback with its age,
places by name, short name and alias, the default city."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app.actions.base import ActionRequest, ActionResult
from app.actions.cities import CityTable
from app.actions.weather import WeatherActions
from app.actions.weather_cache import ForecastCache
from app.actions.weather_provider import OpenMeteo
from app.config import AppSettings
from intents.grammar import load_grammar

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "resources" / "grammar" / "zh-CN"
BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2025, 12, 3, 14, 5, tzinfo=BEIJING)  # a Wednesday
# One week from Wednesday 3 December: code, low, high, rain chance %, rain mm, wind km/h, from °
WEEK = [(2, -3.4, 8.2, 10, 0.0, 14.0, 45.0),   # Wed 今天  多云
        (61, 1.0, 6.0, 80, 4.2, 8.0, 180.0),    # Thu 明天  小雨
        (0, -5.0, 3.0, 0, 0.0, 30.0, 315.0),    # Fri 后天  晴
        (3, -2.0, 5.0, 40, 0.3, 10.0, 90.0),    # Sat 周六  阴
        (71, -8.0, -1.0, 70, 2.0, 20.0, 0.0),   # Sun 周日  小雪
        (1, -4.0, 7.0, 5, 0.0, 5.0, 270.0),     # Mon
        (95, 10.0, 20.0, 90, 12.0, 40.0, 225.0)]  # Tue


def open_meteo_answer() -> dict[str, Any]:
    start = NOW.date()
    days = [(start + timedelta(days=i)).isoformat() for i in range(len(WEEK))]
    columns = list(zip(*WEEK, strict=True))
    return {"latitude": 39.9, "longitude": 116.4, "timezone": "Asia/Shanghai",
            "current": {"time": "2025-12-03T14:00", "temperature_2m": 5.3, "weather_code": 2,
                        "relative_humidity_2m": 45},
            "daily_units": {"temperature_2m_max": "°C"},
            "daily": {"time": days, "weather_code": list(columns[0]),
                      "temperature_2m_min": list(columns[1]),
                      "temperature_2m_max": list(columns[2]),
                      "precipitation_probability_max": list(columns[3]),
                      "precipitation_sum": list(columns[4]),
                      "wind_speed_10m_max": list(columns[5]),
                      "wind_direction_10m_dominant": list(columns[6])}}


class FakeOpenMeteo:
    """An HTTP server on 127.0.0.1 (ephemeral port). ``mode``: ok, slow (answers after
    ``release`` or 5 s), trickle (headers, then a byte every 0.2 s), 500, garbage, refused."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, list[str]]] = []
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))
                with contextlib.suppress(OSError):  # the client gave up first
                    fake.answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/forecast"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(open_meteo_answer()).encode()
        if self.mode == "slow":
            self.release.wait(5)
        if self.mode == "500":
            handler.send_error(500, "Internal Server Error")
            return
        if self.mode == "garbage":
            body = b"<html>maintenance</html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if self.mode == "trickle":
            for i in range(25):
                if self.release.wait(0.2):
                    return
                handler.wfile.write(body[i:i + 1])
                handler.wfile.flush()
            return
        handler.wfile.write(body)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Clock:
    def __init__(self, moment: datetime = NOW) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture(scope="module")
def cities() -> CityTable:
    return CityTable.bundled()


@pytest.fixture
def server() -> Iterator[FakeOpenMeteo]:
    fake = FakeOpenMeteo()
    yield fake
    fake.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def weather(server: FakeOpenMeteo, cities: CityTable, clock: Clock, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> WeatherActions:
    monkeypatch.setenv("LINGYIN_WEATHER_URL", server.url)
    settings = AppSettings(default_city="北京", weather_timeout=0.5)
    return WeatherActions.from_settings(settings, cities=cities,
                                        cache_path=tmp_path / "weather.json", now=clock)


def ask(weather: WeatherActions, action: str, text: str = "", **slots: object) -> ActionResult:
    request = ActionRequest(action, "weather", action.split(".")[1], slots=slots, text=text)
    return weather.handlers()[action](request)


def test_handlers_cover_the_grammar(weather: WeatherActions) -> None:
    actions = {i.action for i in load_grammar(GRAMMAR).intents if i.domain == "weather"}
    assert actions and actions <= set(weather.handlers())


def test_today_asks_open_meteo_for_the_place(weather: WeatherActions,
                                             server: FakeOpenMeteo) -> None:
    result = ask(weather, "weather.query", "今天北京天气怎么样", city="北京", day="今天")
    assert result.performed and result.error is None
    assert result.reply == "北京今天多云，-3~8℃，降水概率10%，现在5℃"
    (query,) = server.requests
    assert query["latitude"] == ["39.9042"] and query["longitude"] == ["116.4074"]
    assert query["timezone"] == ["Asia/Shanghai"] and query["forecast_days"] == ["7"]
    daily = set(query["daily"][0].split(","))
    assert {"weather_code", "temperature_2m_max", "temperature_2m_min",
            "precipitation_probability_max", "precipitation_sum"} <= daily
    assert set(query["current"][0].split(",")) >= {"temperature_2m", "weather_code"}
    assert result.context == {"city": "北京", "day": "今天"}


@pytest.mark.parametrize(("day", "reply"), [
    ("明天", "北京明天小雨，1~6℃，降水概率80%"),
    ("后天", "北京后天晴，-5~3℃，降水概率0%"),
    ("明晚", "北京明晚小雨，1~6℃，降水概率80%"),
    ("周五", "北京周五晴，-5~3℃，降水概率0%"),
    ("周三", "北京周三多云，-3~8℃，降水概率10%，现在5℃"),  # today is a Wednesday
    ("周一", "北京周一晴间多云，-4~7℃，降水概率5%"),  # the coming Monday
    ("周末", "北京周末：周六阴，-2~5℃，降水概率40%；周日小雪，-8~-1℃，降水概率70%"),
])
def test_days(weather: WeatherActions, day: str, reply: str) -> None:
    assert ask(weather, "weather.query", city="北京", day=day).reply == reply


def test_several_days_are_listed(weather: WeatherActions) -> None:
    reply = ask(weather, "weather.query", day="近几天").reply
    assert reply == ("北京近几天：今天多云，-3~8℃，降水概率10%；明天小雨，1~6℃，降水概率80%；"
                     "后天晴，-5~3℃，降水概率0%")
    week = ask(weather, "weather.query", day="未来一周").reply or ""
    assert week.count("；") == 6 and "下周一晴间多云" in week and "下周二雷阵雨" in week


def test_days_out_of_reach(weather: WeatherActions, server: FakeOpenMeteo) -> None:
    beyond = ask(weather, "weather.query", day="下周末")
    assert not beyond.performed and beyond.reply == "只能查到未来7天的天气"
    past = ask(weather, "weather.query", day="昨天")
    assert not past.performed and "今天和以后" in (past.reply or "")
    unknown = ask(weather, "weather.query", day="三月五号")
    assert not unknown.performed and unknown.error


@pytest.mark.parametrize(("day", "reply"), [
    ("明天", "北京明天很可能有小雨，降水概率80%，出门记得带伞"),
    ("今天", "北京今天不太会下雨，降水概率10%"),
    ("周六", "北京周六可能有雨，降水概率40%，最好带把伞"),
    ("周日", "北京周日很可能有小雪，降水概率70%，出门记得带伞"),
])
def test_rain(weather: WeatherActions, day: str, reply: str) -> None:
    assert ask(weather, "weather.rain", "会下雨吗", day=day).reply == reply


def test_rain_over_the_weekend(weather: WeatherActions) -> None:
    reply = ask(weather, "weather.rain", "周末会下雨吗", day="周末").reply
    assert reply == "北京周末：周六降水概率40%；周日小雪，降水概率70%，记得带伞"


def test_temperature(weather: WeatherActions) -> None:
    assert ask(weather, "weather.temperature", "今天气温多少", day="今天").reply == \
        "北京现在5℃，今天-3~8℃"
    assert ask(weather, "weather.temperature", "明天最高温度是多少", day="明天").reply == \
        "北京明天最高6℃"
    assert ask(weather, "weather.temperature", "周日最低几度", day="周日").reply == \
        "北京周日最低-8℃"
    assert ask(weather, "weather.temperature", "周末多少度", day="周末").reply == \
        "北京周末：周六-2~5℃；周日-8~-1℃"


def test_aspects(weather: WeatherActions) -> None:
    assert ask(weather, "weather.query", aspect="湿度").reply == "北京现在湿度45%"
    assert ask(weather, "weather.query", day="后天", aspect="风力").reply == "北京后天西北风5级"
    air = ask(weather, "weather.query", day="明天", aspect="空气质量")
    assert air.performed and air.reply == "暂时查不到空气质量。北京明天小雨，1~6℃，降水概率80%"


def test_places_by_name_short_name_and_alias(weather: WeatherActions,
                                             server: FakeOpenMeteo) -> None:
    assert (ask(weather, "weather.query", city="杭州").reply or "").startswith("杭州今天多云")
    assert (ask(weather, "weather.query", city="帝都").reply or "").startswith("北京今天")
    assert (ask(weather, "weather.query", city="海淀").reply or "").startswith("北京海淀区今天")
    assert (ask(weather, "weather.query", city="南山区").reply or "").startswith("深圳南山区")
    abroad = ask(weather, "weather.query", city="东京")
    assert (abroad.reply or "").startswith("东京今天")
    assert server.requests[0]["latitude"] == ["30.2469"]  # 杭州
    assert server.requests[-1]["timezone"] == ["auto"]  # a place abroad keeps its own days
    unknown = ask(weather, "weather.query", city="亚特兰蒂斯")
    assert not unknown.performed and unknown.reply == "我还不知道亚特兰蒂斯在哪里"
    assert len(server.requests) == 5


def test_default_city_and_cache_location(server: FakeOpenMeteo, cities: CityTable,
                                         clock: Clock, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGYIN_WEATHER_URL", server.url)
    monkeypatch.setenv("LINGYIN_CACHE_DIR", str(tmp_path / "cache"))
    weather = WeatherActions.from_settings(AppSettings(default_city="广州"), cities=cities,
                                           now=clock)
    assert (ask(weather, "weather.query").reply or "").startswith("广州今天多云")
    assert server.requests[0]["latitude"] == ["23.1291"]
    assert (tmp_path / "cache" / "weather.json").is_file()
    lost = WeatherActions.from_settings(AppSettings(default_city="亚特兰蒂斯"), cities=cities,
                                        now=clock)
    assert ask(lost, "weather.query").reply == "我还不知道亚特兰蒂斯在哪里"


def test_dry_run_asks_nobody(weather: WeatherActions, server: FakeOpenMeteo) -> None:
    request = ActionRequest("weather.rain", "weather", "rain", slots={"city": "上海",
                                                                      "day": "明天"},
                            dry_run=True)
    result = weather.rain(request)
    assert not result.performed and result.description == "查询上海明天的降水情况"
    assert result.reply == "（演练）查询上海明天的降水情况"
    assert server.requests == []


def test_cache_is_fresh_for_half_an_hour_and_persisted(weather: WeatherActions,
                                                       server: FakeOpenMeteo, clock: Clock,
                                                       cities: CityTable, tmp_path: Path) -> None:
    ask(weather, "weather.query")
    ask(weather, "weather.rain", day="明天")
    assert len(server.requests) == 1
    clock.moment = NOW + timedelta(minutes=31)
    ask(weather, "weather.temperature", day="明天")
    assert len(server.requests) == 2
    saved = json.loads((tmp_path / "weather.json").read_text(encoding="utf-8"))
    assert saved["version"] == 1 and list(saved["forecasts"]) == ["110000000000"]
    # a new start, offline: the saved forecast answers, with its age
    offline = WeatherActions(OpenMeteo("http://127.0.0.1:9/v1/forecast", 0.5), cities, "北京",
                             ForecastCache(tmp_path / "weather.json"),
                             Clock(NOW + timedelta(minutes=61)))
    result = ask(offline, "weather.query", day="明天")
    assert result.performed
    assert result.reply == "北京明天小雨，1~6℃，降水概率80%（30分钟前的预报）"
    assert result.error and "127.0.0.1:9" in result.error


def test_offline_answers_from_the_cache_with_its_age(weather: WeatherActions,
                                                     server: FakeOpenMeteo,
                                                     clock: Clock) -> None:
    ask(weather, "weather.query")
    server.mode = "500"
    clock.moment = NOW + timedelta(hours=2)
    result = ask(weather, "weather.query", "今天天气")
    # two hours on, the stale forecast gives no "now" temperature
    assert result.reply == "北京今天多云，-3~8℃，降水概率10%（2小时前的预报）"
    assert result.performed and result.error and "HTTP 500" in result.error
    clock.moment = NOW + timedelta(days=1, hours=1)
    tomorrow = ask(weather, "weather.temperature", day="今天")  # yesterday's 明天
    assert tomorrow.reply == "北京今天1~6℃（1天前的预报）"


@pytest.mark.parametrize(("mode", "cause"), [
    ("500", "HTTP 500"), ("garbage", "not a forecast"), ("slow", "no answer within 0.5 s"),
    ("trickle", "no answer within 0.5 s")])
def test_failures_without_a_cache(weather: WeatherActions, server: FakeOpenMeteo, mode: str,
                                  cause: str) -> None:
    server.mode = mode
    began = time.monotonic()
    result = ask(weather, "weather.query", day="明天")
    assert time.monotonic() - began < 2.5  # the timeout is 0.5 s
    assert not result.performed
    assert result.reply == "暂时无法获取天气，请稍后再试"
    assert result.error and cause in result.error, result.error


def test_refused_connection(cities: CityTable, clock: Clock) -> None:
    weather = WeatherActions(OpenMeteo("http://127.0.0.1:9/v1/forecast", 0.5), cities, "北京",
                             now=clock)
    result = ask(weather, "weather.query")
    assert not result.performed and result.reply == "暂时无法获取天气，请稍后再试"
    assert result.error and "refused" in result.error.lower()


def test_a_broken_cache_file_is_ignored(server: FakeOpenMeteo, cities: CityTable, clock: Clock,
                                        tmp_path: Path) -> None:
    path = tmp_path / "weather.json"
    path.write_text("{not json", encoding="utf-8")
    weather = WeatherActions(OpenMeteo(server.url, 0.5), cities, "北京", ForecastCache(path),
                             clock)
    assert ask(weather, "weather.query").performed
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_the_url_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINGYIN_WEATHER_URL", raising=False)
    assert AppSettings().resolved_weather_url == "https://api.open-meteo.com/v1/forecast"
    assert AppSettings(weather_url="http://127.0.0.1:1/x").resolved_weather_url == \
        "http://127.0.0.1:1/x"
    with pytest.raises(ValueError, match="http"):
        OpenMeteo("file:///etc/passwd")


# -- the place table and the grammar's cities list -------------------------------------------------

def list_items() -> list[tuple[str, str]]:
    lines = (GRAMMAR / "lists" / "cities.txt").read_text(encoding="utf-8").splitlines()
    items = []
    for line in lines:
        if line.strip() and not line.startswith("#"):
            spoken, _, value = line.partition("\t")
            items.append((spoken, value or spoken))
    return items


def test_every_list_item_finds_its_place(cities: CityTable) -> None:
    items = list_items()
    assert len(items) > 2500 and len(cities) > 3000  # counties are in the table, not the list
    assert len({spoken for spoken, _ in items}) == len(items)  # no name twice
    for spoken, value in items:
        place = cities.find(value)
        assert place is not None, value
        assert cities.find(spoken) is place, spoken
        assert cities.value_of(place) == value


def test_the_starter_names_and_aliases_are_kept() -> None:
    values = dict(list_items())
    assert values["帝都"] == "北京" and values["魔都"] == "上海"
    for name in ("北京", "台北", "香港", "拉萨", "西双版纳", "九寨沟", "东京", "纽约", "阳朔",
                 "锡林浩特", "漠河", "海淀", "浦东", "昆山", "朝阳区"):
        assert name in values, name


@pytest.mark.parametrize(("name", "display", "level"), [
    ("北京市", "北京", "province"), ("海南", "海南", "province"),  # not 海南藏族自治州
    ("吉林", "吉林", "city"), ("西安", "西安", "city"), ("延边", "延边", "city"),
    ("内蒙古", "内蒙古", "province"), ("内蒙", "内蒙古", "province"),
    ("南山", "深圳南山区", "county"), ("朝阳区", "北京朝阳区", "county"),
    ("鼓楼", "南京鼓楼区", "county"), ("阿坝县", "阿坝县", "county"),
    ("昆山市", "昆山", "county"), ("东京", "东京", "world"), ("鹏城", "深圳", "city"),
])
def test_which_place_a_name_means(cities: CityTable, name: str, display: str,
                                  level: str) -> None:
    place = cities.find(name)
    assert place is not None and (place.display, place.level) == (display, level)


def test_the_source_and_licence_are_noted() -> None:
    notice = (ROOT / "resources" / "cities" / "NOTICE").read_text(encoding="utf-8")
    assert "cpca 0.5.5" in notice and "MIT" in notice and "Permission is hereby granted" in notice


def test_every_wmo_code_has_words() -> None:
    from app.actions.weather_text import WMO

    documented = {0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77,
                  80, 81, 82, 85, 86, 95, 96, 99}
    assert set(WMO) == documented


@pytest.mark.parametrize(("today", "word", "first", "last"), [
    (date(2025, 12, 6), "周末", date(2025, 12, 6), date(2025, 12, 7)),  # on a Saturday
    (date(2025, 12, 7), "周末", date(2025, 12, 7), date(2025, 12, 7)),  # on a Sunday
    (date(2025, 12, 3), "下周", date(2025, 12, 8), date(2025, 12, 14)),
    (date(2025, 12, 3), "这周", date(2025, 12, 3), date(2025, 12, 7)),
    (date(2025, 12, 7), "周一", date(2025, 12, 8), date(2025, 12, 8)),
])
def test_day_words(today: date, word: str, first: date, last: date) -> None:
    from app.actions.weather_days import resolve_day

    span = resolve_day(word, today)
    assert span is not None and (span.days[0], span.days[-1]) == (first, last)
