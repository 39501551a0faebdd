"""Rules for numbers in context: letters, trains, IP addresses, fractions, percents, times, money.

Each rule is a compiled pattern plus a replacement function; a function returning the matched
text unchanged leaves the span to the later, more general rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from intents.itn.chars import (
    CN_NUM,
    D_PLAIN,
    KEEP_PERIODS,
    MIDNIGHT_PERIODS,
    PERIODS,
    PM_PERIODS,
    RUN,
    UNIT_RE,
    D,
)
from intents.itn.numbers import format_decimal, parse_decimal, parse_whole, render_run

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

# --- spelled letters, plates, trains, IP addresses -------------------------------------------

LETTER_GAP = re.compile(r"(?<=(?<![A-Za-z])[A-Za-z]) (?=[A-Za-z0-9](?![A-Za-z0-9]))")
_DIGITS_BY_LETTER = re.compile(
    rf"(?<=[A-Za-z])[{D_PLAIN}幺]+(?![{CN_NUM}])|(?<![{CN_NUM}])[{D_PLAIN}幺]+(?=[A-Za-z])"
)
_TRAIN = re.compile(rf"(?<![{CN_NUM}])([高动特快直])([{D_PLAIN}幺]{{2,4}})(?![{CN_NUM}点])")
_TRAIN_LETTER = {"高": "G", "动": "D", "特": "T", "快": "K", "直": "Z"}
_IP = re.compile(rf"[{CN_NUM}]+(?:点[{CN_NUM}]+){{3}}")


def _digit_chars(text: str) -> str:
    return render_run(text) or text


def _ip(m: re.Match[str]) -> str:
    parts = [render_run(p) for p in m.group().split("点")]
    if any(p is None or not p.isdigit() or int(p) > 255 for p in parts):
        return m.group()
    return ".".join(p for p in parts if p is not None)


def _by_letter(m: re.Match[str]) -> str:
    return "".join(_digit_chars(c) for c in m.group())


LETTER_RULES: list[Rule] = [(_DIGITS_BY_LETTER, _by_letter)]
CODE_RULES: list[Rule] = [
    (_TRAIN, lambda m: _TRAIN_LETTER[m.group(1)] + _digit_chars(m.group(2))),
    (_IP, _ip),
]

# --- fractions and percents -------------------------------------------------------------------

_NB = rf"(?<![{CN_NUM}0-9])"
_FRACTION = re.compile(rf"{_NB}(负)?({RUN})分之(负)?({RUN})")
_PERCENT = re.compile(
    rf"{_NB}(负的?|正负)?([百千])分之?(负)?({RUN}|百)"
    rf"(?:([到至])(?:[百千]分之?)?(负)?({RUN}|百))?"
)


def _value(text: str) -> Decimal | None:
    return Decimal(100) if text == "百" else parse_decimal(text)


def _fraction(m: re.Match[str]) -> str:
    den, num = parse_decimal(m.group(2)), parse_decimal(m.group(4))
    if den is None or num is None or den == 0:
        return m.group()
    sign = "-" if m.group(1) or m.group(3) else ""
    return f"{sign}{format_decimal(num)}/{format_decimal(den)}"


def _percent(m: re.Match[str]) -> str:
    sign, kind, neg, a, to, neg2, b = m.groups()
    first = _value(a)
    if first is None:
        return m.group()
    mark = "%" if kind == "百" else "‰"
    lead = {"正负": "±"}.get(sign or "", "-" if sign or neg else "")
    text = f"{lead}{format_decimal(first)}"
    if to and b:
        second = _value(b)
        if second is None:
            return m.group()
        text += f"~{'-' if neg2 else ''}{format_decimal(second)}"
    return text + mark


FRACTION_RULES: list[Rule] = [(_FRACTION, _fraction), (_PERCENT, _percent)]

# --- times of day -----------------------------------------------------------------------------

_HOUR = "二十[一二三四]?|十[一二三四五六七八九]?|[零一二两三四五六七八九]"
_MIN = "[二三四五]十[一二三四五六七八九]?|十[一二三四五六七八九]?|零[一二三四五六七八九]|零零"
_TIME = re.compile(
    rf"(?<![{CN_NUM}点])({PERIODS})?({_HOUR})点过?"
    rf"(?:(半)|([一三])刻(?:钟)?|({_MIN})(分(?!之))?|([零一二三四五六七八九两])分(?![之钟]))"
    rf"(?:({_MIN}|[一二三四五六七八九])秒)?(?![{CN_NUM}])"
)
_TIME_TO = re.compile(
    rf"(?<![{CN_NUM}点])({PERIODS})?(?:差({_MIN}|[一二三四五六七八九两])分(?:钟)?({_HOUR})点"
    rf"|({_HOUR})点差({_MIN}|[一二三四五六七八九两])分(?:钟)?)(?![{CN_NUM}])"
)
_HOUR_ONLY = re.compile(rf"({PERIODS})({_HOUR})点(钟)?(?![{D}十半])")
_UNIT_AHEAD = re.compile(UNIT_RE)


def to_24h(period: str | None, hour: int) -> int:
    """The hour on a 24-hour clock given a spoken period of the day (下午 三 -> 15)."""
    if not period:
        return hour
    if period in MIDNIGHT_PERIODS:
        return 0 if hour == 12 else hour
    if period == "中午":
        return hour + 12 if 1 <= hour <= 5 else hour
    if period in PM_PERIODS:
        if hour < 12:
            return hour + 12
        return hour if period in ("下午", "午后") else 0
    return hour


def _num(text: str) -> int:
    value = parse_whole(text)
    return -1 if value is None else int(value)


def _time(m: re.Match[str]) -> str:
    period, h, half, quarter, minute, fen, minute1, sec = m.groups()
    hour = _num(h)
    if half:
        mins = 30
    elif quarter:
        mins = 15 * _num(quarter)
    else:
        mins = _num(minute or minute1)
    spoken_decimal = not fen and minute and not period
    if spoken_decimal and (
        (hour == 0 and minute.startswith("零")) or _UNIT_AHEAD.match(m.string, m.end())
    ):
        return m.group()  # 零点零五, 三点零五米: decimals
    if not 0 <= hour <= 24 or not 0 <= mins < 60:
        return m.group()
    text = f"{to_24h(period, hour)}:{mins:02d}"
    if sec:
        text += f":{_num(sec):02d}"
    return (period if period in KEEP_PERIODS else "") + text


def _time_to(m: re.Match[str]) -> str:
    """差五分三点 / 三点差五分 -> 2:55."""
    period, before, h1, h2, before2 = m.groups()
    hour, mins = _num(h1 or h2), _num(before or before2)
    if not 1 <= hour <= 24 or not 1 <= mins < 60:
        return m.group()
    hour = to_24h(period, hour) - 1
    return (period if period in KEEP_PERIODS else "") + f"{hour % 24}:{60 - mins:02d}"


def _hour_only(m: re.Match[str]) -> str:
    period, h, _ = m.groups()
    hour = _num(h)
    if (len(period) == 1 and hour == 1) or not 0 <= hour <= 24:
        return m.group()
    return (period if period in KEEP_PERIODS else "") + f"{to_24h(period, hour)}:00"


TIME_RULES: list[Rule] = [(_TIME_TO, _time_to), (_TIME, _time), (_HOUR_ONLY, _hour_only)]

# --- money in yuan ----------------------------------------------------------------------------

_MONEY = re.compile(
    rf"{_NB}({RUN})(块钱|块|元|圆)(钱)?"
    rf"(?:(零)?([{D}])(?:(毛|角)钱?(?:([{D}])分?钱?)?|(?!{UNIT_RE}|[{CN_NUM}点])))?"
    rf"(?:([{D}])分钱?)?(?!点)"
)
_JIAO = re.compile(rf"(?<![{CN_NUM}块元圆])([{D}])[毛角](?:([{D}])分?钱?|钱)(?![{CN_NUM}])")


_NUM_CHARS = frozenset(CN_NUM)


def _yuan(value: Decimal) -> str:
    return f"{format_decimal(value)}元"


def _money(m: re.Match[str]) -> str:
    amount, cur, qian, zero, d1, jiao, fen_after_jiao, fen = m.groups()
    fen = fen or fen_after_jiao
    yuan = parse_decimal(amount)
    if yuan is None:
        return m.group()
    if cur == "块" and not (qian or d1 or fen):
        return m.group()  # 三块蛋糕: a classifier, not money
    if (d1 or fen) and m.string[m.end() : m.end() + 1] in _NUM_CHARS:
        return m.group()
    if d1 and zero and not jiao:
        fen, d1 = d1, None  # 三块零五
    value = yuan
    if d1:
        value += Decimal(_num(d1)) / 10
    if fen:
        value += Decimal(_num(fen)) / 100
    return _yuan(value)


def _jiao(m: re.Match[str]) -> str:
    value = Decimal(_num(m.group(1))) / 10
    if m.group(2):
        value += Decimal(_num(m.group(2))) / 100
    return _yuan(value)


MONEY_RULES: list[Rule] = [(_MONEY, _money), (_JIAO, _jiao)]
