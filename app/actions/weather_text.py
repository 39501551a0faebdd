"""Forecasts in Mandarin, written for the screen (digits, ℃, %, ~ for ranges as the number
normaliser writes them): WMO weather codes, wind, and one sentence per question."""

from __future__ import annotations

from collections.abc import Sequence

from app.actions.weather_provider import DayForecast

WMO = {0: "晴", 1: "晴间多云", 2: "多云", 3: "阴", 45: "雾", 48: "雾凇",
       51: "毛毛雨", 53: "毛毛雨", 55: "毛毛雨", 56: "冻毛毛雨", 57: "冻毛毛雨",
       61: "小雨", 63: "中雨", 65: "大雨", 66: "冻雨", 67: "冻雨",
       71: "小雪", 73: "中雪", 75: "大雪", 77: "雪粒",
       80: "阵雨", 81: "阵雨", 82: "强阵雨", 85: "阵雪", 86: "强阵雪",
       95: "雷阵雨", 96: "雷阵雨伴有冰雹", 99: "雷阵雨伴有冰雹"}
SNOW = frozenset({71, 73, 75, 77, 85, 86})
WET = frozenset(code for code in WMO if code >= 51)  # rain, snow, showers, thunderstorms
DIRECTIONS = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
BEAUFORT_KMH = (1, 6, 12, 20, 29, 39, 50, 62, 75, 89, 103, 118)  # lower bounds of levels 1..12
UMBRELLA = 50  # % from which a reply says to take an umbrella


def sky(code: int | None) -> str | None:
    return WMO.get(code) if code is not None else None


def degrees(value: float) -> str:
    return str(round(value) + 0)  # + 0 turns -0 into 0


def temperatures(day: DayForecast) -> str | None:
    if day.low is not None and day.high is not None:
        return f"{degrees(day.low)}~{degrees(day.high)}℃"
    if day.high is not None:
        return f"最高{degrees(day.high)}℃"
    if day.low is not None:
        return f"最低{degrees(day.low)}℃"
    return None


def chance(day: DayForecast) -> str | None:
    return f"降水概率{degrees(day.rain_chance)}%" if day.rain_chance is not None else None


def wind(day: DayForecast) -> str | None:
    if day.wind_kmh is None:
        return None
    level = sum(1 for bound in BEAUFORT_KMH if day.wind_kmh >= bound)
    if day.wind_from is None:
        return f"风力{level}级"
    direction = DIRECTIONS[round(day.wind_from % 360 / 45) % 8]
    return f"{direction}风{level}级"


def summary(day: DayForecast) -> str:
    """多云，-3~8℃，降水概率10%"""
    parts = [p for p in (sky(day.code), temperatures(day), chance(day)) if p]
    return "，".join(parts) or "暂无预报数据"


def is_wet(day: DayForecast) -> bool:
    return day.code in WET


def precipitation(day: DayForecast) -> str:
    """What falls: the code's words when it is wet (小雨, 阵雪), else 雨 (or 雪 in the cold)."""
    if is_wet(day):
        return WMO[day.code] if day.code is not None else "雨"
    return "雪" if day.high is not None and day.high <= 0 else "雨"


def rain_answer(day: DayForecast) -> str:
    """Whether it will rain that day: 很可能有小雨，降水概率80%，出门记得带伞."""
    what = precipitation(day)
    p = day.rain_chance
    if p is None:
        return f"有{what}，出门记得带伞" if is_wet(day) else "预报没有雨"
    odds = chance(day)
    if p >= 60 or (is_wet(day) and p >= UMBRELLA):
        return f"很可能有{what}，{odds}，出门记得带伞"
    if p >= 30 or is_wet(day):
        return f"可能有{what}，{odds}，最好带把伞"
    verb = "下雪" if what.endswith("雪") else "下雨"
    return f"不太会{verb}，{odds}"


def rain_brief(day: DayForecast) -> str:
    """A day in a list: 小雨，降水概率80% / 降水概率10%."""
    parts = [WMO[day.code] if is_wet(day) and day.code is not None else None, chance(day)]
    return "，".join(p for p in parts if p) or ("无雨" if not is_wet(day) else "有雨")


def umbrella(days: Sequence[DayForecast]) -> str:
    wet = any(is_wet(d) or (d.rain_chance or 0) >= UMBRELLA for d in days)
    return "，记得带伞" if wet else ""


def temperature_answer(day: DayForecast, text: str) -> str:
    """最高8℃ when asked for the highest, 最低-3℃ for the lowest, else the range."""
    if "最高" in text and day.high is not None:
        return f"最高{degrees(day.high)}℃"
    if "最低" in text and day.low is not None:
        return f"最低{degrees(day.low)}℃"
    return temperatures(day) or "暂无气温预报"
