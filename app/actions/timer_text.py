"""Times as people say them and as Lingyin writes them, for timers, alarms and reminders.

``read_when`` reads a free-text time (明天早上七点, 七点半, 周五下午三点, 三月五号八点, 十分钟后)
into a ``When``; ``When.resolve`` turns it into an epoch time after ``now``; ``When.matches`` tells
whether an entry's end fits it (取消明天早上的闹钟). ``split_event`` takes a leading time off a
reminder's text (明天下午三点开会 → 明天下午三点, 开会). Formatting writes digits for the screen:
``3分20秒``, ``14:35``, ``明天7:00``. Local time is the process's time zone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from intents.itn import parse_date, parse_duration, parse_number, parse_time

_DAYS = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明儿": 1, "今天": 0, "今日": 0, "今儿": 0}
_DAY_PERIODS = {"今晚": (0, "晚上"), "明晚": (1, "晚上"), "今早": (0, "早上"),
                "明早": (1, "早上"), "今夜": (0, "晚上"), "明晨": (1, "早上")}
# period → (hours it covers, first-hour, default hour when only the period is said)
_PERIODS: dict[str, tuple[range, int]] = {
    "凌晨": (range(0, 6), 6), "清晨": (range(5, 9), 7), "早晨": (range(5, 10), 7),
    "早上": (range(5, 10), 8), "一早": (range(5, 10), 8), "上午": (range(8, 12), 9),
    "中午": (range(11, 14), 12), "下午": (range(12, 19), 15), "傍晚": (range(17, 20), 18),
    "晚上": (range(18, 24), 20), "夜里": (range(20, 24), 22), "半夜": (range(0, 4), 0),
}
_WEEKDAY_NAMES = "一二三四五六日天"
_NUM = "[0-9零〇一二两三四五六七八九十]+"
_DAY_RE = re.compile("|".join(sorted([*_DAYS, *_DAY_PERIODS], key=len, reverse=True)))
_WEEK_RE = re.compile(f"(下个?|这个?|本)?(?:周|星期|礼拜)([{_WEEKDAY_NAMES}1-7])")
_DATE_RE = re.compile(f"(?:{_NUM}年)?{_NUM}月{_NUM}[日号]|{_NUM}[日号]")
_PERIOD_RE = re.compile("|".join(_PERIODS))
_RELATIVE_RE = re.compile(r"(.+?)(?:以后|之后|后)")
DEFAULT_HOUR = 9  # a reminder given only a day (明天交报告) goes off at 9:00


@dataclass(frozen=True)
class When:
    """A time as said: any of a day, a period of the day, a clock time, or a delay."""

    day: date | None = None
    period: str | None = None  # 早上, 下午…
    clock: tuple[int, int] | None = None  # as said, 24-hour when a period folded it
    after: float | None = None  # seconds from now (十分钟后)

    def resolve(self, now: float, default_hour: int | None = None) -> float | None:
        """The epoch time meant, the soonest one after ``now`` when the day is not said (七点 at
        20:00 is tomorrow 7:00; 八点 at 9:00 is 20:00 today). None when no hour is known and
        ``default_hour`` is None. It may be in the past when the day was said (今天早上七点)."""
        if self.after is not None:
            return now + self.after
        today = datetime.fromtimestamp(now).date()
        if self.clock is None:
            if self.period is not None:
                hour = _PERIODS[self.period][1]
            elif default_hour is not None and self.day is not None:
                hour = default_hour
            else:
                return None
            if self.day is not None:
                return _at(self.day, hour, 0)
            soon = _at(today, hour, 0)
            return soon if soon > now else _at(today + timedelta(days=1), hour, 0)
        days = [self.day] if self.day else [today, today + timedelta(days=1)]
        times = sorted(_at(d, h, m) for d in days for h, m in self._clocks())
        if self.day is not None:
            future = [t for t in times if t > now]
            return future[0] if future else times[0]
        return next((t for t in times if t > now), times[-1])

    def matches(self, end: float) -> bool:
        """Whether an entry going off at ``end`` fits what was said (明天, 早上, 七点)."""
        moment = datetime.fromtimestamp(end)
        if self.day is not None and moment.date() != self.day:
            return False
        if self.period is not None and moment.hour not in _PERIODS[self.period][0]:
            return False
        return self.clock is None or (moment.hour, moment.minute) in self._clocks()

    def _clocks(self) -> list[tuple[int, int]]:
        assert self.clock is not None
        hour, minute = self.clock
        if self.period is None and 1 <= hour <= 12:  # 八点: 8:00 or 20:00, 十二点: 12:00 or 0:00
            return [(hour, minute), ((hour + 12) % 24, minute)]
        return [(hour, minute)]


def read_when(text: str, today: date) -> When | None:
    """Read a time as said; None when it is not (only) a time."""
    rest = re.sub(r"\s+", "", text).removeprefix("在").removesuffix("的")
    if not rest:
        return None
    m = _RELATIVE_RE.fullmatch(rest)
    if m and (seconds := parse_duration(m.group(1))):
        return When(after=seconds)
    day, period, rest = _read_day(rest, today)
    m = _PERIOD_RE.match(rest)
    if m:
        period, rest = m.group(0), rest[m.end():]
    clock = None
    if rest:
        clock = parse_time(f"{period or ''}{rest}") or _folded(period, parse_time(rest))
        if clock is None:
            return None
    if day is None and period is None and clock is None:
        return None
    return When(day=day, period=period, clock=clock)


def _read_day(text: str, today: date) -> tuple[date | None, str | None, str]:
    m = _DAY_RE.match(text)
    if m:
        word = m.group(0)
        if word in _DAY_PERIODS:
            offset, period = _DAY_PERIODS[word]
            return today + timedelta(days=offset), period, text[m.end():]
        return today + timedelta(days=_DAYS[word]), None, text[m.end():]
    m = _WEEK_RE.match(text)
    if m:
        wanted = min(_WEEKDAY_NAMES.index(m.group(2)), 6) if not m.group(2).isdigit() \
            else int(m.group(2)) - 1
        ahead = (wanted - today.weekday()) % 7
        if m.group(1) and m.group(1).startswith("下"):
            ahead = 7 - today.weekday() + wanted
        return today + timedelta(days=ahead), None, text[m.end():]
    m = _DATE_RE.match(text)
    if m:
        parsed = parse_date(m.group(0))
        day = _calendar_day(parsed, today) if parsed else None
        if day is not None:
            return day, None, text[m.end():]
    return None, None, text


def _calendar_day(parsed: tuple[int | None, int | None, int | None], today: date) -> date | None:
    """三月五号: this year's, or next year's once it has passed; 五号: this month's or next."""
    year, month, day = parsed
    if day is None:
        return None
    if year is not None:
        candidates = [(year if year > 99 else 2000 + year, month or today.month)]
    elif month is not None:
        candidates = [(today.year, month), (today.year + 1, month)]
    else:
        nxt = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        candidates = [(today.year, today.month), (nxt.year, nxt.month)]
    for y, mo in candidates:
        try:
            found = date(y, mo, day)
        except ValueError:
            continue
        if found >= today or year is not None:
            return found
    return None


def _folded(period: str | None, clock: tuple[int, int] | None) -> tuple[int, int] | None:
    """下午 + 3:00 → 15:00 when the normaliser did not fold the period in."""
    if clock is None or period is None:
        return clock
    hour, minute = clock
    if period in ("下午", "傍晚", "晚上", "夜里") and hour < 12:
        hour += 12
    elif period in ("凌晨", "半夜") and hour == 12:
        hour = 0
    return hour, minute


def split_event(text: str, today: date) -> tuple[When | None, str]:
    """A reminder's text that starts with its time: 明天下午三点开会 → (明天 15:00, 开会).
    The longest leading part that reads as a time wins; (None, text) when there is none."""
    compact = re.sub(r"\s+", "", text)
    for cut in range(len(compact) - 1, 0, -1):
        when = read_when(compact[:cut], today)
        if when is not None:
            event = re.sub(r"^(?:的时候|时|就|再|要|去|该|，|,)+", "", compact[cut:])
            return (when, event) if event else (None, text)
    return None, text


def duration_of(slots: Mapping[str, object]) -> float | None:
    """Seconds from the slots hours, minutes and seconds (1.5 hours → 5400); None if none."""
    total = 0.0
    for key, scale in (("hours", 3600), ("minutes", 60), ("seconds", 1)):
        value = slots.get(key)
        if value is None or value == "":
            continue
        number = value if isinstance(value, int | float) else parse_number(str(value))
        if number is None or isinstance(number, bool) or not math.isfinite(number) or number < 0:
            return None
        total += float(number) * scale
    return total or None


def format_duration(seconds: float) -> str:
    """``3分20秒``, ``5分钟``, ``1小时30分钟``, ``2小时5秒``, ``20秒`` (rounded up to a second)."""
    total = max(0, math.ceil(seconds - 1e-6))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if not hours and not minutes:
        return f"{secs}秒"
    if not hours:
        return f"{minutes}分{secs}秒" if secs else f"{minutes}分钟"
    text = f"{hours}小时"
    if minutes:
        text += f"{minutes}分" + (f"{secs}秒" if secs else "钟")
    elif secs:
        text += f"{secs}秒"
    return text


def format_clock(when: float, now: float, seconds: bool = False) -> str:
    """``14:35`` today, ``明天7:00``, ``后天7:00``, ``3月5日7:00``, ``2025年1月2日7:00``."""
    moment, today = datetime.fromtimestamp(when), datetime.fromtimestamp(now).date()
    clock = f"{moment.hour}:{moment.minute:02d}" + (f":{moment.second:02d}" if seconds else "")
    offset = (moment.date() - today).days
    prefix = {0: "", 1: "明天", 2: "后天", -1: "昨天"}.get(offset)
    if prefix is None:
        prefix = f"{moment.month}月{moment.day}日"
        if moment.year != today.year:
            prefix = f"{moment.year}年{prefix}"
    return prefix + clock


def _at(day: date, hour: int, minute: int) -> float:
    return datetime(day.year, day.month, day.day, hour, minute).timestamp()
