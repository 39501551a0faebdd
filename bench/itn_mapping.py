"""Mapping the written conventions of WeTextProcessing and cn2an to Lingyin's (docs/itn.md).

Each function takes the spoken input and a text written in the other library's convention (a
suite's expected output, or that library's own output) and rewrites it in Lingyin's convention.
Only notation changes; values never do. Where the other convention drops information Lingyin
keeps (which currency word, 千克 or 公斤), the spoken input decides.
"""

from __future__ import annotations

import re
from decimal import Decimal

# ---------------------------------------------------------------------------------------------
# shared: big numbers written with 万/亿/兆 are written out in full


_BIG = re.compile(r"(-?\d+(?:\.\d+)?)(?:兆(\d+))?(亿|万|兆)(\d*)(?:(万)(\d*))?")
_BIG_VALUE = {"兆": 10**12, "亿": 10**8, "万": 10**4}


def _fmt(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def expand_big(text: str) -> str:
    """``2000万`` -> ``20000000``; ``1亿2300`` -> ``100002300``; ``3~4万`` -> ``30000~40000``."""

    def one(m: re.Match[str]) -> str:
        head, _, unit, tail, unit2, tail2 = m.groups()
        value = Decimal(head) * _BIG_VALUE[unit]
        if unit2:
            value += Decimal(tail or 0) * 10**4 + Decimal(tail2 or 0)
        elif tail:
            value += Decimal(tail)
        return _fmt(value)

    text = re.sub(
        r"(\d+(?:\.\d+)?)~(\d+(?:\.\d+)?)([万亿])",
        lambda m: f"{m.group(1)}{m.group(3)}~{m.group(2)}{m.group(3)}",
        text,
    )
    text = re.sub(
        r"(\d+)兆(\d*)万?(\d*)",
        lambda m: (
            _fmt(
                Decimal(m.group(1)) * 10**12
                + Decimal(m.group(2) or 0) * 10**4
                + Decimal(m.group(3) or 0)
            )
            if "万" in m.group()
            else m.group()
        ),
        text,
    )
    return _BIG.sub(one, text)


_TRAILING_ZEROS = re.compile(r"(?<![\d.])(\d+)\.(\d*?)0+(?![\d.])")


def neutral(text: str) -> str:
    """``text`` with the precision of decimals dropped (``1.0`` -> ``1``, ``0.50`` -> ``0.5``).

    Lingyin keeps the spoken precision (``一点零`` -> ``1.0``); cn2an drops it. Both sides of a
    comparison go through this, so a row is judged on its values, not on this convention.
    """
    return _TRAILING_ZEROS.sub(
        lambda m: m.group(1) + ("." + m.group(2) if m.group(2) else ""), text
    )


# ---------------------------------------------------------------------------------------------
# WeTextProcessing -> Lingyin

_WE_DATE = re.compile(r"(?<![\d/])(?:(\d{4}|\d{2})/)?(\d{2})/(\d{2})(?![\d/])")
_WE_YEAR_MONTH = re.compile(r"(?<![\d/])(\d{4})/(\d{2})(?![\d/])")
_WE_AMPM = re.compile(r"(\d{1,2}):(\d{2}(?::\d{2})?)([ap])\.m\.")
_WE_TIME0 = re.compile(r"(?<![\d.:])0(\d):(?=\d{2})")
_WE_TAIL_RANGE = re.compile(r"(?<![\d.])(\d+)-(\d+)(?![\d.])")
_CURRENCY = {
    "¥": "元", "CNY": "人民币", "$": "美元", "A$": "澳元", "HKD": "港元", "£": "英镑",
    "€": "欧元", "₽": "卢布", "TWD": "新台币", "RM": "马来西亚令吉", "US$": "美元",
}  # fmt: skip
_WE_MONEY = re.compile(r"(A\$|US\$|HKD|CNY|TWD|RM|[¥$£€₽])(\d+(?:\.\d+)?(?:~\d+(?:\.\d+)?)?)")
_UNITS: dict[str, tuple[str, ...]] = {
    "km/h": ("公里", "千米"),
    "kwh": ("千瓦时",),
    "kg": ("千克", "公斤"),
    "km": ("公里", "千米"),
    "mol": ("摩尔",),
    "min": ("分钟",),
    "ms": ("毫秒",),
    "m²": ("平方米",),
    "°C": ("摄氏度",),
    "Wv": ("万伏特",),
    "g": ("克",),
    "s": ("秒",),
    "°": ("度",),
}
_WE_UNIT = re.compile(r"(?<=[\d~])(" + "|".join(re.escape(u) for u in _UNITS) + r")(?![A-Za-z])")


def _spoken_unit(spoken: str, unit: str) -> str:
    for word in _UNITS[unit]:
        if word in spoken:
            return word
    return _UNITS[unit][0]


def _we_unit(spoken: str, m: re.Match[str]) -> str:
    unit = m.group(1)
    if unit == "°C":
        return "℃"
    return _spoken_unit(spoken, unit)


def _we_speed(spoken: str, m: re.Match[str]) -> str:
    word = _spoken_unit(spoken, "km/h")
    if 0 <= spoken.find("每小时") < spoken.find(word):
        return f"每小时{m.group(1)}{word}"
    return f"{m.group(1)}{word}每小时"


def _we_tail(m: re.Match[str]) -> str:
    lo, tail = m.group(1), m.group(2)
    if len(tail) > len(lo):
        return m.group()
    scale = 10 ** len(tail)
    hi = int(lo) // scale * scale + int(tail)
    if hi <= int(lo):
        hi += scale
    return f"{lo}~{hi}"


def _we_date(m: re.Match[str]) -> str:
    year, month, day = m.groups()
    if year is None and not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return m.group()
    head = f"{year}年" if year else ""
    return f"{head}{int(month)}月{int(day)}日"


def _we_ampm(m: re.Match[str]) -> str:
    hour = int(m.group(1))
    if m.group(3) == "p" and hour < 12:
        hour += 12
    return f"{hour}:{m.group(2)}"


def _we_money(spoken: str, m: re.Match[str]) -> str:
    symbol, amount = m.groups()
    word = _CURRENCY[symbol]
    if symbol == "¥" and "元" not in spoken and "块" in spoken:
        word = "元"
    if "~" in amount:
        return f"{amount}{word}"
    return f"{amount}{word}"


def from_wetext(spoken: str, written: str) -> str:
    """WeTextProcessing's convention (default configuration) rewritten in Lingyin's."""
    text = _WE_TAIL_RANGE.sub(_we_tail, written)
    text = _WE_AMPM.sub(_we_ampm, text)
    text = _WE_TIME0.sub(r"\1:", text)
    text = _WE_DATE.sub(_we_date, text)
    text = _WE_YEAR_MONTH.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月", text)
    text = _WE_MONEY.sub(lambda m: _we_money(spoken, m), text)
    text = re.sub(r"([\d.~]+)km/h", lambda m: _we_speed(spoken, m), text)
    text = _WE_UNIT.sub(lambda m: _we_unit(spoken, m), text)
    text = _yuan(text)
    return expand_big(text)


# ---------------------------------------------------------------------------------------------
# cn2an -> Lingyin

_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_YUAN_WORDS = re.compile(r"[元圆](?:.*?([整正])$)?")


def _yuan(text: str) -> str:
    """Yuan amounts: ``12块5毛`` -> ``12.5元``, ``100块钱`` -> ``100元``."""

    def one(m: re.Match[str]) -> str:
        yuan, unit, qian, jiao, fen = m.groups()
        if unit == "块" and not (qian or jiao or fen):
            return m.group()
        value = Decimal(yuan) + Decimal(jiao or 0) / 10 + Decimal(fen or 0) / 100
        return _fmt(value) + "元"

    return re.sub(
        r"(\d+(?:\.\d+)?)(块|元|圆)(钱)?(?:(\d)(?:[毛角]钱?)?)?(?:(\d)分钱?)?(?![\d.])", one, text
    )


def from_cn2an(spoken: str, written: str) -> str:
    """cn2an's convention rewritten in Lingyin's.

    cn2an's number mode drops a trailing currency unit (``壹拾壹元整`` -> ``11``); Lingyin
    keeps it as ``11元整``. Money ``3块5`` is ``3.5元``; 万/亿 are written out in full.
    """
    text = written
    unit = _YUAN_WORDS.search(spoken)
    if unit and _PLAIN_NUMBER.fullmatch(text):
        text += "元" + (unit.group(1) or "")
    text = _yuan(text)
    return expand_big(text)
