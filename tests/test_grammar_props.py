"""Property tests: random templates and random bytes never crash the grammar reader, every error
has a location inside the file, and printing a parsed template gives back the same tree."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intents.errors import GrammarError, GrammarErrors, Loc
from intents.grammar import load_grammar
from intents.matcher import Matcher
from intents.template import line_locator, parse_template, render

START = Loc("t.yaml", 3, 5)
PIECES = st.sampled_from([*"()[]{}<>|\\:音量调到打开ab 1", "{x}", "<r>", "[把]", "(a|b)"])
TEMPLATES = st.lists(PIECES, max_size=20).map("".join)
FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(TEMPLATES)
def test_random_templates_parse_or_fail_with_a_location(text: str) -> None:
    try:
        tree = parse_template(text, line_locator(START))
    except GrammarError as exc:
        assert exc.loc.file == "t.yaml" and exc.loc.line == 3
        assert START.col <= exc.loc.col <= START.col + len(text)
        return
    assert parse_template(render(tree), line_locator(START)) == tree


@FAST
@given(st.text(max_size=30))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        parse_template(text, line_locator(START))
    except GrammarError as exc:
        assert exc.loc.col >= START.col


def _check_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        grammar = load_grammar(path)
    except GrammarErrors as exc:
        lines = max(1, data.count(b"\n") + 1)
        for problem in exc.problems:
            assert problem.loc.line >= 1 and problem.loc.col >= 1
            if problem.loc.file == str(path):
                assert problem.loc.line <= lines + 1
        return
    Matcher(grammar).match("音量调到三十")


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(tmp_path: Path, data: bytes) -> None:
    _check_file(tmp_path / "g.yaml", data)


GRAMMAR_LINES = st.sampled_from([
    "intents:\n", "  - domain: a\n", "    intent: b\n", "    sentences: ['音量调到{v}']\n",
    "    sentences: [\"(开|关)[灯]<r>\"]\n", "slots:\n", "  v: {range: [0, 100]}\n",
    "  v: {range: [5, 1]}\n", "  w: {digits: [3, 1]}\n", "rules:\n", "  r: '(a|'\n",
    "  r: 灯\n", "    tests: [音量调到三十]\n", "    replies: ['{v}']\n", "skip_words: [吧]\n",
    "  x: {list: nope}\n", "    confirm: 3\n", "\t", "- ", ": ", "{", "]",
])


@FAST
@given(st.lists(GRAMMAR_LINES, max_size=12).map("".join))
def test_random_grammar_files_never_crash(tmp_path: Path, text: str) -> None:
    _check_file(tmp_path / "g.yaml", text.encode("utf-8"))
