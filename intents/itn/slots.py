"""Typed values for numeric slots: numbers, percents, times of day, durations, dates, ranges.

Each parser takes the slot's text (spoken Chinese, already-written digits, or a mix) and returns
a typed value, or None when the whole text is not one value of that kind. Numbers come back as
``int`` when whole and spoken without a decimal point, else ``float``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from intents.itn.chars import CN_NUM, PERIODS, RUN
from intents.itn.normalize import normalize
from intents.itn.numbers import parse_decimal

Number = int | float

_SIGN = re.compile(r"^(?:负的?|零下|-|−)")
_ARABIC = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_FRACTION = re.compile(rf"({RUN})分之({RUN})")
_HALF = re.compile(rf"({RUN})?个?半")
_MIXED = re.compile(rf"({RUN})又({RUN})分之({RUN})")
_NUM = r"-?[0-9]+(?:\.[0-9]+)?"


def _typed(value: Decimal, decimal_point: bool) -> Number:
    if value == value.to_integral_value() and not decimal_point:
        return int(value)
    return float(value)


def _unsigned(text: str) -> Number | None:
    if _ARABIC.fullmatch(text):
        return _typed(Decimal(text), "." in text)
    value = parse_decimal(text)
    if value is not None:
        return _typed(value, ("点" in text or "." in text) and text[-1] not in "万亿")
    m = _FRACTION.fullmatch(text)
    if m:
        den, num = parse_decimal(m.group(1)), parse_decimal(m.group(2))
        return None if not den or num is None else float(num / den)
    m = _MIXED.fullmatch(text)
    if m:
        whole, den, num = (parse_decimal(g) for g in m.groups())
        if whole is None or not den or num is None:
            return None
        return float(whole + num / den)
    m = _HALF.fullmatch(text)
    if m:
        whole = parse_decimal(m.group(1)) if m.group(1) else Decimal(0)
        return None if whole is None else float(whole + Decimal("0.5"))
    return None


def parse_number(text: str) -> Number | None:
    """``一百二`` -> 120, ``三万五`` -> 35000, ``负三点五`` -> -3.5, ``四分之三`` -> 0.75,
    ``一个半`` -> 1.5, ``三又五分之一`` -> 3.2, ``幺二三`` -> 123; None for ``一起``, ``百十一``,
    ``零点``."""
    text = text.strip().replace(" ", "")
    sign = _SIGN.match(text)
    body = text[sign.end() :] if sign else text
    if not body:
        return None
    value = _unsigned(body)
    if value is None:
        return None
    return -value if sign else value


def _number_text(text: str) -> Number:
    return _typed(Decimal(text), "." in text)


def parse_percent(text: str) -> Number | None:
    """``百分之三十`` -> 30, ``百分之二点五`` -> 2.5 (the number before %)."""
    m = re.fullmatch(rf"({_NUM})%", normalize(text.strip()))
    return _number_text(m.group(1)) if m else None


_CLOCK = re.compile(r"(?:今早|明早|昨早|今晚|明晚|昨晚)?([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_HOUR = re.compile(r"([0-9]{1,2})点(?:钟)?(?:整)?")
_SPOKEN_ZERO_MINUTE = re.compile(rf"(?:{PERIODS})?[{CN_NUM}]{{1,3}}[点點]零[一二三四五六七八九]")


def parse_time(text: str) -> tuple[int, int] | None:
    """A time of day as (hour 0-23, minute): ``下午两点十五`` -> (14, 15), ``三点半`` -> (3, 30)."""
    spoken = text.strip()
    written = normalize(spoken)
    if _SPOKEN_ZERO_MINUTE.fullmatch(spoken):
        written = normalize(spoken + "分")  # a time slot: 八点零五 is 8:05, not 8.05
    m = _CLOCK.fullmatch(written)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
    else:
        m = _HOUR.fullmatch(written)
        if not m:
            return None
        hour, minute = int(m.group(1)), 0
    if hour == 24:
        hour = 0
    return (hour, minute) if 0 <= hour < 24 and 0 <= minute < 60 else None


_DURATION_UNITS = {
    "小时": 3600, "个小时": 3600, "钟头": 3600, "个钟头": 3600, "分钟": 60, "分": 60,
    "秒钟": 1, "秒": 1, "刻钟": 900, "天": 86400, "周": 604800, "个星期": 604800,
    "星期": 604800, "个礼拜": 604800, "礼拜": 604800, "个月": 2592000,
}  # fmt: skip
_DURATION_PART = re.compile(
    rf"({_NUM})({'|'.join(sorted(_DURATION_UNITS, key=len, reverse=True))})(?:[又零和]|以后|后)?"
)


# Quarter hours stay spoken in free text (一刻钟 is a word); here they are 15 minutes each.
_QUARTERS = re.compile(r"([一二两三四1-4])刻钟")
_QUARTER_COUNT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4}


def parse_duration(text: str) -> float | None:
    """A duration in seconds: ``五分钟三十秒`` -> 330.0, ``一个半小时`` -> 5400.0,
    ``半小时`` -> 1800.0, ``三刻钟`` -> 2700.0. Months count as 30 days."""
    spoken = _QUARTERS.sub(
        lambda m: f"{15 * _QUARTER_COUNT.get(m.group(1), 0) or 15 * int(m.group(1))}分钟",
        text.strip(),
    )
    written = normalize(spoken).replace(" ", "")
    total, pos = 0.0, 0
    while pos < len(written):
        m = _DURATION_PART.match(written, pos)
        if not m:
            return None
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return total if pos else None


_DATE = re.compile(r"(?:([0-9]{2,4})年)?(?:([0-9]{1,2})月)?(?:([0-9]{1,2})[日号])?")


def parse_date(text: str) -> tuple[int | None, int | None, int | None] | None:
    """(year, month, day), each None when not said: ``二零二四年三月五日`` -> (2024, 3, 5),
    ``八月八号`` -> (None, 8, 8). A two-digit year stays as said (``八五年`` -> 85)."""
    m = _DATE.fullmatch(normalize(text.strip()))
    if not m or not any(m.groups()):
        return None
    year, month, day = (int(g) if g else None for g in m.groups())
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        return None
    return year, month, day


_RANGE = re.compile(rf"({_NUM})([^0-9~]*)~({_NUM})(.*)")
_QUANTITY = re.compile(rf"({_NUM})(\D*)")


def parse_range(text: str) -> tuple[Number, Number, str] | None:
    """(low, high, unit): ``三到五度`` -> (3, 5, '度'), ``三四万`` -> (30000, 40000, '')."""
    m = _RANGE.fullmatch(normalize(text.strip()))
    if not m or (m.group(2) and m.group(2) != m.group(4)):
        return None
    return _number_text(m.group(1)), _number_text(m.group(3)), m.group(4)


def parse_quantity(text: str) -> tuple[Number, str] | None:
    """(value, unit): ``零下五度`` -> (-5, '度'), ``三块五`` -> (3.5, '元'), ``五公里`` ->
    (5, '公里'), ``百分之三十`` -> (30, '%'). The unit is '' for a bare number."""
    m = _QUANTITY.fullmatch(normalize(text.strip()))
    return (_number_text(m.group(1)), m.group(2)) if m else None
