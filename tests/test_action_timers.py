"""Timers, alarms and reminders (app/actions/timers.py): every operation through the real default
grammar with a fake clock, persistence, the scheduler (fake clock, real thread, another process),
the report of missed entries, and the store's atomicity under ``kill -9``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pytest

from app.actions.base import ActionRequest, ActionResult
from app.actions.scheduler import Scheduler
from app.actions.timer_replies import announcement, missed_text
from app.actions.timer_store import Entry, Kind, TimerStore, _file_lock
from app.actions.timer_text import (
    DEFAULT_HOUR,
    format_clock,
    format_duration,
    read_when,
    split_event,
)
from app.actions.timers import TimerActions
from app.config import AppSettings
from bench.bench_timer_store import kill_loop
from intents.grammar import load_grammar
from intents.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "resources" / "grammar" / "zh-CN"
START = datetime(2024, 5, 15, 14, 30, 0).timestamp()  # a Wednesday afternoon, local time


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(scope="module")
def matcher(default_matcher: Matcher) -> Matcher:
    return default_matcher  # the session's (tests/conftest.py): matching only reads it


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def store(tmp_path: Path) -> TimerStore:
    return TimerStore(tmp_path / "timers.json")


class Talk:
    """Turns of one conversation, the context of each domain carried over like the assistant."""

    def __init__(self, actions: TimerActions, matcher: Matcher) -> None:
        self.actions, self.matcher = actions, matcher
        self.context: dict[str, Mapping[str, object]] = {}

    def __call__(self, text: str, dry_run: bool = False) -> ActionResult:
        match = self.matcher.match(text)
        assert match is not None and not match.ambiguous, (text, match)
        request = ActionRequest(match.key, match.domain, match.intent, match.slots, text,
                                dry_run, self.context.get(match.domain, {}))
        result = self.actions.handlers()[match.key](request)
        if result.context:
            self.context[match.domain] = result.context
        return result


@pytest.fixture
def say(store: TimerStore, clock: FakeClock, matcher: Matcher) -> Talk:
    return Talk(TimerActions(store, clock), matcher)


def test_handlers_cover_every_action_of_the_grammar(store: TimerStore) -> None:
    grammar = load_grammar(GRAMMAR)
    wanted = {i.action for i in grammar.intents if i.domain in ("timer", "alarm", "reminder")}
    assert wanted == set(TimerActions(store).handlers())


def test_start_named_and_unnamed_timers(say: Talk, store: TimerStore) -> None:
    result = say("设一个五分钟的披萨计时器")
    assert result.performed and result.reply == "好的，披萨计时器5分钟，14:35到点"
    assert say("倒计时半分钟").reply == "好的，计时30秒，14:30:30到点"
    entries = {e.name: e for e in store.entries()}
    assert entries["披萨"].end == START + 300 and entries["披萨"].duration == 300
    assert entries[""].end == START + 30 and entries[""].kind is Kind.TIMER


@pytest.mark.parametrize(("text", "seconds"), [
    ("设一个两小时零五秒的计时器", 7205), ("定个一个半小时的倒计时", 5400),
    ("计时两分半钟", 150), ("开个计时器二十分钟", 1200), ("倒计时10秒", 10),
    ("一小时二十分钟三十秒的倒计时", 4830)])
def test_durations(say: Talk, store: TimerStore, text: str, seconds: int) -> None:
    assert say(text).performed
    assert [e.end - START for e in store.entries()] == [seconds]


def test_start_without_duration_asks(say: Talk, store: TimerStore) -> None:
    result = say("开一个鸡蛋计时器")
    assert result.expect_reply and result.reply == "要计时多长时间？" and not store.entries()


def test_the_same_name_restarts(say: Talk, store: TimerStore) -> None:
    say("设一个五分钟的披萨计时器")
    assert say("设一个八分钟的披萨计时器").reply == "好的，披萨计时器重新设为8分钟，14:38到点"
    assert [e.duration for e in store.entries()] == [480]


def test_remaining(say: Talk, clock: FakeClock) -> None:
    assert say("计时器还剩多少").reply == "现在没有计时器"
    say("倒计时五分钟")
    clock.advance(100)
    assert say("计时器还剩多少").reply == "计时器还剩3分20秒"
    say("设一个二十分钟的烤鸡计时器")
    assert say("我的计时器").reply == ("你有2个计时器：5分钟的计时器还剩3分20秒，"
                                     "烤鸡计时器还剩20分钟")
    assert say("烤鸡计时器还剩多久").reply == "烤鸡计时器还剩20分钟"
    assert say("披萨计时器还剩多少").reply == "没有找到披萨计时器"


def test_pause_and_resume(say: Talk, clock: FakeClock, store: TimerStore) -> None:
    say("设一个五分钟的披萨计时器")
    clock.advance(100)
    assert say("暂停计时").reply == "好的，披萨计时器已暂停，还剩3分20秒"
    clock.advance(600)
    assert say("披萨计时器还剩多少").reply == "披萨计时器已暂停，还剩3分20秒"
    assert say("暂停计时").reply == "披萨计时器已经暂停了，还剩3分20秒"
    assert say("继续计时").reply == "好的，披萨计时器继续，还剩3分20秒，14:45到点"
    assert store.entries()[0].end == clock() + 200 and not store.entries()[0].paused
    assert not say("继续计时").performed


def test_add_and_subtract(say: Talk, store: TimerStore) -> None:
    say("设一个五分钟的披萨计时器")
    assert say("再加两分钟").reply == "好的，披萨计时器加了2分钟，还剩7分钟"
    assert say("减少三十秒").reply == "好的，披萨计时器减了30秒，还剩6分30秒"
    result = say("减少十分钟")
    assert not result.performed and result.reply == "披萨计时器只剩6分30秒了，不能减10分钟"
    assert store.entries()[0].end == START + 390


def test_add_goes_to_the_timer_just_set(say: Talk, store: TimerStore) -> None:
    say("设一个五分钟的披萨计时器")
    say("设一个二十分钟的烤鸡计时器")
    assert say("再加五分钟").reply == "好的，烤鸡计时器加了5分钟，还剩25分钟"


def test_cancel_by_name_the_only_one_or_ask(say: Talk, store: TimerStore,
                                            clock: FakeClock) -> None:
    say("倒计时十分钟")
    assert say("取消计时").reply == "好的，计时器已取消" and not store.entries()
    assert say("取消计时").reply == "现在没有计时器"
    say("设一个五分钟的披萨计时器")
    say("设一个二十分钟的烤鸡计时器")
    say.context.clear()
    question = say("取消计时器")
    assert question.expect_reply and not question.performed
    assert question.reply == ("你有2个计时器：披萨计时器还剩5分钟，烤鸡计时器还剩20分钟，"
                              "要取消哪一个？")
    assert say("烤鸡计时器").reply == "好的，烤鸡计时器已取消"
    assert [e.name for e in store.entries()] == ["披萨"]
    assert say("取消披萨计时器").reply == "好的，披萨计时器已取消"


def test_a_stale_question_is_not_answered(say: Talk, store: TimerStore,
                                          clock: FakeClock) -> None:
    say("设一个五分钟的披萨计时器")
    say("设一个二十分钟的烤鸡计时器")
    say.context.clear()
    assert say("暂停计时器").expect_reply
    clock.advance(61)
    assert say("烤鸡计时器").reply == "烤鸡计时器还剩18分59秒"
    assert not any(e.paused for e in store.entries())


def test_cancel_all(say: Talk, store: TimerStore) -> None:
    say("倒计时十分钟")
    say("设一个五分钟的披萨计时器")
    assert say("取消所有计时器").reply == "好的，已取消2个计时器" and not store.entries()


def test_alarms(say: Talk, store: TimerStore, clock: FakeClock) -> None:
    assert say("明天早上七点叫我起床").reply == "好的，闹钟定在明天7:00"
    assert say("定一个七点半的闹钟").reply == "好的，闹钟定在19:30"  # 14:30 now: this evening
    assert say("把闹钟设在八点").reply == "好的，闹钟定在20:00"
    assert say("明天早上七点叫我起床").reply == "明天7:00已经有一个闹钟了"
    assert say("查看闹钟").reply == "你有3个闹钟：19:30，20:00，明天7:00"
    assert say("今天早上七点叫我起床").reply == "7:00已经过了"
    assert "没听懂" in (say("把闹钟设在随便").reply or "")
    assert say("定个闹钟").reply == "闹钟定在几点？"
    assert say("把明天早上的闹钟删了").reply == "好的，已取消明天7:00的闹钟"
    assert say("取消闹钟").expect_reply  # two left: which one?
    assert say("闹钟别响了").performed and len(store.entries()) == 2
    assert say("取消八点的闹钟").reply == "好的，已取消20:00的闹钟"
    assert say("取消所有闹钟").reply == "好的，已取消19:30的闹钟" and not store.entries()


def test_reminders(say: Talk, store: TimerStore) -> None:
    assert say("提醒我明天下午三点开会").reply == "好的，明天15:00提醒你开会"
    assert say("晚上八点提醒我去吃药").reply == "好的，20:00提醒你吃药"
    assert say("添加一个提醒明天交报告").reply == "好的，明天9:00提醒你交报告"
    assert say("十分钟后提醒我关火").reply == "好的，14:40提醒你关火"
    asked = say("记得提醒我给妈妈打电话")
    assert asked.expect_reply and asked.reply == "什么时候提醒你？"
    assert say("查看提醒").reply == ("你有4个提醒：14:40关火，20:00吃药，明天9:00交报告，"
                                   "明天15:00开会")
    assert say("把刚才的提醒删了").reply == "好的，已取消14:40的提醒（关火）"
    assert say("取消明天的提醒").expect_reply
    assert say("删除所有提醒").reply == "好的，已取消3个提醒" and not store.entries()


@pytest.mark.parametrize("text", [
    "设一个五分钟的披萨计时器", "明天早上七点叫我起床", "提醒我明天下午三点开会", "取消计时",
    "暂停计时", "再加五分钟", "取消闹钟", "取消提醒", "计时器还剩多少"])
def test_dry_run_changes_nothing(say: Talk, store: TimerStore, text: str) -> None:
    say("倒计时十分钟")
    say("把闹钟设在八点")
    say("下午三点提醒我开会")
    before = store.path.read_bytes()
    result = say(text, dry_run=True)
    assert not result.performed and result.description
    assert (result.reply or "").startswith("（演练）")
    assert store.path.read_bytes() == before


def test_persistence_across_store_instances(say: Talk, store: TimerStore, clock: FakeClock,
                                            matcher: Matcher) -> None:
    say("设一个五分钟的披萨计时器")
    say("明天早上七点叫我起床")
    clock.advance(60)
    again = Talk(TimerActions(TimerStore(store.path), clock), matcher)
    assert again("披萨计时器还剩多少").reply == "披萨计时器还剩4分钟"
    assert again("查看闹钟").reply == "你有1个闹钟：明天7:00"


def test_scheduler_fires_due_entries_once(store: TimerStore, clock: FakeClock) -> None:
    fired: list[Entry] = []
    scheduler = Scheduler(store, fired.append, clock)
    timers = TimerActions(store, clock, scheduler)
    req = ActionRequest("timer.start", "timer", "start", {"minutes": 1})
    assert timers.handlers()["timer.start"](req).performed
    paused = store.add(Entry.new(Kind.TIMER, START + 10, START, paused_left=10.0))
    assert scheduler.run_due() == [] and scheduler.next_delay() == 1.0
    clock.advance(59.5)
    assert scheduler.run_due() == [] and scheduler.next_delay() == pytest.approx(0.5)
    clock.advance(0.5)
    assert [e.duration for e in scheduler.run_due()] == [60]
    assert [e.duration for e in fired] == [60] and announcement(fired[0]) == "时间到了"
    assert scheduler.run_due() == [] and store.entries() == [paused]


def test_a_failing_callback_does_not_stop_the_scheduler(store: TimerStore,
                                                       clock: FakeClock) -> None:
    def boom(entry: Entry) -> None:
        raise RuntimeError("the speaker is gone")

    store.add(Entry.new(Kind.TIMER, START, START))
    assert len(Scheduler(store, boom, clock).run_due()) == 1 and store.entries() == []


def test_missed_entries_are_reported_once(store: TimerStore, clock: FakeClock) -> None:
    store.add(Entry.new(Kind.TIMER, START + 60, START, name="披萨", duration=60))
    store.add(Entry.new(Kind.REMINDER, START + 120, START, label="开会"))
    store.add(Entry.new(Kind.ALARM, START + 7200, START))
    clock.advance(600)  # Lingyin was closed meanwhile
    fired: list[Entry] = []
    scheduler = Scheduler(store, fired.append, clock)
    scheduler.start()
    try:
        missed = scheduler.missed()
        assert [e.kind for e in missed] == [Kind.TIMER, Kind.REMINDER] and fired == []
        assert missed_text(missed, clock()) == ("灵音关着的时候有2项到点了："
                                                "14:31的披萨计时器，14:32的开会")
        assert scheduler.missed() == []
        assert [e.kind for e in store.entries()] == [Kind.ALARM]
    finally:
        scheduler.stop()


def test_scheduler_thread_wakes_on_change(store: TimerStore, clock: FakeClock) -> None:
    done = threading.Event()
    scheduler = Scheduler(store, lambda e: done.set(), clock, check_interval=30)
    scheduler.start()
    try:
        store.add(Entry.new(Kind.TIMER, START + 5, START))
        clock.advance(5)
        scheduler.wake()
        assert done.wait(5)
    finally:
        scheduler.stop()
    assert not scheduler.running


def test_a_timer_added_by_another_process_fires_here(tmp_path: Path) -> None:
    store = TimerStore(tmp_path / "timers.json")
    fired: list[Entry] = []
    got = threading.Event()

    def fire(entry: Entry) -> None:
        fired.append(entry)
        got.set()

    scheduler = Scheduler(store, fire, check_interval=0.1)
    scheduler.start()
    code = ("import sys, time; from pathlib import Path\n"
            "from app.actions.timer_store import Entry, Kind, TimerStore\n"
            "s = TimerStore(Path(sys.argv[1]))\n"
            "s.add(Entry.new(Kind.TIMER, time.time() + 0.3, time.time(), name='烤鸡'))\n")
    try:
        added = time.time()
        subprocess.run([sys.executable, "-c", code, str(store.path)], cwd=ROOT, check=True,
                       timeout=30)
        assert got.wait(5), "the timer set by the other process never fired"
        assert [e.name for e in fired] == ["烤鸡"] and time.time() - added < 5
    finally:
        scheduler.stop()
    assert store.entries() == []


def test_a_locked_store_gives_a_friendly_reply(tmp_path: Path, clock: FakeClock) -> None:
    store = TimerStore(tmp_path / "timers.json", lock_timeout=0.1)
    actions = TimerActions(store, clock)
    with _file_lock(tmp_path / "timers.lock", 1.0):
        result = actions.handlers()["timer.start"](
            ActionRequest("timer.start", "timer", "start", {"minutes": 5}))
    assert not result.performed and result.reply == "计时器和闹钟暂时用不了，请稍后再试"
    assert result.error and "locked" in result.error


def test_a_broken_file_is_kept_and_replaced(store: TimerStore) -> None:
    store.path.write_text('{"entries": [', encoding="utf-8")
    (store.path.parent / ".timers.json.stale").write_text("half", encoding="utf-8")
    assert store.entries() == []
    store.add(Entry.new(Kind.ALARM, START, START))
    assert len(store.entries()) == 1
    copies = list(store.path.parent.glob("timers.json.broken-*"))
    assert len(copies) == 1 and copies[0].read_text("utf-8") == '{"entries": ['
    assert not (store.path.parent / ".timers.json.stale").exists()


def test_an_invalid_entry_is_skipped(store: TimerStore) -> None:
    good = Entry.new(Kind.TIMER, START, START).to_json()
    store.path.write_text(json.dumps({"version": 1, "entries": [
        good, {"id": "x", "kind": "egg", "end": 1, "created": 1}, {"id": "y"}]}), "utf-8")
    assert [e.id for e in store.entries()] == [good["id"]]


def test_kill_9_never_leaves_a_broken_store(tmp_path: Path) -> None:
    """A writer rewriting the store is killed at a random moment, 50 times (the benchmark does
    200): the file always parses and holds the last acknowledged write or the one after it."""
    figures = kill_loop(tmp_path / "timers.json", rounds=50)
    assert figures.corrupt == 0 and figures.lost == 0
    assert figures.value >= figures.acknowledged > 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".timers.json.")]
    assert len(leftovers) <= 1  # at most the temporary of the last killed writer


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "timers.json"
    code = ("import sys; from pathlib import Path\n"
            "from app.actions.timer_store import Entry, Kind, TimerStore\n"
            "s = TimerStore(Path(sys.argv[1]))\n"
            "for i in range(20): s.add(Entry.new(Kind.TIMER, 1e9 + i, 1e9, name=sys.argv[2]))\n")
    children = [subprocess.Popen([sys.executable, "-c", code, str(path), who], cwd=ROOT)
                for who in ("a", "b")]
    store = TimerStore(path)
    for i in range(20):
        store.add(Entry.new(Kind.TIMER, 1e9 + i, 1e9, name="c"))
    assert [child.wait(30) for child in children] == [0, 0]
    names = [e.name for e in store.entries()]
    assert sorted(set(names)) == ["a", "b", "c"] and len(names) == 60


def test_from_settings_uses_the_data_dir(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path))
    plain = TimerActions.from_settings(AppSettings())
    assert plain.store.path == tmp_path / "timers.json" and plain.scheduler is None
    running = TimerActions.from_settings(AppSettings(), on_fire=lambda e: None)
    assert running.scheduler is not None and running.scheduler.running
    running.close()
    assert not running.scheduler.running


@pytest.mark.parametrize(("said", "expected"), [
    ("明天早上七点", "明天7:00"), ("七点半", "19:30"), ("八点", "20:00"), ("九点", "21:00"),
    ("下午三点", "15:00"), ("早上六点半", "明天6:30"), ("今晚八点", "20:00"),
    ("后天上午十点", "后天10:00"), ("明早七点", "明天7:00"), ("十分钟后", "14:40"),
    ("一个半小时以后", "16:00"), ("周五下午三点", "后天15:00"), ("下周一早上八点", "5月20日8:00"),
    ("三月五号早上八点", "2025年3月5日8:00"), ("二十号", "5月20日9:00"), ("凌晨一点", "明天1:00"),
    ("晚上十二点", "明天0:00"), ("差五分三点", "14:55"), ("20:30", "20:30"), ("早上", "明天8:00"),
])
def test_times_as_said(said: str, expected: str) -> None:
    when = read_when(said, datetime.fromtimestamp(START).date())
    assert when is not None
    end = when.resolve(START, DEFAULT_HOUR)
    assert end is not None and format_clock(end, START) == expected


@pytest.mark.parametrize("said", ["开会", "随便", "", "明天的的"])
def test_not_times(said: str) -> None:
    assert read_when(said, datetime.fromtimestamp(START).date()) is None


@pytest.mark.parametrize(("seconds", "text"), [
    (200, "3分20秒"), (300, "5分钟"), (5400, "1小时30分钟"), (7205, "2小时5秒"), (20, "20秒"),
    (0.2, "1秒"), (4830, "1小时20分30秒"), (7200, "2小时")])
def test_durations_as_written(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_reminder_text_split() -> None:
    today = datetime.fromtimestamp(START).date()
    assert split_event("明天下午三点去开会", today)[1] == "开会"
    assert split_event("给妈妈打电话", today) == (None, "给妈妈打电话")


def test_pause_asks_which_and_the_answer_pauses(say: Talk, store: TimerStore) -> None:
    say("设一个五分钟的披萨计时器")
    say("设一个二十分钟的烤鸡计时器")
    assert say("暂停计时器").expect_reply  # the last one set is not guessed
    assert say("披萨计时器").reply == "好的，披萨计时器已暂停，还剩5分钟"
    assert [e.name for e in store.entries() if e.paused] == ["披萨"]
    assert say("继续计时").reply == "好的，披萨计时器继续，还剩5分钟，14:35到点"  # the only paused
