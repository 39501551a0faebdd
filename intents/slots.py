"""Slot types, and the spoken forms of numbers that range slots accept.

A range slot lists its values' spoken forms (30 → 三十; 2 → 二 and 两; 120 → 一百二十 and 一百二),
so a matcher or a decoding graph can carry the value back without parsing; it also accepts the
digits an inverse text normaliser writes (30, 30%).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

MAX_RANGE_VALUES = 20_000
DIGIT_NAMES = "零一二三四五六七八九"
# Characters read as one digit inside a digit string (phone numbers, codes).
DIGIT_CHARS: dict[str, str] = {
    **{c: str(i) for i, c in enumerate(DIGIT_NAMES)},
    **{str(i): str(i) for i in range(10)},
    "〇": "0", "洞": "0", "幺": "1", "两": "2", "拐": "7",
}  # fmt: skip
_UNIT_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "%": (("百分之",), ("%", "％")),
    "度": ((), ("度", "°", "℃", "°C", "摄氏度")),
    "°C": ((), ("度", "°", "℃", "°C", "摄氏度")),
    "℃": ((), ("度", "°", "℃", "°C", "摄氏度")),
}


@dataclass(frozen=True)
class ListValue:
    spoken: str
    value: object

    def __post_init__(self) -> None:
        if not self.spoken.strip():
            raise ValueError("a list value needs a spoken form")


@dataclass(frozen=True)
class ListSlot:
    values: tuple[ListValue, ...]
    source: str | None = None  # the list file's name when the values came from one


@dataclass(frozen=True)
class RangeSlot:
    start: int | float
    stop: int | float
    step: int | float = 1
    unit: str = ""
    values_cache: tuple[int | float, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.step <= 0:
            raise ValueError(f"the step must be positive, got {self.step}")
        if self.stop < self.start:
            raise ValueError(f"the range is empty: {self.start} is above {self.stop}")
        count = int((Decimal(str(self.stop)) - Decimal(str(self.start)))
                    / Decimal(str(self.step))) + 1
        if count > MAX_RANGE_VALUES:
            raise ValueError(f"the range has {count} values, at most {MAX_RANGE_VALUES}")

    def values(self) -> list[int | float]:
        start, step = Decimal(str(self.start)), Decimal(str(self.step))
        stop = Decimal(str(self.stop))
        out: list[int | float] = []
        value = start
        while value <= stop:  # whole values as int (29, not 29.0), halves as float (29.5)
            out.append(int(value) if value == value.to_integral_value() else float(value))
            value += step
        return out

    def suffixes(self) -> tuple[str, ...]:
        """How the unit is written after a number (度, °, ℃…; % for percentages)."""
        return _UNIT_WORDS.get(self.unit, ((), (self.unit,) if self.unit else ()))[1]

    def forms(self) -> list[tuple[str, int | float]]:
        """Every (written or spoken form, value) pair, with and without the unit."""
        prefixes, suffixes = _UNIT_WORDS.get(self.unit, ((), (self.unit,) if self.unit else ()))
        out: list[tuple[str, int | float]] = []
        for value in self.values():
            bare = [*spoken_number(value), format_number(value)]
            for text in bare:
                out.append((text, value))
                out.extend((p + text, value) for p in prefixes)
                out.extend((text + s, value) for s in suffixes)
        return out


@dataclass(frozen=True)
class DigitsSlot:
    """Digits spoken one by one (幺三八…); the value is the digit string."""

    min_len: int
    max_len: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_len <= self.max_len:
            raise ValueError(f"digit lengths need 1 <= min <= max, got {self.min_len}, "
                             f"{self.max_len}")


@dataclass(frozen=True)
class WildcardSlot:
    """Free text; the value is the text as heard. ``max_chars`` (0: no limit) bounds it: a song
    title or an alarm time is a few words, never a whole news sentence."""

    max_chars: int = 0

    def fits(self, text: str) -> bool:
        return not self.max_chars or len(text) <= self.max_chars


Slot = ListSlot | RangeSlot | DigitsSlot | WildcardSlot


def format_number(value: int | float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return format(Decimal(str(value)).normalize(), "f")


def _section(n: int, liang: bool, yi_shi: bool) -> str:
    """0 < n < 10000 in characters; ``liang`` reads a leading 2 before 百/千 as 两."""
    out, zero = "", False
    for size, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // size % 10
        if d == 0:
            zero = zero or bool(out)
            continue
        if zero:
            out, zero = out + "零", False
        if d == 1 and unit == "十" and not out and not yi_shi:
            out += "十"
        elif d == 2 and liang and not out and unit in "千百":
            out += "两" + unit
        else:
            out += DIGIT_NAMES[d] + unit
    return out


def _cardinal(n: int, liang: bool, yi_shi: bool) -> str:
    if n == 0:
        return "零"
    if n < 10_000:
        return _section(n, liang, yi_shi)
    high, low = divmod(n, 10_000)
    head = "两" if high == 2 and liang else _section(high, liang, yi_shi)
    if low == 0:
        return head + "万"
    tail = _section(low, False, True)
    return head + "万" + ("零" if low < 1000 else "") + tail


def _abbreviated(n: int, liang: bool) -> str | None:
    """120 → 一百二, 3500 → 三千五, 25000 → 两万五 (the unit after the last digit left out)."""
    for size, unit in ((10_000, "万"), (1000, "千"), (100, "百")):
        if n >= size and n < 10 * size and n % (size // 10) == 0 and n % size:
            head, rest = divmod(n, size)
            first = "两" if head == 2 and liang else DIGIT_NAMES[head]
            return first + unit + DIGIT_NAMES[rest // (size // 10)]
    return None


def spoken_integer(n: int) -> list[str]:
    """Spoken forms of a whole number, the usual one first (2 → 二, 两)."""
    if n < 0:
        return [p + s for s in spoken_integer(-n) for p in ("负", "零下")]
    if n >= 10**8:
        return [str(n)]
    forms = [_cardinal(n, False, False)]
    for liang, yi_shi in ((True, False), (False, True)):
        forms.append(_cardinal(n, liang, yi_shi))
    for liang in (False, True):
        short = _abbreviated(n, liang)
        if short:
            forms.append(short)
    if n == 2:
        forms.append("两")
    return list(dict.fromkeys(forms))


def spoken_number(value: int | float) -> list[str]:
    """Spoken forms of ``value``; decimals read their digits after 点 (26.5 → 二十六点五)."""
    if isinstance(value, int) or float(value).is_integer():
        return spoken_integer(int(value))
    text = format_number(value)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, frac = text.partition(".")
    tail = "点" + "".join(DIGIT_NAMES[int(d)] for d in frac)
    heads = spoken_integer(-int(whole) if sign else int(whole))
    if sign and int(whole) == 0:
        heads = ["负零", "零下零"]
    return [h + tail for h in heads]
