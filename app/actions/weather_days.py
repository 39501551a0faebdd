"""Which dates a ``day`` slot value means (今天, 明天, 周末, 周五, 下周…), counted from today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
OFFSETS = {"今天": 0, "今晚": 0, "今天上午": 0, "今天下午": 0, "现在": 0,
           "明天": 1, "明早": 1, "明天上午": 1, "明天下午": 1, "明晚": 1,
           "后天": 2, "大后天": 3, "昨天": -1, "前天": -2}
RELATIVE = ("今天", "明天", "后天")


@dataclass(frozen=True)
class Span:
    word: str  # how the reply names it: 今天, 周末, 周五
    days: tuple[date, ...]

    @property
    def single(self) -> bool:
        return len(self.days) == 1


def resolve_day(word: str | None, today: date) -> Span | None:
    """The dates ``word`` means (None: today); None when the word is not known."""
    if not word:
        return Span("今天", (today,))
    if word in OFFSETS:
        return Span(word, (today + timedelta(days=OFFSETS[word]),))
    if word in WEEKDAYS:
        ahead = (WEEKDAYS.index(word) - today.weekday()) % 7
        return Span(word, (today + timedelta(days=ahead),))
    days = _range(word, today)
    return Span(word, days) if days else None


def _range(word: str, today: date) -> tuple[date, ...]:
    weekday = today.weekday()
    next_monday = today + timedelta(days=7 - weekday)
    if word == "周末":  # the coming weekend, or what is left of this one
        start = today if weekday >= 5 else today + timedelta(days=5 - weekday)
        return _days(start, today + timedelta(days=6 - weekday))
    if word == "下周末":
        return _days(next_monday + timedelta(days=5), next_monday + timedelta(days=6))
    if word == "这周":
        return _days(today, today + timedelta(days=6 - weekday))
    if word == "下周":
        return _days(next_monday, next_monday + timedelta(days=6))
    if word in ("近几天", "近三天"):
        return _days(today, today + timedelta(days=2))
    if word == "未来一周":
        return _days(today, today + timedelta(days=6))
    return ()


def _days(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def label(day: date, today: date) -> str:
    """A day in a list of days: 今天, 明天, 后天, then 周四, and 下周四 a week or more ahead."""
    ahead = (day - today).days
    if 0 <= ahead < len(RELATIVE):
        return RELATIVE[ahead]
    name = WEEKDAYS[day.weekday()]
    return name if ahead < 7 - today.weekday() else f"下{name}"
