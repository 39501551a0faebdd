"""Approximate ranges (三四万), halves (一个半小时), every remaining number, and the last touches
on the written text (ranges with ~, arithmetic signs, ℃, dates with 日)."""

from __future__ import annotations

import re

from intents.itn.chars import CN_NUM, D_PLAIN, RUN, UNIT_RE, D
from intents.itn.numbers import (
    format_decimal,
    parse_decimal,
    parse_int,
    parse_whole,
    render_run,
    tokenize,
)
from intents.itn.rules import Rule

_UNIT_AHEAD = re.compile(rf"(?:{UNIT_RE})")
_NUM_AHEAD = re.compile(rf"(?:负|零下)?[{CN_NUM}0-9]")

# --- approximate numbers: 三四万, 五六十, 十五六, 七百三四十, 一万六七 ---------------------

_APPROX = re.compile(
    rf"(?<![{CN_NUM}0-9点])([{CN_NUM}]*[十百千万])?([一两二三四五六七八九])([一两二三四五六七八九])"
    r"(十万|十亿|百万|千万|十|百|千(?![克米瓦])|万|亿)?"
    rf"(?!(?!千[克米瓦])[{CN_NUM}点])"
)
_SMALL = {"十": 10, "百": 100, "千": 1000, "万": 1, "亿": 1}
_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def _approx(m: re.Match[str]) -> str:
    pre, a, b, mag = m.groups()
    da, db = _DIGIT[a], _DIGIT[b]
    if not (db == da + 1 or (da, db) == (3, 5)):
        return m.group()
    nxt = m.string[m.end() :]
    if not pre and not mag and (not _UNIT_AHEAD.match(nxt) or nxt.startswith(("年", "点"))):
        return m.group()
    base, step, big = 0, 1, 1
    if pre:
        toks = tokenize(pre)
        parsed = parse_int(toks, 0) if toks else None
        if parsed is None or parsed[1] != len(toks or ()):
            return m.group()
        base = parsed[0]
        step = 1000 if pre[-1] == "万" else _SMALL[pre[-1]] // 10
    if mag:
        step = _SMALL[mag[0]]
        big = {"万": 10**4, "亿": 10**8}.get(mag[-1], 1)
        if mag in ("百万", "千万"):
            step, big = _SMALL[mag[0]], 10**4
    lo, hi = (base + da * step) * big, (base + db * step) * big
    return f"{lo}~{hi}"


# --- halves -----------------------------------------------------------------------------------

_HALF_AFTER_GE = re.compile(rf"({RUN})个半(小时|钟头|月|星期|礼拜|多?月)")
_HALF_AFTER_UNIT = re.compile(
    rf"({RUN})(年|天|周|小时|钟头|分钟|斤|公斤|千克|克|公里|千米|里|米|岁|倍|度|摄氏度|升|毫升|圈|码)半"
    rf"(?![{CN_NUM}])"
)
_HALF_YUAN = re.compile(rf"({RUN})块半(钱)?(?![{CN_NUM}])")
# Body and room temperatures with a tenth after 度: 三十六度五 -> 36.5度.
_DEGREE_TENTH = re.compile(
    rf"(?<![{CN_NUM}点])({RUN})度([一二三四五六七八九])(?![{CN_NUM}点]|{UNIT_RE})"
)
# 零 joining two quantities (一年零三个月, 两小时零五秒) is a word, not a leading zero.
_UNIT_BEHIND = re.compile(rf"(?:{UNIT_RE})$")
_HALF_MINUTE = re.compile(rf"({RUN})分半钟?")
_HEIGHT = re.compile(
    rf"(?<![{CN_NUM}])([一两二三])米([一二三四五六七八九])([零一二三四五六七八九])?"
    rf"(?![{CN_NUM}]|{UNIT_RE})"
)
_GENERATION = re.compile(rf"(?<![{CN_NUM}])([零一五六七八九])零后")
_HALF_ALONE = re.compile(
    rf"(?<![{CN_NUM}0-9一])(?<![{CN_NUM}0-9]个)半(个)?(小时|钟头|月|天|年|斤|公斤|公里|杯|分钟|场|程)"
)


def _half(m: re.Match[str]) -> str:
    value = parse_decimal(m.group(1))
    if value is None:
        return m.group()
    unit = m.group(2) if m.lastindex and m.lastindex >= 2 else "分钟"
    if unit == "月":
        unit = "个月"
    return f"{format_decimal(value)}.5{unit}"


def _half_yuan(m: re.Match[str]) -> str:
    value = parse_decimal(m.group(1))
    return m.group() if value is None else f"{format_decimal(value)}.5元"


def _degree_tenth(m: re.Match[str]) -> str:
    value = parse_whole(m.group(1))
    return m.group() if value is None else f"{value}.{_DIGIT[m.group(2)]}度"


def _height(m: re.Match[str]) -> str:
    metres, d1, d2 = m.groups()
    cm = _DIGIT[d1] * 10 + (_DIGIT[d2] if d2 else 0)
    return f"{_DIGIT[metres]}.{cm:02d}".rstrip("0") + "米"


def _half_alone(m: re.Match[str]) -> str:
    ge, unit = m.groups()
    if unit in ("场", "程"):
        return m.group()  # 半场, 半程 are words
    return f"0.5{ge if ge and unit == '月' else ''}{unit}"


# --- every remaining number -------------------------------------------------------------------

_NUMBER = re.compile(rf"(负的?|零下|正负)?({RUN})")
_SINGLE = frozenset(D_PLAIN + "兩十")
_DIGIT_CHARS = frozenset(D)
_LIANG_BEFORE = frozenset(D.replace("两", "").replace("兩", "") + "十拾")
_COPULA = frozenset("是为于加减到成调设")
_FORMAL = frozenset("壹贰貳叁肆柒捌玖拾")
_OPS = "加上?|减去?|乘以?|除以|等于|比"
_OP_AFTER = re.compile(rf"(?:{_OPS})(?:负)?[{CN_NUM}0-9]")
_OP_BEFORE = re.compile(rf"[{CN_NUM}0-9](?:{_OPS})(?:负)?$")


def _word_char(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\ue000" <= c <= "\uf8ff"


def _short_allowed(m: re.Match[str], num: str) -> bool:
    """Whether a lone digit (or a two-digit string) is a number here, not part of a word."""
    text, start, end = m.string, m.start(2), m.end()
    prev = text[start - 1] if start else ""
    nxt = text[end : end + 2]
    if not set(num) <= _SINGLE:  # financial forms (陆, 伍) are words unless they stand alone
        if set(num) <= _FORMAL and _UNIT_AHEAD.match(text, end):
            return True
        return not (prev and _word_char(prev)) and not (nxt and _word_char(nxt[0]))
    if m.group(1) or prev == "第":
        return True
    if _OP_AFTER.match(text, end) or _OP_BEFORE.search(text, max(0, start - 4), start):
        return True
    if nxt.startswith("点"):
        return num != "一" or nxt == "点钟"
    if _UNIT_AHEAD.match(text, end) or (
        nxt[:1] in ("到", "至") and _NUM_AHEAD.match(text, end + 1)
    ):
        return True
    if num == "十" and nxt[:1] in ("多", "余", "来"):
        return True
    if prev in ("到", "至") and start >= 2 and not _word_char(text[start - 2]):
        return True
    after = nxt[:1]
    if not (after and _word_char(after)):
        return not (prev and _word_char(prev)) or prev in _COPULA
    return False


def _liang(m: re.Match[str], num: str) -> str | None:
    """两 after a digit or 十: the weight liang (二两 -> 2两, 三十两 -> 30两), or before a
    classifier the vague "a few" (三两个人), which stays spoken. None when 两 is not last."""
    if len(num) < 2 or num[-1] != "两" or num[-2] not in _LIANG_BEFORE:
        return None
    if _UNIT_AHEAD.match(m.string, m.end()):
        return m.group()
    written = render_run(num[:-1])
    return m.group() if written is None else m.group()[: -len(num)] + written + "两"


def _joins_quantities(m: re.Match[str], num: str) -> bool:
    """零 after one quantity and before another (一年零三个月): a joining word."""
    start = m.start(2)
    return (
        len(num) > 1
        and num[0] == "零"
        and num[1] not in "零〇点點"  # 零点三 is a decimal (厚度零点三毫米)
        and not m.group(1)
        and _UNIT_BEHIND.search(m.string, max(0, start - 4), start) is not None
        and _UNIT_AHEAD.match(m.string, m.end()) is not None
    )


def _number(m: re.Match[str]) -> str:
    sign, num = m.groups()
    short = len(num) == 1 or (len(num) == 2 and set(num) <= _DIGIT_CHARS)
    liang = _liang(m, num)
    if liang is not None:
        return liang
    if _joins_quantities(m, num):
        written = render_run(num[1:])
        return m.group() if written is None else "零" + written
    if num[0] in "两兩" and m.start(2) and m.string[m.start(2) - 1].isdigit():
        return m.group()  # 2两: already written
    if short and not _short_allowed(m, num):
        return m.group()
    written = render_run(num)
    if written is None:
        return m.group()
    lead = {"正负": "±"}.get(sign or "", "-" if sign else "")
    return lead + written


# --- final touches on written numbers ---------------------------------------------------------

_RANGE_TO = re.compile(r"(?<=[0-9%])[到至](?=[-0-9])")
_MATH = re.compile(r"(?<=[0-9])(加上|加|减去|减|乘以|乘|除以|等于|比)(?=[-±0-9])")
_MATH_SIGN = {
    "加": "+", "加上": "+", "减": "-", "减去": "-", "乘": "×", "乘以": "×",
    "除以": "÷", "等于": "=", "比": ":",
}  # fmt: skip
_SAME_UNIT_RANGE = re.compile(
    rf"(-?[0-9]+(?:\.[0-9]+)?)({UNIT_RE}|℃|%|‰)[到至](-?[0-9]+(?:\.[0-9]+)?)\2(?![0-9])"
)
_YI = re.compile(rf"({RUN})个(亿)")
_CELSIUS = re.compile(r"(?<=[0-9])(摄氏度|华氏度)|摄氏(-?[0-9.]+)度")
_DAY_HAO = re.compile(r"(?<=[0-9]月)([0-9]{1,2})号")


def _celsius(m: re.Match[str]) -> str:
    if m.group(2):
        return m.group(2) + "℃"
    return "℃" if m.group(1) == "摄氏度" else "℉"


NUMBER_RULES: list[Rule] = [
    (_APPROX, _approx),
    (_YI, lambda m: m.group() if (w := render_run(m.group(1) + "亿")) is None else w),
    (_HALF_AFTER_GE, _half),
    (_HALF_AFTER_UNIT, _half),
    (_HALF_YUAN, _half_yuan),
    (_DEGREE_TENTH, _degree_tenth),
    (_HALF_MINUTE, lambda m: _half(m) if m.lastindex == 1 else m.group()),
    (_HEIGHT, _height),
    (_GENERATION, lambda m: f"{_DIGIT[m.group(1)]}0后"),
    (_HALF_ALONE, _half_alone),
    (_NUMBER, _number),
]
FINAL_RULES: list[Rule] = [
    (_RANGE_TO, lambda m: "~"),
    (_SAME_UNIT_RANGE, lambda m: f"{m.group(1)}~{m.group(3)}{m.group(2)}"),
    (_MATH, lambda m: _MATH_SIGN[m.group(1)]),
    (_CELSIUS, _celsius),
    (_DAY_HAO, lambda m: m.group(1) + "日"),
]
