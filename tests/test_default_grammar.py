"""The default Mandarin grammar (resources/grammar/zh-CN): it loads, `check-grammar` passes, and
every golden sentence (tests/data/grammar_golden_zh.yaml) is understood as written there."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.cli import main
from intents.check import _same
from intents.grammar import load_grammar
from intents.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "resources" / "grammar" / "zh-CN"
GOLDEN = yaml.safe_load((ROOT / "tests" / "data" / "grammar_golden_zh.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def matcher(default_matcher: Matcher) -> Matcher:
    return default_matcher  # the session's (tests/conftest.py): matching only reads it


def test_golden_file_is_substantial() -> None:
    assert len(GOLDEN) >= 150
    intents = {row["intent"] for row in GOLDEN if row["intent"]}
    grammar_intents = {i.key for i in load_grammar(GRAMMAR).intents}
    assert intents <= grammar_intents, intents - grammar_intents


@pytest.mark.parametrize("row", GOLDEN, ids=[row["text"] for row in GOLDEN])
def test_golden_sentence(matcher: Matcher, row: dict[str, object]) -> None:
    match = matcher.match(str(row["text"]))
    expected = row["intent"]
    if expected is None:
        assert match is None, f"{row['text']!r} should be rejected, got {match}"
        return
    assert match is not None, f"{row['text']!r} is not understood"
    assert match.key == expected, f"{row['text']!r} → {match.key} {match.slots}"
    assert not match.ambiguous, f"{row['text']!r} is ambiguous: {match.alternatives}"
    slots = row.get("slots") or {}
    assert isinstance(slots, dict)
    for name, value in slots.items():
        assert _same(value, match.slots.get(name)), \
            f"{row['text']!r}: slot {name} = {match.slots.get(name)!r}, expected {value!r}"


def test_check_grammar_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-grammar", str(GRAMMAR)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "tests pass" in out and not err


def test_lists_are_present() -> None:
    lists = GRAMMAR / "lists"
    counts = {p.stem: sum(1 for line in p.read_text("utf-8").splitlines()
                          if line.strip() and not line.startswith("#"))
              for p in lists.glob("*.txt")}
    assert counts["cities"] >= 300 and counts["apps"] >= 100
    for name in ("contacts", "rooms", "devices", "songs", "artists"):
        assert counts[name] > 0, name
