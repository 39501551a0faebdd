"""The pinyin -> Hanzi converter on clear cases: exact pinyin, tone errors, letters, numbers,
and input that is not well-formed pinyin."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from asr.hanzi import HanziConverter, character_error_rate
from asr.hanzi_lm import LM_PACKAGE, UnigramWords, load_kenlm
from asr.pinyin_syllables import Syllable, group_units, neighbours, split_final
from asr.settings import hanzi_lm_path


@pytest.fixture(scope="module")
def converter() -> HanziConverter:
    return HanziConverter.load()


def test_uses_the_kenlm_model(converter: HanziConverter) -> None:
    """The setup installs libime's model; without it the converter is much worse."""
    assert hanzi_lm_path().is_file(), f"missing {hanzi_lm_path()}: apt-get install {LM_PACKAGE}"
    assert converter.lm.is_kenlm
    assert converter._tables.with_kenlm
    assert "接盘侠" in converter.lm


def test_missing_model_warns_and_falls_back(
    converter: HanziConverter, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = Path("/nonexistent/zh_CN.lm")
    assert load_kenlm(missing) is None
    warning = capsys.readouterr().err
    assert str(missing) in warning and f"apt-get install {LM_PACKAGE}" in warning
    assert warning.count("\n") == 1
    fallback = HanziConverter(converter._tables, converter.penalties, UnigramWords())
    assert fallback.convert("n ǐ h ǎo") == "你好"


def test_context_picks_the_homophone(converter: HanziConverter) -> None:
    assert converter.convert("f áng j ià sh àng zh ǎng") == "房价上涨"
    assert converter.convert("f àng j ià h uí j iā") == "放假回家"


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ("n ǐ h ǎo", "你好"),
        ("sh è d ìng èr sh í j iǔ d ù", "设定二十九度"),
        ("b ěi j īng sh ì d e t iān q ì", "北京市的天气"),
        ("zh ōng g uó r én m ín", "中国人民"),
        ("j īn t iān t iān q ì z ěn m e y àng", "今天天气怎么样"),
        ("d ǎ k āi d ì t ú", "打开地图"),
    ],
)
def test_converts_exact_pinyin(converter: HanziConverter, tokens: str, expected: str) -> None:
    assert converter.convert(tokens) == expected


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ("n ǐ h áo", "你好"),  # third-tone sandhi heard as tone 2
        ("zh ōng g uò r én m ín", "中国人民"),  # guó heard as guò
        ("j īn t iàn t iān q ì", "今天天气"),  # tiān heard as tiàn
        ("z ōng g uó", "中国"),  # zh heard as z
    ],
)
def test_tolerates_recognition_errors(
    converter: HanziConverter, tokens: str, expected: str
) -> None:
    assert converter.convert(tokens) == expected


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ("p ō f àng y īn y uè", "播放音乐"),  # b heard as p
        ("d ǎ k āi x ǐ y īn j ī", "打开洗衣机"),  # yi heard as yin
        ("g uān p ì d iàn sh ì", "关闭电视"),  # b heard as p
    ],
)
def test_repairs_one_confused_syllable_in_a_word(
    converter: HanziConverter, tokens: str, expected: str
) -> None:
    assert converter.convert(tokens) == expected


def test_confusion_can_be_switched_off(converter: HanziConverter) -> None:
    strict = HanziConverter(
        converter._tables, dataclasses.replace(converter.penalties, confusion_span=0)
    )
    assert strict.convert("p ō f àng y īn y uè") != "播放音乐"
    assert strict.convert("b ō f àng y īn y uè") == "播放音乐"


def test_neighbours() -> None:
    near = {s.fuzzy for s in neighbours(Syllable("zh", "ong", 1))}
    assert near == {"zen", "cong", "song"}  # zheng/zhen, chong, shong (finds nothing)
    assert "zong" not in near  # zh/z is already one fuzzy key
    assert all(s.tone == 1 for s in neighbours(Syllable("b", "a", 1)))


def test_nbest_considers_only_the_top_hypotheses(converter: HanziConverter) -> None:
    nbest = [("A", -100.0), ("B", -100.0), ("C", -100.0), ("n ǐ h ǎo", 0.0)]
    assert converter.convert_nbest(nbest) == "A"
    assert converter.convert_nbest(nbest, top=4) == "你好"


def test_letters_pass_through(converter: HanziConverter) -> None:
    assert converter.convert("A P P") == "APP"
    assert converter.convert("d ǎ k āi A P P") == "打开APP"


def test_phone_number_digits(converter: HanziConverter) -> None:
    tokens = "y ī s ān b ā l íng q ī s ì w ǔ j iǔ l iù èr s ān"
    assert converter.convert(tokens) == "一三八零七四五九六二三"


@pytest.mark.parametrize(
    "tokens",
    ["zh zh zh", "ù ù ù", "sh", "<unk> <blk>", "A", "x ǜ q", "ǹg ○ #3", "ì" * 40, "a " * 300],
)
def test_odd_sequences_do_not_crash(converter: HanziConverter, tokens: str) -> None:
    assert isinstance(converter.convert(tokens), str)


def test_empty_input(converter: HanziConverter) -> None:
    assert converter.convert("") == ""
    assert converter.convert("   ") == ""


def test_deterministic(converter: HanziConverter) -> None:
    tokens = "w ǒ m en x iàn z ài h ái m éi y ǒu j iàn l ì x ì t ǒng"
    assert len({converter.convert(tokens) for _ in range(3)}) == 1


def test_nbest_prefers_the_reading_the_lexicon_knows(converter: HanziConverter) -> None:
    nbest = [("n ǐ h ǎo q ī", -1.0), ("n ǐ h ǎo", -1.2)]
    assert converter.convert_nbest(nbest) == "你好"


def test_grouping() -> None:
    units = group_units("sh è ài d A zh")
    assert [u.syllable for u in units[:2]] == [Syllable("sh", "e", 4), Syllable("", "ai", 4)]
    assert units[2].letter == "A"  # the dangling "d" and "zh" are dropped
    assert len(units) == 3
    assert split_final("ǜ") == ("ü", 4)
    assert split_final("en") == ("en", 5)


def test_character_error_rate() -> None:
    assert character_error_rate("你好", "你好") == (0, 2)
    assert character_error_rate("你好吗", "你") == (2, 3)
