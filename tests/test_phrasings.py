"""The default grammar on Lingyin's own phrasing sets (tests/data/phrasings/): coverage floors and
the sentences that must never perform an action. Figures: bench/bench_phrasing.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.phrasings import PHRASINGS, load_commands, load_never, score_commands, score_never
from intents.matcher import Matcher
from intents.sentence_kind import sentence_kind

GRAMMAR = Path(__file__).parent.parent / "resources" / "grammar" / "zh-CN"


@pytest.fixture(scope="module")
def matcher(default_matcher: Matcher) -> Matcher:
    return default_matcher  # the session's (tests/conftest.py): matching only reads it


@pytest.mark.parametrize("name", ["commands", "blind", "blind2", "blind3"])
def test_coverage_floor(matcher: Matcher, name: str) -> None:
    cases = load_commands(PHRASINGS / f"{name}.yaml")
    assert len(cases) > 200
    score = score_commands(matcher, cases)
    misses = "\n".join(f"{c.intent} {c.text} → {why}" for c, why in score.misses)
    assert score.rate >= 0.95, misses


@pytest.mark.parametrize("name", ["never.yaml", "blind_never.yaml", "blind2_never.yaml",
                                  "blind3_never.yaml"])
def test_questions_negations_and_other_domains_never_perform(matcher: Matcher,
                                                             name: str) -> None:
    never = load_never(PHRASINGS / name)
    assert {"questions", "negations", "other"} <= set(never)
    bad = score_never(matcher, never)
    assert bad == {group: [] for group in never}


@pytest.mark.parametrize("text, question, negation", [
    ("窗帘关了吗", "吗", ""),
    ("你可以帮我打开卧室的灯吗", "", ""),  # a polite request
    ("开一下灯好吗", "", ""),
    ("能不能开灯", "", ""),
    ("空调开没开", "开没开", ""),
    ("门锁上了没有", "没有", ""),
    ("电视是不是开着", "是不是", ""),
    ("随便放点什么", "", ""),
    ("不要关灯", "", "不要关"),
    ("先别放了", "", "别放"),
    ("今天要不要带伞", "", ""),  # a choice question, not a negation
    ("换个别的歌", "", ""),
])
def test_sentence_kind(text: str, question: str, negation: str) -> None:
    kind = sentence_kind(text)
    assert (kind.question, kind.negation) == (question, negation)


def test_a_negation_the_intent_itself_says_is_allowed(matcher: Matcher) -> None:
    assert matcher.match("别放了").key == "media.pause"  # type: ignore[union-attr]
    assert matcher.match("不用了").key == "assistant.cancel"  # type: ignore[union-attr]
    assert matcher.judge("不要关灯") == (None, "negation:不要关")


def test_one_clause_is_the_command(matcher: Matcher) -> None:
    match = matcher.match("太黑了，开个灯")
    assert match is not None and match.key == "home.light_on"
    assert matcher.judge("开灯，放首歌") == (None, "several_commands")


def test_a_free_text_name_that_sounds_like_a_contact_is_the_contact(matcher: Matcher) -> None:
    match = matcher.match("给张山打电话")
    assert match is not None and match.slots == {"contact": "张三"} and match.unsure


def test_a_near_miss_list_value_does_not_cross_to_another_action(matcher: Matcher) -> None:
    match = matcher.match("取消卧室计时器")
    assert match is not None and match.key == "timer.cancel"
    assert matcher.match("电脑锁屏").key == "system.lock"  # type: ignore[union-attr]


def test_long_input_is_refused_quickly(matcher: Matcher) -> None:
    match, reason = matcher.judge("提醒我" * 3400)
    assert match is None and reason.startswith("too_long")


def test_digits_free_decoding_did_not_hear_are_not_taken_silently() -> None:
    from intents.evidence import digit_runs, digits_heard

    heard = "y āo s ān b ā l íng èr èr s ān"  # 幺三八零二二三: one 二 of 二二二 dropped
    assert digit_runs("d ǎ g ěi " + heard + " h ǎo") == ["1380223"]
    assert digits_heard("1380223", heard)
    assert not digits_heard("13802223", heard)  # the path's 8 digits: a different number


def test_a_title_free_decoding_did_not_hear_is_not_taken_silently() -> None:
    from intents.evidence import words_heard

    heard = "x iǎng t īng g ē q ǔ d ào x iāng"  # 想听歌曲稻香
    assert words_heard("稻香", heard)
    assert words_heard("十年", "s í n ián")  # near-homophones alike (sh/s)
    assert not words_heard("晴天", heard)
    assert words_heard("七里香", "q ī l ǐ x iāng") and words_heard("七里香", "q ī n ǐ x iāng")
    assert not words_heard("七里香", "q ī x iāng")


def test_synonyms_are_read_after_the_sentence_as_written(matcher: Matcher) -> None:
    match = matcher.match("把卧室的light关掉", typed=True)
    assert match is not None and match.key == "home.light_off" and match.slots == {"room": "卧室"}
    match = matcher.match("冷气调到26度", typed=True)
    assert match is not None and match.slots == {"temperature": 26}
    assert matcher.match("lights out please", typed=True) is None
