"""Inverse text normalisation: the golden file, the typed slot parsers, the suites, the CLI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.cli import main
from asr import settings
from intents.itn import (
    MAX_INPUT_CHARS,
    ItnInputTooLong,
    normalize,
    parse_date,
    parse_duration,
    parse_number,
    parse_percent,
    parse_quantity,
    parse_range,
    parse_time,
)

GOLDEN = Path(__file__).parent / "data" / "itn" / "golden.txt"


def _golden() -> list[tuple[int, str, str]]:
    cases = []
    for n, line in enumerate(GOLDEN.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        spoken, sep, written = line.partition(" => ")
        assert sep, f"golden.txt:{n}: no ' => ' in {line!r}"
        cases.append((n, spoken, written))
    return cases


@pytest.mark.parametrize(
    ("lineno", "spoken", "written"), _golden(), ids=lambda v: v if isinstance(v, str) else None
)
def test_golden(lineno: int, spoken: str, written: str) -> None:
    assert normalize(spoken) == written, f"golden.txt:{lineno}"


def test_golden_is_large_enough() -> None:
    assert len(_golden()) >= 150


@pytest.mark.parametrize("text", ["", "打开灯", "hello world", "今天天气很好。", "2024年3月5日"])
def test_text_without_spoken_numbers_is_unchanged(text: str) -> None:
    assert normalize(text) == text


def test_normalize_is_idempotent_on_golden_outputs() -> None:
    for _, _, written in _golden():
        assert normalize(written) == written


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一百二", 120), ("三万五", 35000), ("十一", 11), ("两", 2), ("幺二三", 123),
        ("负三点五", -3.5), ("零下五", -5), ("三点一四", 3.14), ("四分之三", 0.75),
        ("一个半", 1.5), ("半", 0.5), ("二十点一万", 201000), ("一亿零一", 100000001),
        ("壹佰贰拾叁", 123), ("42", 42), ("-7", -7), ("2.5", 2.5), ("10.1万", 101000),
    ],
)  # fmt: skip
def test_parse_number(text: str, value: float) -> None:
    got = parse_number(text)
    assert got == value
    assert isinstance(got, float) == isinstance(value, float)


@pytest.mark.parametrize(
    "text",
    ["", "一起", "负", "零点", "点零", "百十一", "十一十二", "零点零大", "元整", "10..1万", "三个"],
)
def test_parse_number_rejects(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三点半", (3, 30)), ("下午两点十五", (14, 15)), ("八点零五分", (8, 5)),
        ("晚上八点", (20, 0)), ("中午十二点", (12, 0)), ("凌晨十二点", (0, 0)),
        ("三点", (3, 0)), ("九点三刻", (9, 45)), ("14:15", (14, 15)), ("今晚八点", (20, 0)),
    ],
)  # fmt: skip
def test_parse_time(text: str, value: tuple[int, int]) -> None:
    assert parse_time(text) == value


@pytest.mark.parametrize("text", ["一起", "三点一四", "五分钟", "二十五点"])
def test_parse_time_rejects(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("五分钟三十秒", 330), ("一个半小时", 5400), ("半小时", 1800), ("两个小时", 7200),
        ("十秒", 10), ("一刻钟", 900), ("三天", 259200), ("一小时二十分钟", 4800),
    ],
)  # fmt: skip
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "一起", "三点半", "五公里"])
def test_parse_duration_rejects(text: str) -> None:
    assert parse_duration(text) is None


def test_parse_date_percent_range_quantity() -> None:
    assert parse_date("二零二四年三月五日") == (2024, 3, 5)
    assert parse_date("八月八号") == (None, 8, 8)
    assert parse_date("十三月") is None
    assert parse_percent("百分之三十") == 30
    assert parse_percent("百分之二点五") == 2.5
    assert parse_percent("三十") is None
    assert parse_range("三到五度") == (3, 5, "度")
    assert parse_range("三四万") == (30000, 40000, "")
    assert parse_quantity("零下五度") == (-5, "度")
    assert parse_quantity("三块五") == (3.5, "元")
    assert parse_quantity("五公里") == (5, "公里")
    assert parse_quantity("一起") is None


# --- the shared suites ------------------------------------------------------------------------


def _itn_dir() -> Path:
    path = settings.shared_dir() / "data" / "itn"
    if not (path / "cn2an_itn_zh.tsv").is_file():
        pytest.fail(f"ITN suites not found in {path}: set LINGYIN_SHARED", pytrace=False)
    return path


def test_suites_agreed_rows_and_speed() -> None:
    from bench.itn_mapping import from_cn2an, from_wetext, neutral

    rows = []
    for name, mapper in (
        ("cn2an_itn_zh.tsv", from_cn2an),
        ("wetextprocessing_itn_zh.tsv", from_wetext),
    ):
        for line in (_itn_dir() / name).read_text(encoding="utf-8").splitlines()[1:]:
            spoken, expected = [*line.split("\t"), ""][:2]
            mapped = mapper(spoken, expected)
            rows.append((spoken, mapped, mapped == expected))
    agreed = [(s, e) for s, e, ok in rows if ok]
    right = sum(neutral(normalize(s)) == neutral(e) for s, e in agreed)
    assert right / len(agreed) >= 0.97, f"{right}/{len(agreed)} agreed rows"
    start = time.perf_counter()
    for _ in range(3):
        for spoken, _, _ in rows:
            normalize(spoken)
    speed = 3 * len(rows) / (time.perf_counter() - start)
    assert speed >= 5000, f"{speed:.0f} lines/s"


def test_cn2an_rejected_inputs_are_not_numbers() -> None:
    lines = (_itn_dir() / "cn2an_itn_zh_annotated.tsv").read_text(encoding="utf-8").splitlines()
    rejected = [line.split("\t")[0] for line in lines[1:] if "\t<ValueError>\t" in line]
    assert rejected
    for text in rejected:
        if text in ("一一", "壹壹"):
            continue  # digit strings: Lingyin reads 一一 as 11 (documented)
        assert parse_number(text) is None, text


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["itn", "三点半", "一起", "百分之三十"]) == 0
    assert capsys.readouterr().out == "3:30\n一起\n30%\n"


def test_cli_stdin_keeps_empty_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("一百二\n\n下午两点十五\n"))
    assert main(["itn"]) == 0
    assert capsys.readouterr().out == "120\n\n14:15\n"


def test_random_numeral_soup_never_raises() -> None:
    import random

    alphabet = "零一二两三四五六七八九十百千万亿幺点分之负零下"
    alphabet += "块元毛角钱个半到年月日号度米秒上午第加比A 09几%"
    rng = random.Random(7)
    parsers = (parse_number, parse_time, parse_duration, parse_date, parse_range, parse_quantity)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        normalize(text)
        for parse in parsers:
            parse(text)


# --- long inputs ------------------------------------------------------------------------------


def test_ten_thousand_digits_finish_and_are_right() -> None:
    spoken = "幺二三四五六七八九零" * 1000
    start = time.perf_counter()
    assert normalize(spoken) == "1234567890" * 1000
    assert time.perf_counter() - start < 20  # a guard only: it takes well under a second


def test_ten_thousand_characters_of_repeated_text_finish_and_are_right() -> None:
    sentence, written = "明天早上八点提醒我开会", "明天8:00提醒我开会"
    for sep in ("", "，"):
        spoken = (sentence + sep) * (10_000 // len(sentence + sep))
        start = time.perf_counter()
        assert normalize(spoken) == (written + sep) * (10_000 // len(sentence + sep))
        assert time.perf_counter() - start < 20


def test_long_input_time_grows_linearly() -> None:
    def seconds(n: int) -> float:
        text = "三百二十一个人一起来了" * n
        start = time.perf_counter()
        normalize(text)
        return time.perf_counter() - start

    seconds(50)
    small, large = seconds(200), seconds(1600)
    assert large < 8 * small * 3, f"{small:.3f}s for 2,200 chars, {large:.3f}s for 17,600"


def test_input_past_the_bound_is_refused_with_the_bound_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ItnInputTooLong, match=str(MAX_INPUT_CHARS)):
        normalize("一" * (MAX_INPUT_CHARS + 1))
    assert normalize("一" * 10) == "1111111111"
    assert main(["itn", "一" * (MAX_INPUT_CHARS + 1), "三点半"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "\n3:30\n"
    assert str(MAX_INPUT_CHARS) in captured.err and "第 1 行" in captured.err


@pytest.mark.parametrize(
    ("text", "value"),
    [("八点零五", (8, 5)), ("一点零一", (1, 1)), ("差一刻八点", (7, 45)), ("五点一刻", (5, 15)),
     ("兩點半", (2, 30)), ("下午三点三刻", (15, 45))],
)  # fmt: skip
def test_parse_time_reads_spoken_forms_as_times(text: str, value: tuple[int, int]) -> None:
    assert parse_time(text) == value


def test_slot_parsers_follow_the_new_forms() -> None:
    assert parse_number("三又五分之一") == 3.2
    assert parse_number("一点零") == 1.0
    assert isinstance(parse_number("一点零"), float)
    assert parse_number("參拾") == 30
    assert parse_duration("三刻钟") == 2700
    assert parse_duration("一小时一刻钟") == 4500
    assert parse_quantity("二十六度半") == (26.5, "度")
    assert parse_quantity("二两") == (2, "两")


def test_blind_set_written_without_reading_the_normaliser() -> None:
    """tests/data/itn/blind.tsv was written from docs/itn.md alone (bench/bench_itn_blind.py
    prints it per category): a floor, so a change that breaks a class of inputs shows here."""
    from bench.bench_itn_blind import load_cases, run

    outcomes = run(load_cases(Path(__file__).parent / "data" / "itn" / "blind.tsv"))
    assert len(outcomes) > 300
    misses = [f"{o.case.spoken} → {o.got} (expected {o.case.expected})"
              for o in outcomes if not o.neutral]
    assert len(misses) <= 0.03 * len(outcomes), "\n".join(misses)
