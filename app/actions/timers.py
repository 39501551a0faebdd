"""Timers (named or not), alarms and reminders: the handlers of every ``timer.*``, ``alarm.*`` and
``reminder.*`` action of the default grammar (resources/grammar/zh-CN/timer.yaml).

Entries live in ``TimerStore`` (``<data>/timers.json``, absolute end times, atomic writes, a
lock across processes); a ``Scheduler`` fires them. ``lingyin run`` builds ``TimerActions``
without a scheduler: it only writes the store, and the running Lingyin, which has one, fires what
it added. When several timers could be meant, the handler asks which (``expect_reply``) and
leaves the pending action in the context; a next turn naming one (披萨计时器) completes it.
Every successful timer reply leaves ``last`` (its id) in the context, so 再加五分钟 changes the
timer just set even when there are several (cancel, pause and resume ask instead).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from app.actions.base import ActionError, ActionRequest, ActionResult, Actions, Handler
from app.actions.scheduler import Clock, Scheduler
from app.actions.timer_alarms import AlarmHandlers
from app.actions.timer_replies import ask, ask_which, guarded, left_text, listing, slot_text, title
from app.actions.timer_store import Entry, Kind, TimerStore
from app.actions.timer_text import duration_of, format_clock, format_duration
from app.config import AppSettings

MAX_TIMER = 7 * 86400.0  # a week
ANSWER_WINDOW = 60.0  # seconds: how long a question (要取消哪一个？) waits for its answer
ANSWERABLE = ("timer.cancel", "timer.pause", "timer.resume", "timer.add", "timer.subtract")
_QUESTION = re.compile("剩|多少|多久|多长|几|还有|还要|还得|哪些|查")


class TimerActions(Actions):
    def __init__(self, store: TimerStore, clock: Clock = time.time,
                 scheduler: Scheduler | None = None) -> None:
        self.store = store
        self.clock = clock
        self.scheduler = scheduler
        self.alarms = AlarmHandlers(store, clock, self._changed)

    @classmethod
    def from_settings(cls, settings: AppSettings, *, data_dir: Path | None = None,
                      on_fire: Callable[[Entry], None] | None = None,
                      clock: Clock = time.time) -> TimerActions:
        """The store in the user data directory (``data_dir`` overrides). With ``on_fire`` a
        scheduler is started (the running assistant); without, only the store (``lingyin run``).
        The settings hold nothing for timers yet."""
        del settings
        store = TimerStore.default(data_dir)
        scheduler = Scheduler(store, on_fire, clock) if on_fire is not None else None
        if scheduler is not None:
            scheduler.start()
        return cls(store, clock, scheduler)

    def handlers(self) -> Mapping[str, Handler]:
        own: dict[str, Handler] = {
            "timer.start": self.start, "timer.pause": self.pause, "timer.resume": self.resume,
            "timer.add": self.add, "timer.subtract": self.subtract,
            "timer.remaining": self.remaining, "timer.cancel": self.cancel,
        }
        return {**{k: _keep_last(guarded(v)) for k, v in own.items()},
                **self.alarms.handlers()}

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()

    def _changed(self) -> None:
        if self.scheduler is not None:
            self.scheduler.wake()

    # handlers --------------------------------------------------------------------------------
    def start(self, request: ActionRequest) -> ActionResult:
        name = slot_text(request, "name")
        what = f"{name}计时器" if name else "计时"
        seconds = duration_of(request.slots)
        if seconds is None:
            return ask("要计时多长时间？", {"pending": request.action, "slots": {"name": name}})
        if seconds > MAX_TIMER:
            return ActionResult.failed("计时最长一周", f"a timer of {seconds} s is too long")
        now = self.clock()
        end = now + seconds
        when = format_clock(end, now, seconds=seconds < 120)
        if request.dry_run:
            return ActionResult.dry(f"设一个{format_duration(seconds)}的{what}，{when}到点")
        entry = Entry.new(Kind.TIMER, end, now, name=name, duration=seconds)

        def change(entries: list[Entry]) -> tuple[list[Entry], bool]:
            same = [e for e in entries if e.kind is Kind.TIMER and name and e.name == name]
            return [*(e for e in entries if e not in same), entry], bool(same)

        again = self.store.mutate(change)
        self._changed()
        reply = (f"好的，{what}重新设为{format_duration(seconds)}，{when}到点" if again
                 else f"好的，{what}{format_duration(seconds)}，{when}到点")
        return ActionResult(True, reply=reply, values={"end": when},
                            context={"last": entry.id})

    def pause(self, request: ActionRequest) -> ActionResult:
        found = self._pick(request, "暂停", lambda e: not e.paused)
        if isinstance(found, ActionResult):
            return found
        now = self.clock()
        if found.paused:
            return ActionResult(False, reply=f"{title(found)}已经暂停了，还剩"
                                f"{format_duration(found.left(now))}", context={"last": found.id})
        if request.dry_run:
            return ActionResult.dry(f"暂停{title(found)}")
        new = self._update(found, lambda e: e if e.paused
                           else replace(e, paused_left=max(0.0, e.end - now)))
        return self._done(f"好的，{left_text(new, now)}", new)

    def resume(self, request: ActionRequest) -> ActionResult:
        found = self._pick(request, "继续", lambda e: e.paused)
        if isinstance(found, ActionResult):
            return found
        now = self.clock()
        if not found.paused:
            return ActionResult(False, reply=f"{title(found)}没有暂停，还剩"
                                f"{format_duration(found.left(now))}", context={"last": found.id})
        if request.dry_run:
            return ActionResult.dry(f"继续{title(found)}")
        new = self._update(found, lambda e: e if not e.paused
                           else replace(e, end=now + e.left(now), paused_left=None))
        return self._done(f"好的，{title(new)}继续，还剩{format_duration(new.left(now))}，"
                          f"{format_clock(new.end, now)}到点", new)

    def add(self, request: ActionRequest) -> ActionResult:
        return self._shift(request, +1)

    def subtract(self, request: ActionRequest) -> ActionResult:
        return self._shift(request, -1)

    def _shift(self, request: ActionRequest, sign: int) -> ActionResult:
        verb = "加" if sign > 0 else "减"
        seconds = duration_of(request.slots)
        if seconds is None:
            return ask(f"要{verb}多长时间？")
        found = self._pick(request, f"{verb}时", use_last=True)
        if isinstance(found, ActionResult):
            return found
        amount = format_duration(seconds)
        if request.dry_run:
            return ActionResult.dry(f"给{title(found)}{verb}{amount}")
        now = self.clock()

        def change(entry: Entry) -> Entry:
            left = entry.left(now) + sign * seconds
            if left <= 0:
                raise ActionError(f"{title(entry)}只剩{format_duration(entry.left(now))}了，"
                                  f"不能减{amount}", "the timer would end in the past")
            if left > MAX_TIMER:
                raise ActionError("计时最长一周", "the timer would be too long")
            if entry.paused:
                return replace(entry, paused_left=left)
            return replace(entry, end=now + left)

        new = self._update(found, change)
        return self._done(f"好的，{title(new)}{verb}了{amount}，还剩"
                          f"{format_duration(new.left(now))}", new)

    def remaining(self, request: ActionRequest) -> ActionResult:
        answer = self._answer(request)
        if answer is not None:
            return answer
        if request.dry_run:
            return ActionResult.dry("查看计时器")
        now = self.clock()
        if slot_text(request, "name"):
            found = self._pick(request, "查看")
            if isinstance(found, ActionResult):
                return found
            return ActionResult(True, reply=left_text(found, now), context={"last": found.id})
        timers = self._timers()
        return ActionResult(True, reply=listing(timers, now, Kind.TIMER))

    def cancel(self, request: ActionRequest) -> ActionResult:
        if slot_text(request, "all"):
            timers = self._timers()
            if request.dry_run:
                return ActionResult.dry(f"取消全部{len(timers)}个计时器")
            gone = self.store.remove([e.id for e in timers])
            self._changed()
            if not gone:
                return ActionResult(True, reply="现在没有计时器")
            return ActionResult(True, reply=f"好的，已取消{len(gone)}个计时器")
        found = self._pick(request, "取消")
        if isinstance(found, ActionResult):
            return found
        if request.dry_run:
            return ActionResult.dry(f"取消{title(found)}")
        self.store.remove([found.id])
        self._changed()
        return ActionResult(True, reply=f"好的，{title(found)}已取消")

    # helpers ---------------------------------------------------------------------------------
    def _timers(self) -> list[Entry]:
        return [e for e in self.store.entries() if e.kind is Kind.TIMER]

    def _pick(self, request: ActionRequest, verb: str,
              usable: Callable[[Entry], bool] = lambda e: True,
              use_last: bool = False) -> Entry | ActionResult:
        """The timer meant: by name; the only one (the only usable one); with ``use_last`` the
        one the last reply was about (再加五分钟 right after setting one); else a question."""
        timers = self._timers()
        if not timers:
            return ActionResult.failed("现在没有计时器", "there is no timer")
        name = slot_text(request, "name")
        if name:
            named = [e for e in timers if e.name == name]
            if not named:
                return ActionResult.failed(f"没有找到{name}计时器", f"no timer named {name!r}")
            return max(named, key=lambda e: e.created)
        pool = [e for e in timers if usable(e)] or timers
        if len(pool) == 1:
            return pool[0]
        last = next((e for e in pool if e.id == request.context.get("last")), None)
        if use_last and last is not None:
            return last
        return ask_which(request, verb, pool, self.clock())

    def _update(self, entry: Entry, change: Callable[[Entry], Entry]) -> Entry:
        new = self.store.update(entry.id, change)
        if new is None:
            raise ActionError(f"{title(entry)}已经结束了", f"timer {entry.id} is gone")
        self._changed()
        return new

    @staticmethod
    def _done(reply: str, entry: Entry) -> ActionResult:
        return ActionResult(True, reply=reply, context={"last": entry.id})

    def _answer(self, request: ActionRequest) -> ActionResult | None:
        """披萨计时器 said after 要取消哪一个？: finish the pending action on that timer."""
        pending, slots = request.context.get("pending"), request.context.get("slots")
        asked, name = request.context.get("asked"), slot_text(request, "name")
        if (pending not in ANSWERABLE or not isinstance(pending, str) or not name
                or _QUESTION.search(request.text)
                or not isinstance(asked, int | float) or self.clock() - asked > ANSWER_WINDOW):
            return None
        handler = self.handlers().get(pending)
        if handler is None:
            return None
        merged = {**(slots if isinstance(slots, Mapping) else {}), "name": name}
        return handler(replace(request, action=pending, intent=pending.split(".", 1)[1],
                               slots=merged, context={}))


def _keep_last(handler: Handler) -> Handler:
    """Every timer reply leaves a context (so a stale question is never answered later): the
    one the handler gave, or the last timer as before."""
    def run(request: ActionRequest) -> ActionResult:
        result = handler(request)
        if result.context:
            return result
        return replace(result, context={"last": request.context.get("last", "")})
    return run
