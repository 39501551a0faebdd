"""Alarms and reminders: ``alarm.set/list/cancel`` and ``reminder.create/list/cancel``.

The ``time`` slot is free text (明天早上七点, 七点半, 十分钟后), read by ``timer_text.read_when``;
a reminder's time may lead its event text (提醒我明天下午三点开会). Alarms and reminders go off
once (no repeats yet); a reminder given only a day (明天交报告) goes off at 9:00 that day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

from app.actions.base import ActionRequest, ActionResult, Handler
from app.actions.scheduler import Clock
from app.actions.timer_replies import KIND_WORD, ask, ask_which, guarded, listing, slot_text
from app.actions.timer_store import Entry, Kind, TimerStore
from app.actions.timer_text import DEFAULT_HOUR, When, format_clock, read_when, split_event

_STOP_RINGING = re.compile("别响|不要响|吵死|(闹钟|闹铃)停")
_SAME_ALARM = 30.0  # seconds: two alarms this close are the same alarm


class AlarmHandlers:
    def __init__(self, store: TimerStore, clock: Clock, changed: Callable[[], None]) -> None:
        self.store = store
        self.clock = clock
        self.changed = changed

    def handlers(self) -> Mapping[str, Handler]:
        own: dict[str, Handler] = {
            "alarm.set": self.alarm_set, "alarm.list": self.alarm_list,
            "alarm.cancel": self.alarm_cancel, "reminder.create": self.reminder_create,
            "reminder.list": self.reminder_list, "reminder.cancel": self.reminder_cancel,
        }
        return {k: guarded(v) for k, v in own.items()}

    def _of(self, kind: Kind) -> list[Entry]:
        return [e for e in self.store.entries() if e.kind is kind]

    def _when(self, text: str, what: str) -> When | ActionResult:
        when = read_when(text, datetime.fromtimestamp(self.clock()).date())
        if when is None:
            return ActionResult.failed(f"没听懂{what}的时间“{text}”，可以说比如“明天早上7点”",
                                       f"cannot read the time {text!r}")
        return when

    # alarms ----------------------------------------------------------------------------------
    def alarm_set(self, request: ActionRequest) -> ActionResult:
        text = slot_text(request, "time")
        if not text:
            return ask("闹钟定在几点？", {"pending": request.action})
        when = self._when(text, "闹钟")
        if isinstance(when, ActionResult):
            return when
        now = self.clock()
        end = when.resolve(now)
        if end is None:
            return ask(f"{text}几点？", {"pending": request.action})
        clock = format_clock(end, now)
        if end <= now:
            return ActionResult.failed(f"{clock}已经过了", f"{text!r} is in the past")
        if request.dry_run:
            return ActionResult.dry(f"定一个{clock}的闹钟")
        entry = Entry.new(Kind.ALARM, end, now, label=text)

        def change(entries: list[Entry]) -> tuple[list[Entry] | None, bool]:
            if any(e.kind is Kind.ALARM and abs(e.end - end) < _SAME_ALARM for e in entries):
                return None, False
            return [*entries, entry], True

        if not self.store.mutate(change):
            return ActionResult(False, reply=f"{clock}已经有一个闹钟了")
        self.changed()
        return ActionResult(True, reply=f"好的，闹钟定在{clock}", values={"time": clock})

    def alarm_list(self, request: ActionRequest) -> ActionResult:
        if request.dry_run:
            return ActionResult.dry("查看闹钟")
        return ActionResult(True, reply=listing(self._of(Kind.ALARM), self.clock(), Kind.ALARM))

    def alarm_cancel(self, request: ActionRequest) -> ActionResult:
        if not slot_text(request, "time") and _STOP_RINGING.search(request.text):
            return ActionResult(True, reply="好的")  # the ringing one has already gone off
        return self._cancel(request, Kind.ALARM)

    # reminders -------------------------------------------------------------------------------
    def reminder_create(self, request: ActionRequest) -> ActionResult:
        event, text = slot_text(request, "event"), slot_text(request, "time")
        now = self.clock()
        when: When | None = None
        if text:
            found = self._when(text, "提醒")
            if isinstance(found, ActionResult):
                return found
            when = found
        elif event:
            when, event = split_event(event, datetime.fromtimestamp(now).date())
        if not event:
            return ask("要提醒你什么？", {"pending": request.action, "slots": {"time": text}})
        end = when.resolve(now, DEFAULT_HOUR) if when is not None else None
        if end is None:
            return ask("什么时候提醒你？", {"pending": request.action, "slots": {"event": event}})
        clock = format_clock(end, now)
        if end <= now:
            return ActionResult.failed(f"{clock}已经过了", f"{text or event!r} is in the past")
        if request.dry_run:
            return ActionResult.dry(f"{clock}提醒你{event}")
        self.store.add(Entry.new(Kind.REMINDER, end, now, label=event))
        self.changed()
        return ActionResult(True, reply=f"好的，{clock}提醒你{event}",
                            values={"time": clock, "event": event})

    def reminder_list(self, request: ActionRequest) -> ActionResult:
        if request.dry_run:
            return ActionResult.dry("查看提醒")
        entries = self._of(Kind.REMINDER)
        return ActionResult(True, reply=listing(entries, self.clock(), Kind.REMINDER))

    def reminder_cancel(self, request: ActionRequest) -> ActionResult:
        if "刚才" in request.text and not slot_text(request, "time"):
            entries = self._of(Kind.REMINDER)
            if entries:
                return self._remove(request, [max(entries, key=lambda e: e.created)])
        return self._cancel(request, Kind.REMINDER)

    # shared ----------------------------------------------------------------------------------
    def _cancel(self, request: ActionRequest, kind: Kind) -> ActionResult:
        """By time (明天早上的闹钟), all of them, the only one, or ask which."""
        word, now = KIND_WORD[kind], self.clock()
        entries = self._of(kind)
        if not entries:
            return ActionResult.failed(f"现在没有{word}", f"there is no {kind.value}")
        text = slot_text(request, "time")
        if text:
            when = self._when(text, word)
            if isinstance(when, ActionResult):
                return when
            entries = [e for e in entries if when.matches(e.end)]
            if not entries:
                return ActionResult.failed(f"没有找到{text}的{word}", f"no {kind.value} at {text}")
        if slot_text(request, "all") or len(entries) == 1:
            return self._remove(request, entries)
        return ask_which(request, "取消", entries, now)

    def _remove(self, request: ActionRequest, entries: list[Entry]) -> ActionResult:
        kind, now = entries[0].kind, self.clock()
        word = KIND_WORD[kind]
        if len(entries) == 1:
            e = entries[0]
            what = f"{format_clock(e.end, now)}的{word}"
            if kind is Kind.REMINDER and e.label:
                what += f"（{e.label}）"
        else:
            what = f"{len(entries)}个{word}"
        if request.dry_run:
            return ActionResult.dry(f"取消{what}")
        self.store.remove([e.id for e in entries])
        self.changed()
        return ActionResult(True, reply=f"好的，已取消{what}")
