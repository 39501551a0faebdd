"""Time and date actions with a fixed clock: the time, the date, the weekday, the lunar date
(leap months included), the year, festivals and solar terms; sentences go through the default
grammar's matcher first, as the assistant does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.actions.base import ActionRequest, ActionResult
from app.actions.clock import ClockActions
from app.config import AppSettings
from intents.grammar import load_grammar
from intents.matcher import Matcher

GRAMMAR = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"
BEIJING = timezone(timedelta(hours=8))


def at(year: int, month: int, day: int, hour: int, minute: int) -> ClockActions:
    moment = datetime(year, month, day, hour, minute, tzinfo=BEIJING)
    return ClockActions.from_settings(AppSettings(), now=lambda: moment)


@pytest.fixture(scope="module")
def matcher(default_matcher: Matcher) -> Matcher:
    return default_matcher  # the session's (tests/conftest.py): matching only reads it


def say(matcher: Matcher, clock: ClockActions, text: str, dry_run: bool = False) -> ActionResult:
    match = matcher.match(text)
    assert match is not None and match.domain == "time", text
    intent = next(i for i in matcher.grammar.intents if i.key == match.key)
    request = ActionRequest(str(intent.action), match.domain, match.intent, slots=dict(match.slots),
                            text=text, dry_run=dry_run)
    return clock.handlers()[str(intent.action)](request)


def test_handlers_cover_the_grammar() -> None:
    actions = {i.action for i in load_grammar(GRAMMAR).intents if i.domain == "time"}
    assert actions and actions <= set(at(2025, 12, 3, 0, 0).handlers())


@pytest.mark.parametrize(("moment", "reply"), [
    ((2025, 12, 3, 14, 5), "现在是14:05"), ((2025, 12, 3, 9, 3), "现在是9:03"),
    ((2025, 12, 3, 0, 0), "现在是0:00"), ((2025, 12, 3, 23, 59), "现在是23:59")])
def test_the_time(matcher: Matcher, moment: tuple[int, int, int, int, int], reply: str) -> None:
    result = say(matcher, at(*moment), "现在几点")
    assert result.performed and result.reply == reply


@pytest.mark.parametrize(("text", "reply"), [
    ("今天几号", "今天是2025年12月3日，星期三，农历十月十四"),
    ("今天的日期", "今天是2025年12月3日，星期三，农历十月十四"),
    ("明天星期几", "明天是星期四"),
    ("后天是几月几号", "后天是2025年12月5日，星期五，农历十月十六"),
    ("今天农历几号", "今天是农历十月十四"),
    ("农历今天是几号", "今天是农历十月十四"),
    ("明天阴历多少", "明天是农历十月十五"),
    ("今年是哪一年", "今年是2025年，乙巳蛇年"),
    ("现在是几月", "现在是12月"),
])
def test_dates(matcher: Matcher, text: str, reply: str) -> None:
    result = say(matcher, at(2025, 12, 3, 14, 5), text)
    assert result.performed and result.reply == reply, result


def test_lunar_leap_month_and_new_year(matcher: Matcher) -> None:
    assert say(matcher, at(2025, 7, 25, 8, 0), "今天农历几号").reply == "今天是农历闰六月初一"
    assert say(matcher, at(2026, 2, 17, 8, 0), "今天农历几号").reply == "今天是农历正月初一"
    # before the Spring Festival the lunar year is still the old one
    assert say(matcher, at(2026, 2, 10, 8, 0), "今年是哪一年").reply == "今年是2026年，乙巳蛇年"


def test_festivals_and_solar_terms(matcher: Matcher) -> None:
    assert "春节" in (say(matcher, at(2026, 2, 17, 8, 0), "今天是什么节日").reply or "")
    assert "国庆节" in (say(matcher, at(2025, 10, 1, 8, 0), "今天是什么节日").reply or "")
    assert (say(matcher, at(2025, 12, 21, 8, 0), "今天是什么节气").reply or "").endswith("冬至")
    assert (say(matcher, at(2025, 12, 3, 8, 0), "今天是什么节日").reply or "").endswith("不是节日")


def test_days_around_today() -> None:
    clock = at(2025, 12, 3, 14, 5)

    def date_of(day: str, text: str = "几号") -> str | None:
        return clock.date(ActionRequest("time.date", "time", "date", slots={"day": day},
                                        text=text)).reply

    assert date_of("昨天") == "昨天是2025年12月2日，星期二，农历十月十三"
    assert date_of("周日", "周日星期几") == "周日是星期日"
    assert date_of("周末") == "周末是2025年12月6日（星期六）、2025年12月7日（星期日）"
    unknown = clock.date(ActionRequest("time.date", "time", "date", slots={"day": "下个月"}))
    assert not unknown.performed and unknown.error


def test_dry_run(matcher: Matcher) -> None:
    clock = at(2025, 12, 3, 14, 5)
    now = say(matcher, clock, "现在几点", dry_run=True)
    assert not now.performed and now.description == "报告现在的时间"
    date = say(matcher, clock, "明天几号", dry_run=True)
    assert not date.performed and date.reply == "（演练）报告明天的日期"


def test_the_real_clock_is_the_default() -> None:
    reply = ClockActions().time_now(ActionRequest("time.now", "time", "now")).reply or ""
    assert reply.startswith("现在是") and ":" in reply
