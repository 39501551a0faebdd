"""The conversation: golden conversations (tests/data/conversations.yaml) through the real
grammar, matcher and dialogue, with recording action handlers; the dispatcher's safety nets; the
spoken form of replies."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from app.actions.base import ActionRequest, ActionResult
from app.assistant.assistant import Assistant
from app.assistant.dialogue import Dialogue
from app.assistant.dispatcher import Dispatcher, missing_handlers
from app.assistant.policy import Policy
from app.assistant.spoken import spoken_text
from intents.matcher import Matcher
from intents.model import Grammar

GOLDEN = Path(__file__).resolve().parent / "data" / "conversations.yaml"
CONVERSATIONS = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))["conversations"]


@pytest.fixture(scope="module")
def grammar(default_grammar: Grammar) -> Grammar:
    return default_grammar  # the session's (tests/conftest.py): a frozen value


@pytest.fixture(scope="module")
def matcher(default_matcher: Matcher) -> Matcher:
    return default_matcher  # the default grammar's, shared: matching only reads it


class Recorder:
    """Handlers for every action of the grammar that record what they were asked to do."""

    def __init__(self, grammar: Grammar) -> None:
        self.calls: list[ActionRequest] = []
        names = {i.action for i in grammar.intents if isinstance(i.action, str)}
        self.handlers = {name: self.handle for name in names}

    def handle(self, request: ActionRequest) -> ActionResult:
        if request.dry_run:  # the check before a confirmation question: does nothing
            return ActionResult.dry(request.action)
        self.calls.append(request)
        return ActionResult(True, context={"level": 40} if request.domain == "volume" else {})


def make_assistant(grammar: Grammar, matcher: Matcher, recorder: Recorder,
                   clock: list[float]) -> Assistant:
    dispatcher = Dispatcher(recorder.handlers, timeout=5)
    return Assistant(lambda: grammar, matcher.match, dispatcher, Dialogue(Policy.load()),
                     clock=lambda: clock[0])


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_golden_conversation(conversation: dict, grammar: Grammar, matcher: Matcher) -> None:  # type: ignore[type-arg]
    recorder, clock = Recorder(grammar), [100.0]
    assistant = make_assistant(grammar, matcher, recorder, clock)
    previous = None
    for turn in conversation["turns"]:
        clock[0] += turn.get("after", 5.0)  # seconds since the previous turn
        before = len(recorder.calls)
        result = assistant.text_turn(turn["say"])
        where = f"{conversation['name']!r}, turn {turn['say']!r}: {result}"
        if "reply" in turn:
            want = previous if turn["reply"] == "=previous" else turn["reply"]
            assert result.reply == want, where
        if "expect" in turn:
            assert result.expect_reply is turn["expect"], where
        if "action" in turn:
            performed = recorder.calls[before:]
            if turn["action"] is None:
                assert performed == [], where
            else:
                assert [r.action for r in performed] == [turn["action"]], where
                assert result.action == turn["action"] and result.performed, where
                for key, value in (turn.get("slots") or {}).items():
                    assert performed[0].slots.get(key) == value, where
        assert result.spoken is None or not any(c.isdigit() for c in result.spoken), where
        previous = result.reply


def test_follow_ups_expire(grammar: Grammar, matcher: Matcher) -> None:
    recorder, clock = Recorder(grammar), [0.0]
    assistant = make_assistant(grammar, matcher, recorder, clock)
    assistant.text_turn("北京明天天气怎么样")
    clock[0] += 600.0  # ten minutes later "后天呢" means nothing
    assert assistant.text_turn("后天呢").reply == "抱歉，我没听懂"


def test_a_question_lapses_when_the_listener_says_it_went_unanswered(
        grammar: Grammar, matcher: Matcher) -> None:
    recorder, clock = Recorder(grammar), [0.0]
    assistant = make_assistant(grammar, matcher, recorder, clock)
    assert assistant.text_turn("关机").expect_reply
    assistant.lapse()  # the answer window closed with nothing said
    clock[0] += 2.0
    result = assistant.text_turn("好")
    assert recorder.calls == [] and not result.performed and not result.expect_reply


def test_a_call_that_cannot_be_made_is_said_before_any_question(
        grammar: Grammar, matcher: Matcher, tmp_path: Path) -> None:
    """An empty address book: 打电话给张三 answers that at once, not 要打给张三吗？ first."""
    from app.actions.calls import CallActions
    from app.actions.contacts import ContactStore

    recorder, clock = Recorder(grammar), [0.0]
    calls = CallActions(ContactStore(tmp_path / "contacts.json"), start=lambda argv: None)
    recorder.handlers["call.dial"] = calls.dial
    assistant = make_assistant(grammar, matcher, recorder, clock)
    result = assistant.text_turn("打电话给张三")
    assert result.reply and result.reply.startswith("通讯录里没有找到张三"), result
    assert not result.expect_reply and not result.performed
    assert not assistant.text_turn("对").performed  # nothing was pending


def test_every_action_needs_a_handler(grammar: Grammar) -> None:
    recorder = Recorder(grammar)
    assert missing_handlers(grammar, recorder.handlers) == []
    del recorder.handlers["volume.up"]
    problems = missing_handlers(grammar, recorder.handlers)
    assert len(problems) == 1 and "volume.up" in str(problems[0])
    assert "volume.yaml:" in str(problems[0])  # file:line of the intent


def test_a_crashing_or_hanging_action_becomes_a_reply() -> None:
    release = threading.Event()

    def crash(request: ActionRequest) -> ActionResult:
        raise RuntimeError("boom")

    def hang(request: ActionRequest) -> ActionResult:
        release.wait(10)
        return ActionResult(True)

    dispatcher = Dispatcher({"x.crash": crash, "x.hang": hang}, timeout=0.5)
    result = dispatcher.run(ActionRequest("x.crash", "x", "crash"))
    assert not result.performed and result.reply and "boom" in (result.error or "")
    result = dispatcher.run(ActionRequest("x.hang", "x", "hang"))
    assert not result.performed and "timed out" in (result.error or "")
    release.set()
    result = dispatcher.run(ActionRequest("x.none", "x", "none"))
    assert not result.performed and "no handler" in (result.error or "")
    dispatcher.close()


@pytest.mark.parametrize("shown, spoken", [
    ("音量已调到30%", "音量已调到百分之三十"),
    ("现在是14:05", "现在是下午两点零五分"),
    ("明天-3度到5度", "明天零下三度到五度"),
    ("正在呼叫13800138000", "正在呼叫幺三八零零幺三八零零零"),
    ("计时2分钟，还剩1.5小时", "计时两分钟，还剩一点五小时"),
    ("2026年12月1日", "二零二六年十二月一日"),
    ("最高26.5℃", "最高二十六点五度"),
    ("北京今天多云，-3~8℃", "北京今天多云，零下三到八度"),
])
def test_spoken_form(shown: str, spoken: str) -> None:
    assert spoken_text(shown) == spoken
