"""Parsing runs of Chinese numerals into values, and writing values as digits.

A run is what :data:`intents.itn.chars.RUN` matches: Chinese numerals, optionally with Arabic
digits mixed in (``100万三千``) and a decimal part (``三点一四``, ``二十点一万``). Cardinals,
abbreviated cardinals (``一百二`` = 120, ``三万五`` = 35000) and digit strings (``幺三八``) are
recognised; :func:`render_run` splits a run greedily into numbers and writes each as digits.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from intents.itn.chars import BIG_UNITS, DIGITS, SMALL_UNITS, TENS

Tok = tuple[str, int, str]  # kind ('d' digit, 'u' small unit, 'b' big unit, 't' tens, 'a' arabic)

_KIND: dict[str, tuple[str, int]] = {}
_KIND.update({c: ("d", v) for c, v in DIGITS.items()})
_KIND.update({c: ("u", v) for c, v in SMALL_UNITS.items()})
_KIND.update({c: ("b", v) for c, v in BIG_UNITS.items()})
_KIND.update({c: ("t", v) for c, v in TENS.items()})


def tokenize(text: str) -> list[Tok] | None:
    """Numeral tokens of ``text``; None when a character is not a numeral."""
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        kv = _KIND.get(c)
        if kv is not None:
            toks.append((kv[0], kv[1], c))
            i += 1
        elif c.isascii() and c.isdigit():
            j = i
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            toks.append(("a", int(text[i:j]), text[i:j]))
            i = j
        else:
            return None
    return toks


def _is_zero(toks: list[Tok], i: int) -> bool:
    return i < len(toks) and toks[i][0] == "d" and toks[i][1] == 0


def _section(toks: list[Tok], i: int) -> tuple[int, int, bool] | None:
    """A number below 10^4 at ``i``: (value, end, ended_abbreviated) or None."""
    n, j, val, last, zero, started = len(toks), i, 0, 10**4, False, False
    while j < n:
        kind, v, _ = toks[j]
        nxt = toks[j + 1] if j + 1 < n else None
        if kind == "d" and v == 0:
            if not started or zero or last == 10:
                break
            zero, j = True, j + 1
        elif kind == "d" or (kind == "a" and not started):
            if nxt is not None and nxt[0] == "u" and nxt[1] < last and (kind == "d" or v < 10):
                val, last, j, zero, started = val + v * nxt[1], nxt[1], j + 2, False, True
                continue
            if nxt is not None and nxt[0] == "t":
                break
            if not started:
                return v, j + 1, False
            if zero or last == 10 or kind == "a":
                return val + v, j + 1, False
            return val + v * last // 10, j + 1, True
        elif kind == "a":
            if v >= last:
                break
            return val + v, j + 1, False
        elif kind == "u" and v == 10 and last > 10 and (not started or zero or last == 100):
            val, last, j, zero, started = val + 10, 10, j + 1, False, True
        elif kind == "t" and last > 10 and not started:
            val, last, j, started = v, 10, j + 1, True
        else:
            break
    if not started:
        return None
    return val, j - 1 if zero else j, False


def _level(toks: list[Tok], i: int, big: int) -> tuple[int, int] | None:
    """A number below ``big * 10^4`` (big = 1 for a section, 10^4 for 万, 10^8 for 亿)."""
    if big == 1:
        sec = _section(toks, i)
        return None if sec is None else (sec[0], sec[1])
    lower = {10**4: 1, 10**8: 10**4, 10**12: 10**8}[big]
    head = _level(toks, i, lower)
    if head is None:
        return None
    val, j = head
    if not (j < len(toks) and toks[j][0] == "b" and toks[j][1] == big):
        return head
    val, j = val * big, j + 1
    zero = _is_zero(toks, j)
    tail_at = j + 1 if zero else j
    tail = _level(toks, tail_at, lower)
    if tail is None:
        return val, j
    tval, tj = tail
    if not zero and tj == tail_at + 1 and toks[tail_at][0] == "d":
        if tj < len(toks) and toks[tj][0] == "d":
            return val, j
        tval *= big // 10  # 三万五 = 35000
    return val + tval, tj


def parse_int(toks: list[Tok], i: int = 0) -> tuple[int, int] | None:
    """The longest cardinal at ``toks[i]``: (value, end) or None."""
    return _level(toks, i, 10**12)


def digit_string(toks: list[Tok], i: int) -> int:
    """End of the run of plain digits starting at ``i``."""
    j = i
    while j < len(toks) and toks[j][0] == "d":
        j += 1
    return j


def _digits_text(toks: list[Tok], i: int, j: int) -> str:
    return "".join(str(t[1]) for t in toks[i:j])


def _is_digit_string(toks: list[Tok], i: int) -> bool:
    if toks[i][0] != "d":
        return False
    if i + 1 >= len(toks):
        return True
    nxt = toks[i + 1][0]
    return nxt == "d" or (nxt == "a" and toks[i][1] == 0)


def format_decimal(value: Decimal) -> str:
    """Digits of a decimal with no exponent and no trailing zeros (``0.50`` -> ``0.5``)."""
    if value == value.to_integral_value():
        return str(int(value))
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_spoken(value: Decimal) -> str:
    """Digits of a decimal with the precision it was spoken with (``一点零`` -> ``1.0``)."""
    return format(value, "f")


def render_run(run: str) -> str | None:
    """``run`` with every number in it written as digits; None when nothing is a number."""
    if "点" in run or "." in run:
        value = parse_decimal(run)
        return None if value is None else format_spoken(value)
    toks = tokenize(run)
    if toks is None:
        return None
    out: list[str] = []
    i, changed = 0, False
    while i < len(toks):
        if _is_digit_string(toks, i):
            j = digit_string(toks, i)
            out.append(_digits_text(toks, i, j))
            i, changed = j, True
            continue
        parsed = parse_int(toks, i)
        if parsed is None or (toks[i][0] == "a" and parsed[1] == i + 1):
            out.append(toks[i][2])
            i += 1
            continue
        out.append(str(parsed[0]))
        i, changed = parsed[1], True
    return "".join(out) if changed else None


def parse_whole(text: str) -> Decimal | None:
    """The value of ``text`` when all of it is one integer (cardinal, digit string, Arabic)."""
    if text[:1].isascii() and "." in text.split("万")[0].split("亿")[0]:
        return _arabic_scaled(text)
    toks = tokenize(text)
    if not toks:
        return None
    if _is_digit_string(toks, 0):
        j = digit_string(toks, 0)
        return Decimal(_digits_text(toks, 0, j)) if j == len(toks) else None
    parsed = parse_int(toks, 0)
    if parsed is None or parsed[1] != len(toks):
        return None
    return Decimal(parsed[0])


def _arabic_scaled(text: str) -> Decimal | None:
    """``10.1万`` / ``2.5亿``: an Arabic decimal scaled by one big unit, nothing after."""
    unit = BIG_UNITS.get(text[-1:])
    if unit is None:
        return None
    try:
        return scaled(Decimal(text[:-1]), unit)
    except InvalidOperation:
        return None


def parse_decimal(text: str) -> Decimal | None:
    """The value of ``text`` when all of it is one number, with an optional 点 decimal part
    and an optional trailing 万/亿 scale after the decimal (``二十点一万``). The value keeps
    the spoken precision (``一点零`` is ``Decimal('1.0')``) unless it is scaled."""
    whole, point, frac = text.partition("点")
    if not point:
        return parse_whole(text)
    scale = 1
    if frac[-1:] in BIG_UNITS:
        scale, frac = BIG_UNITS[frac[-1]], frac[:-1]
    int_part = parse_whole(whole) if whole else None
    if int_part is None or not frac:
        return None
    digits = []
    for c in frac:
        if c in DIGITS:
            digits.append(str(DIGITS[c]))
        elif c.isascii() and c.isdigit():
            digits.append(c)
        else:
            return None
    value = int_part + Decimal("0." + "".join(digits))
    if scale == 1:
        return value
    return scaled(value, scale)


def scaled(value: Decimal, scale: int) -> Decimal:
    """``value * scale`` with no spoken precision left (``2.5`` x 10^4 is ``25000``)."""
    value *= scale
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
