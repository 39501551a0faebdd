"""Time and date actions: ``time.now`` (现在几点 → 现在是14:05) and ``time.date`` (今天几号,
明天星期几, 今天农历几号 → 今天是农历十月十二, 今年是哪一年, 今天是什么节日).

Replies are for the screen: 14:05 and 2025年12月1日 (the assistant says 下午两点零五分). The lunar
calendar comes from ``lunar_python`` (MIT). The clock is a ``now`` callable, so tests choose the
moment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from lunar_python import Solar

from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.weather_days import resolve_day
from app.config import AppSettings

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
LUNAR_WORDS = ("农历", "阴历", "旧历", "老历")
WEEKDAY_WORDS = ("星期几", "礼拜几", "周几")
YEAR_WORDS = ("哪一年", "几几年", "什么年", "哪年")
FESTIVAL_WORDS = ("节日", "什么日子", "节气")


def local_now() -> datetime:
    return datetime.now().astimezone()


def clock_text(moment: datetime) -> str:
    """14:05 (the hour not padded, as the number normaliser writes times)."""
    return f"{moment.hour}:{moment.minute:02d}"


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def lunar_text(day: date) -> str:
    """农历十月十二, 农历闰六月初一, 农历正月初一."""
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    return f"农历{lunar.getMonthInChinese()}月{lunar.getDayInChinese()}"


def lunar_year(day: date) -> str:
    """乙巳蛇年: the lunar year ``day`` falls in."""
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    return f"{lunar.getYearInGanZhi()}{lunar.getYearShengXiao()}年"


def festivals(day: date) -> list[str]:
    """The festivals and the solar term of ``day``: 春节, 国庆节, 冬至."""
    solar = Solar.fromYmd(day.year, day.month, day.day)
    lunar = solar.getLunar()
    found = [str(name) for name in (*lunar.getFestivals(), *solar.getFestivals())]
    term = str(lunar.getJieQi() or "")
    return [*found, term] if term else found


class ClockActions(Actions):
    def __init__(self, now: Callable[[], datetime] = local_now) -> None:
        self.now = now

    @classmethod
    def from_settings(cls, settings: AppSettings, *,
                      now: Callable[[], datetime] = local_now) -> ClockActions:
        """Nothing in the settings concerns the clock; the factory is here for uniformity."""
        return cls(now)

    def handlers(self) -> Mapping[str, Handler]:
        return {"time.now": self.time_now, "time.date": self.date}

    def time_now(self, request: ActionRequest) -> ActionResult:
        if request.dry_run:
            return ActionResult.dry("报告现在的时间")
        moment = self.now()
        return ActionResult(True, reply=f"现在是{clock_text(moment)}",
                            values={"time": clock_text(moment)})

    def date(self, request: ActionRequest) -> ActionResult:
        today = self.now().date()
        word = str(request.slots.get("day") or "今天")
        span = resolve_day(word, today)
        if span is None:
            return ActionResult.failed(f"我还不会算{word}的日期", f"unknown day {word!r}")
        if request.dry_run:
            return ActionResult.dry(f"报告{word}的日期")
        asked = request.text
        if not span.single:
            listed = "、".join(f"{date_text(d)}（{WEEKDAY_NAMES[d.weekday()]}）" for d in span.days)
            return ActionResult(True, reply=f"{word}是{listed}")
        day = span.days[0]
        if any(w in asked for w in YEAR_WORDS):
            reply = f"今年是{day.year}年，{lunar_year(day)}"
        elif any(w in asked for w in LUNAR_WORDS):
            reply = f"{word}是{lunar_text(day)}"
        elif any(w in asked for w in WEEKDAY_WORDS):
            reply = f"{word}是{WEEKDAY_NAMES[day.weekday()]}"
        elif "几月" in asked and "几月几" not in asked:
            reply = f"现在是{day.month}月" if day == today else f"{word}是{day.month}月"
        else:
            reply = f"{word}是{date_text(day)}，{WEEKDAY_NAMES[day.weekday()]}，{lunar_text(day)}"
        if any(w in asked for w in FESTIVAL_WORDS):
            found = festivals(day)
            reply += f"，{'、'.join(found)}" if found else "，不是节日"
        return ActionResult(True, reply=reply, context={"day": word})
