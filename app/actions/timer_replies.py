"""What the timer handlers say, and the helpers they share: titles (披萨计时器), list lines,
the announcement when something goes off, the report of what was missed, a question asking
which one, and the guard that turns store failures into a friendly reply."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from app.actions.base import ActionError, ActionRequest, ActionResult, Handler
from app.actions.timer_store import Entry, Kind, StoreError
from app.actions.timer_text import format_clock, format_duration

log = logging.getLogger(__name__)
KIND_WORD = {Kind.TIMER: "计时器", Kind.ALARM: "闹钟", Kind.REMINDER: "提醒"}


def title(entry: Entry, several: bool = False) -> str:
    """披萨计时器; an unnamed timer is 计时器, or 5分钟的计时器 among several."""
    if entry.kind is Kind.TIMER:
        if entry.name:
            return f"{entry.name}计时器"
        return f"{format_duration(entry.duration)}的计时器" if several else "计时器"
    return KIND_WORD[entry.kind]


def left_text(entry: Entry, now: float, several: bool = False) -> str:
    """披萨计时器还剩3分20秒 / 计时器已暂停，还剩3分20秒."""
    name, left = title(entry, several), format_duration(max(0.0, entry.left(now)))
    return f"{name}已暂停，还剩{left}" if entry.paused else f"{name}还剩{left}"


def line(entry: Entry, now: float, several: bool = True) -> str:
    """One entry in a list: 披萨计时器还剩3分钟 / 明天7:00 / 明天15:00开会."""
    if entry.kind is Kind.TIMER:
        return left_text(entry, now, several)
    clock = format_clock(entry.end, now)
    return f"{clock}{entry.label}" if entry.kind is Kind.REMINDER else clock


def listing(entries: Sequence[Entry], now: float, kind: Kind) -> str:
    word = KIND_WORD[kind]
    if not entries:
        return f"现在没有{word}"
    if len(entries) == 1 and kind is Kind.TIMER:
        return left_text(entries[0], now)
    lines = "，".join(line(e, now) for e in entries)
    return f"你有{len(entries)}个{word}：{lines}"


def announcement(entry: Entry, now: float | None = None) -> str:
    """What Lingyin says when an entry goes off."""
    if entry.kind is Kind.TIMER:
        return f"{entry.name}计时器时间到了" if entry.name else "时间到了"
    if entry.kind is Kind.ALARM:
        return f"闹钟：{format_clock(entry.end, now or entry.end)}了"
    return f"提醒你：{entry.label}" if entry.label else "时间到了"


def missed_text(entries: Sequence[Entry], now: float) -> str | None:
    """The report at start of what went off while Lingyin was closed; None when nothing did."""
    if not entries:
        return None
    parts = []
    for entry in entries:
        clock = format_clock(entry.end, now)
        what = entry.label if entry.kind is Kind.REMINDER and entry.label else title(entry)
        parts.append(f"{clock}的{what}")
    return f"灵音关着的时候有{len(entries)}项到点了：" + "，".join(parts)


def slot_text(request: ActionRequest, name: str) -> str:
    value = request.slots.get(name)
    return "" if value is None else str(value).strip()


def ask_which(request: ActionRequest, verb: str, choices: Sequence[Entry],
              now: float) -> ActionResult:
    """你有2个计时器：披萨计时器还剩3分钟，烤鸡计时器还剩20分钟，要取消哪一个？ The answer comes
    back as a request of this domain whose context holds the pending action and the choices."""
    kind = choices[0].kind
    lines = "，".join(line(e, now) for e in choices)
    reply = f"你有{len(choices)}个{KIND_WORD[kind]}：{lines}，要{verb}哪一个？"
    context = {"pending": request.action, "slots": dict(request.slots),
               "choices": [e.id for e in choices], "asked": now}
    return ActionResult(False, reply=reply, expect_reply=True, context=context,
                        description=f"ask which {kind.value} to {request.action}")


def ask(question: str, context: dict[str, object] | None = None) -> ActionResult:
    return ActionResult(False, reply=question, expect_reply=True, context=context or {})


def guarded(handler: Handler) -> Handler:
    """Store failures (locked, unwritable) and ``ActionError`` become a friendly reply."""
    @functools.wraps(handler)
    def run(request: ActionRequest) -> ActionResult:
        try:
            return handler(request)
        except ActionError as exc:
            return ActionResult.failed(exc.reply, str(exc))
        except StoreError as exc:
            log.warning("%s: %s", request.action, exc)
            return ActionResult.failed("计时器和闹钟暂时用不了，请稍后再试", str(exc))
    return run
