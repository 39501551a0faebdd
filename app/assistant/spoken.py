"""What is shown keeps digits (音量已调到30%, 14:05); what is spoken reads them as Mandarin
(百分之三十, 下午两点零五分). Phone numbers and years are read digit by digit (幺 for 1 in phone
numbers, as people say them), 2 before a measure word is 两, below zero is 零下."""

from __future__ import annotations

import re

from intents.slots import DIGIT_NAMES, spoken_number

_PHONE_DIGITS = "零幺二三四五六七八九"
_MEASURES = "个只台次分秒小天号点件首位度块元"
_NUMBER = r"\d+(?:\.\d+)?"

def _read(value: str) -> str:
    number = float(value) if "." in value else int(value)
    return spoken_number(number)[0]


def _percent(m: re.Match[str]) -> str:
    return f"{'负' if m[1] else ''}百分之{_read(m[2])}"


def _clock(m: re.Match[str]) -> str:
    hour, minute = int(m[1]), int(m[2])
    if hour > 23 or minute > 59:
        return m[0]
    period = ("凌晨" if hour < 5 else "早上" if hour < 9 else "上午" if hour < 12
              else "中午" if hour < 13 else "下午" if hour < 18 else "晚上")
    twelve = hour % 12 or 12
    spoken = period + ("两" if twelve == 2 else _read(str(twelve))) + "点"
    if minute:
        spoken += ("零" if minute < 10 else "") + _read(str(minute)) + "分"
    return spoken


def _digits(m: re.Match[str]) -> str:
    return "".join(_PHONE_DIGITS[int(d)] for d in m[0])


def _year(m: re.Match[str]) -> str:
    return "".join(DIGIT_NAMES[int(d)] if d != "0" else "零" for d in m[1]) + "年"


def _below_zero(m: re.Match[str]) -> str:
    return "零下" + _read(m[1]) + "度"


def _temperature_range(m: re.Match[str]) -> str:
    low = ("零下" if m[1] else "") + _read(m[2])
    high = ("零下" if m[3] else "") + _read(m[4])
    return f"{low}到{high}度"


def _two(m: re.Match[str]) -> str:
    return "两" + m[1]


def _number(m: re.Match[str]) -> str:
    return _read(m[0])


_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(-)?({_NUMBER})\s*[~～]\s*(-)?({_NUMBER})\s*度"), "temperature_range"),
    (re.compile(rf"(-)?({_NUMBER})\s*[%％]"), "percent"),
    (re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)"), "clock"),
    (re.compile(r"(?<!\d)(\d{4})年"), "year"),
    (re.compile(r"\d{5,}"), "digits"),
    (re.compile(rf"-({_NUMBER})\s*(?:度|°C|℃)"), "below_zero"),
    (re.compile(rf"(?<![\d.])2([{_MEASURES}])"), "two"),
    (re.compile(_NUMBER), "number"),
]
_HANDLERS = {"temperature_range": _temperature_range,
             "percent": _percent, "clock": _clock, "year": _year, "digits": _digits,
             "below_zero": _below_zero, "two": _two, "number": _number}


def spoken_text(shown: str) -> str:
    """The reply as it should be said: no digits, signs or clock colons left."""
    text = shown.replace("℃", "度").replace("°C", "度")
    for pattern, name in _RULES:
        text = pattern.sub(_HANDLERS[name], text)
    return text
