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
from intents.itn.numbers import (
    format_decimal,
    format_spoken,
    parse_decimal,
    parse_whole,
    render_run,
)

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

# --- spelled letters, plates, trains, IP addresses -------------------------------------------

LETTER_GAP = re.compile(r"(?<=(?<![A-Za-z])[A-Za-z]) (?=[A-Za-z0-9](?![A-Za-z0-9]))")
_DIGITS_BY_LETTER = re.compile(
    rf"(?<=[A-Za-z])[{D_PLAIN}幺]+(?![{CN_NUM}]|点[{CN_NUM}])"  # Python三点一二 is a decimal
    rf"|(?<![{CN_NUM}])[{D_PLAIN}幺]+(?=[A-Za-z])"
)
_TRAIN = re.compile(rf"(?<![{CN_NUM}])([高动特快直])([{D_PLAIN}幺]{{2,4}})(?![{CN_NUM}点])")
_TRAIN_LETTER = {"高": "G", "动": "D", "特": "T", "快": "K", "直": "Z"}
# dotted numbers: IP addresses and versions (二点三点一 → 2.3.1), never one decimal
_IP = re.compile(rf"[{CN_NUM}]+(?:点[{CN_NUM}]+){{2,3}}")


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
# A mixed number: 三又五分之一 -> 3又1/5 (the whole part and 又 stay visible).
_MIXED = re.compile(rf"{_NB}(负)?({RUN})又({RUN})分之({RUN})")
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
    return f"{sign}{format_spoken(num)}/{format_spoken(den)}"


def _mixed(m: re.Match[str]) -> str:
    sign, whole, den_text, num_text = m.groups()
    value, den, num = parse_whole(whole), parse_whole(den_text), parse_whole(num_text)
    if value is None or den is None or num is None or den == 0:
        return m.group()
    return f"{'-' if sign else ''}{value}又{num}/{den}"


def _percent(m: re.Match[str]) -> str:
    sign, kind, neg, a, to, neg2, b = m.groups()
    first = _value(a)
    if first is None:
        return m.group()
    mark = "%" if kind == "百" else "‰"
    lead = {"正负": "±"}.get(sign or "", "-" if sign or neg else "")
    text = f"{lead}{format_spoken(first)}"
    if to and b:
        second = _value(b)
        if second is None:
            return m.group()
        text += f"~{'-' if neg2 else ''}{format_spoken(second)}"
    return text + mark


FRACTION_RULES: list[Rule] = [(_MIXED, _mixed), (_FRACTION, _fraction), (_PERCENT, _percent)]

# --- times of day -----------------------------------------------------------------------------

_HOUR = "二十[一二三四]?|十[一二三四五六七八九]?|[零一二两兩三四五六七八九]"
_MIN = "[二三四五]十[一二三四五六七八九]?|十[一二三四五六七八九]?|零[一二三四五六七八九]|零零"
_TIME = re.compile(
    rf"(?<![{CN_NUM}点])({PERIODS})?({_HOUR})点过?"
    rf"(?:(半)|([一二两三])刻(?:钟)?|({_MIN})(分(?!之))?|([零一二三四五六七八九两])分(?![之钟]))"
    rf"(?:({_MIN}|[一二三四五六七八九])秒)?(?![{CN_NUM}])"
)
# 差五分三点, 三点差五分, 差一刻八点, 八点差一刻: minutes (or quarters) before the hour.
_BEFORE = rf"(?:({_MIN}|[一二三四五六七八九两])分(?:钟)?|([一三])刻(?:钟)?)"
_TIME_TO = re.compile(
    rf"(?<![{CN_NUM}点])({PERIODS})?(?:差{_BEFORE}({_HOUR})点(?:钟)?"
    rf"|({_HOUR})点(?:钟)?差{_BEFORE})(?![{CN_NUM}])"
)
# Words that make 八点零五 a time (without them 一点零五 is the decimal 1.05).
_TIME_CUE = re.compile(
    "闹钟|提醒|叫醒|叫我|起床|睡觉|出发|开会|会议|见面|集合|上班|下班|上课|下课|几点|时间|时候|"
    "准时|航班|登机|起飞|到达|降落|预约|定时|开始|结束|之前|以前|以后|之后|点钟|"
    "今天|明天|后天|昨天|今早|明早|今晚|明晚|早上|上午|下午|晚上|凌晨|中午|傍晚|"
    "[点分][零一二三四五六七八九十]+分|[0-9]:[0-9]"
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


def _zero_minute_is_time(m: re.Match[str], minute: str) -> bool:
    """八点零零 is a time; 八点零五 only with a time word nearby (闹钟, 明天, 出发…)."""
    return minute == "零零" or _TIME_CUE.search(m.string) is not None


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
        (minute.startswith("零") and (hour == 0 or not _zero_minute_is_time(m, minute)))
        or _UNIT_AHEAD.match(m.string, m.end())
    ):
        return m.group()  # 零点零五, 一点零一, 三点零五米: decimals
    if not 0 <= hour <= 24 or not 0 <= mins < 60:
        return m.group()
    text = f"{to_24h(period, hour)}:{mins:02d}"
    if sec:
        text += f":{_num(sec):02d}"
    return (period if period in KEEP_PERIODS else "") + text


def _time_to(m: re.Match[str]) -> str:
    """差五分三点 / 三点差五分 -> 2:55; 差一刻八点 -> 7:45."""
    period, before, quarter, h1, h2, before2, quarter2 = m.groups()
    hour = _num(h1 or h2)
    q = quarter or quarter2
    mins = 15 * _num(q) if q else _num(before or before2)
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

# a numeral after 三块五 that counts something else (三块五一斤): 五 is still the jiao
_MEASURES = "斤个件只瓶包袋盒份杯碗张本支箱两公"
_COUNTED = rf"[{CN_NUM}](?![{_MEASURES}])"
_COUNTING = re.compile(rf"[{CN_NUM}][{_MEASURES}]")
_MONEY = re.compile(
    rf"{_NB}({RUN})(块钱|块|元|圆)(钱)?"
    rf"(?:(零)?([{D}])(?:(毛|角)钱?(?:([{D}])分?钱?)?|(?!{UNIT_RE}|点|{_COUNTED})))?"
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
    if (d1 or fen) and m.string[m.end() : m.end() + 1] in _NUM_CHARS \
            and not _COUNTING.match(m.string, m.end()):
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
