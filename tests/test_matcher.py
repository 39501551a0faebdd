"""The matcher: golden sentences, fuzzy stages, ambiguity, rejection, and check-grammar."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from intents.check import check_grammar
from intents.grammar import load_grammar
from intents.matcher import Matcher

DATA = Path(__file__).parent / "data"
GOLDEN: list[dict[str, Any]] = yaml.safe_load(
    (DATA / "matcher_golden.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_grammar(DATA / "grammar"))


@pytest.mark.parametrize("case", GOLDEN, ids=[c["text"] or "(empty)" for c in GOLDEN])
def test_golden(matcher: Matcher, case: dict[str, Any]) -> None:
    match = matcher.match(case["text"])
    if case["intent"] is None:
        assert match is None, match
        return
    assert match is not None, f"{case['text']!r} rejected"
    assert match.key == case["intent"]
    for name, expected in case.get("slots", {}).items():
        assert match.slots.get(name) == expected, match.slots
        assert type(match.slots[name]) in (type(expected), float)
    if "stage" in case:
        assert match.stage == case["stage"]
    assert sorted(match.out_of_range) == sorted(case.get("out_of_range", []))


def test_confidence_falls_with_each_stage(matcher: Matcher) -> None:
    heard = ["给张三丰打个电话", "请给张三丰打个电话吧", "给张三风打个电话", "给张山峰打个电话"]
    matches = [matcher.match(t) for t in heard]
    confidences = [m.confidence for m in matches if m]
    assert len(confidences) == 4 and confidences == sorted(confidences, reverse=True)
    assert all(m and m.slots == {"contact": "张三丰"} for m in matches)


def test_typed_values(matcher: Matcher) -> None:
    match = matcher.match("音量调到三十")
    assert match and match.slots["volume"] == 30 and isinstance(match.slots["volume"], int)
    match = matcher.match("拨打一三八")
    assert match and match.slots["phone"] == "138"


def test_close_intents_are_returned_as_alternatives(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "slots:\n  app: {values: [音乐]}\n  song: {values: [音乐]}\nintents:\n"
        "  - {domain: app, intent: open, sentences: ['打开{app}']}\n"
        "  - {domain: media, intent: play, sentences: ['打开{song}', '播放{song}']}\n",
        encoding="utf-8")
    grammar = load_grammar(path)
    match = Matcher(grammar).match("打开音乐")
    assert match is not None and match.ambiguous
    assert {match.key, *(a.key for a in match.alternatives)} == {"app.open", "media.play"}
    problems = check_grammar(grammar)
    assert any("also matches intent" in p.message and p.loc.line in (5, 6) for p in problems)


def test_wildcard_yields_to_a_written_out_sentence(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "slots:\n  q: {wildcard: true}\nintents:\n"
        "  - {domain: web, intent: search, sentences: ['搜索{q}']}\n"
        "  - {domain: web, intent: news, sentences: ['搜索新闻']}\n", encoding="utf-8")
    grammar = load_grammar(path)
    match = Matcher(grammar).match("搜索新闻")
    assert match is not None and match.key == "web.news" and not match.ambiguous
    assert Matcher(grammar).match("搜索 明天的 天气!") is not None
    assert Matcher(grammar).match("搜索明天的天气").slots == {"q": "明天的天气"}  # type: ignore[union-attr]


def test_check_grammar_passes_and_reports_failing_tests(tmp_path: Path) -> None:
    assert check_grammar(load_grammar(DATA / "grammar")) == []
    shutil.copytree(DATA / "grammar", tmp_path / "g")
    home = tmp_path / "g" / "home.yaml"
    home.write_text(home.read_text(encoding="utf-8").replace("slots: {city: 上海}",
                                                             "slots: {city: 广州}"),
                    encoding="utf-8")
    problems = check_grammar(load_grammar(tmp_path / "g"))
    assert len(problems) == 1
    assert problems[0].loc.file.endswith("home.yaml") and problems[0].loc.line == 16
    assert "slot city is '上海', expected '广州'" in problems[0].message
    assert problems[0].intent == "weather.query"


def test_threshold_rejects_weak_matches() -> None:
    grammar = load_grammar(DATA / "grammar")
    assert Matcher(grammar).match("打开计算机") is not None  # loose, about 0.67
    assert Matcher(grammar, threshold=0.7).match("打开计算机") is None


def _grammar(tmp_path: Path, text: str) -> Matcher:
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    return Matcher(load_grammar(path))


def test_a_sentence_written_out_but_for_skip_words_beats_free_text(tmp_path: Path) -> None:
    matcher = _grammar(tmp_path,
                       "skip_words: [吧, 一下]\nslots:\n  q: {wildcard: true}\nintents:\n"
                       "  - {domain: call, intent: dial, sentences: ['打电话给{q}']}\n"
                       "  - {domain: media, intent: next, sentences: ['播放下一首']}\n"
                       "  - {domain: media, intent: play, sentences: ['播放{q}']}\n")
    match = matcher.match("播放下一首吧")
    assert match is not None and match.key == "media.next" and match.stage == "skip"
    assert not match.ambiguous
    match = matcher.match("打电话给妈妈吧")  # free text leaves the skip words at its ends
    assert match is not None and match.slots == {"q": "妈妈"}
    match = matcher.match("播放一下举起手来吧")
    assert match is not None and match.key == "media.play" and match.slots == {"q": "举起手来"}


def test_the_best_parse_wins_not_the_first(tmp_path: Path) -> None:
    matcher = _grammar(tmp_path,
                       "rules:\n  请: '[我|我想|我要]'\nslots:\n  q: {wildcard: true}\n"
                       "  song: {values: [牵手, 手]}\nintents:\n"
                       "  - {domain: media, intent: play, sentences: ['<请>[听]{q}[这首歌]']}\n"
                       "  - {domain: media, intent: song, sentences: ['<请>(听|想听){song}']}\n")
    match = matcher.match("我想听牵手这首歌")
    assert match is not None and match.key == "media.play" and match.slots == {"q": "牵手"}
    match = matcher.match("我想听牵手")  # a list item rather than free text
    assert match is not None and match.key == "media.song" and match.slots == {"song": "牵手"}
