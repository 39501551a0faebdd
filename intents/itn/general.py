"""Approximate ranges (三四万), halves (一个半小时), every remaining number, and the last touches
on the written text (ranges with ~, arithmetic signs, ℃, dates with 日)."""

from __future__ import annotations

import re

from intents.itn.chars import CN_NUM, D_PLAIN, RUN, UNIT_RE, D
from intents.itn.numbers import format_decimal, parse_decimal, parse_int, render_run, tokenize
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
_HALF_AFTER_UNIT = re.compile(rf"({RUN})(年|天|周|小时|钟头|分钟|斤|公斤|公里|米|岁|倍)半")
_HALF_MINUTE = re.compile(rf"({RUN})分半钟?")
_HEIGHT = re.compile(
    rf"(?<![{CN_NUM}])([一两二三])米([一二三四五六七八九])([零一二三四五六七八九])?"
    rf"(?![{CN_NUM}]|{UNIT_RE})"
)
_GENERATION = re.compile(rf"(?<![{CN_NUM}])([零一五六七八九])零后")
_HALF_ALONE = re.compile(
    rf"(?<![{CN_NUM}个0-9一])半(个)?(小时|钟头|月|天|年|斤|公斤|公里|杯|分钟|场|程)"
)


def _half(m: re.Match[str]) -> str:
    value = parse_decimal(m.group(1))
    if value is None:
        return m.group()
    unit = m.group(2) if m.lastindex and m.lastindex >= 2 else "分钟"
    if unit == "月":
        unit = "个月"
    return f"{format_decimal(value)}.5{unit}"


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
_SINGLE = frozenset(D_PLAIN + "十")
_DIGIT_CHARS = frozenset(D)
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


def _number(m: re.Match[str]) -> str:
    sign, num = m.groups()
    short = len(num) == 1 or (len(num) == 2 and set(num) <= _DIGIT_CHARS)
    if short and not _short_allowed(m, num):
        return m.group()
    if len(num) >= 2 and num[-1] == "两" and num[-2] in _DIGIT_CHARS and num[-2] != "两":
        written = render_run(num[:-1])  # 二两: 两 is the weight unit
        return m.group() if written is None else m.group()[: -len(num)] + written + "两"
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
