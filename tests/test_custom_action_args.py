"""Slot values that look like options (``--help``, ``-rf``, ``--output=/etc/passwd``) never reach a
custom ``run`` program unless its action says ``allow_options: true`` (issue 14): the value comes
from speech or typed text, and a program would take it as an option. The refusal is a reply and
nothing runs; ``allow_options`` is checked like every other key of a custom action."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.actions.base import ActionRequest
from app.actions.custom import CustomActions
from intents.errors import GrammarErrors
from intents.grammar import load_grammar
from intents.model import CustomAction, Grammar

ECHO = """import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(sys.argv[2:], out)
"""
OPTIONS = ["--help", "-rf", "--output=/etc/passwd", "  -x", "\t--", "-", "-5"]
NOT_OPTIONS = ["a-b", "x --help", "—破折号", "－全角", "5", "关-灯"]


def q(text: str | Path) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def grammar_with(folder: Path, action: str) -> tuple[Path, Grammar]:
    path = folder / "custom.yaml"
    path.write_text("language: zh-CN\nintents:\n  - domain: my\n    intent: run\n"
                    "    slots:\n      event: {wildcard: true}\n"
                    f"    sentences: [\"运行{{event}}\"]\n    action: {action}\n",
                    encoding="utf-8")
    return path, load_grammar(path)


def echo_action(tmp_path: Path, extra: str = "", args: str = '"{event}"') -> tuple[Path, str]:
    script = tmp_path / "echo_argv.py"
    script.write_text(ECHO, encoding="utf-8")
    out = tmp_path / "argv.json"
    return out, f"{{run: [{q(sys.executable)}, {q(script)}, {q(out)}, {args}]{extra}}}"


def actions_for(grammar: Grammar) -> CustomActions:
    def lookup(key: str) -> CustomAction | None:
        found = grammar.intent(key)
        return found.custom if found is not None else None

    return CustomActions(lookup)


def request(value: object, dry_run: bool = False) -> ActionRequest:
    return ActionRequest("custom.run", "my", "run", {"event": value}, dry_run=dry_run)


@pytest.mark.parametrize("value", OPTIONS)
def test_an_option_looking_value_is_refused_and_nothing_runs(tmp_path: Path, value: str) -> None:
    out, action = echo_action(tmp_path)
    _, grammar = grammar_with(tmp_path, action)
    result = actions_for(grammar).perform(request(value))
    assert not result.performed and not out.exists(), result
    assert "-" in (result.reply or "") and "allow_options" in (result.reply or "")
    assert value.strip() in (result.error or "")


@pytest.mark.parametrize("args", ['"--", "{event}"', '"pre{event}"', '"--title={event}"'])
def test_a_value_is_refused_wherever_it_goes_in_the_arguments(tmp_path: Path, args: str) -> None:
    out, action = echo_action(tmp_path, args=args)
    _, grammar = grammar_with(tmp_path, action)
    result = actions_for(grammar).perform(request("-rf"))
    assert not result.performed and not out.exists(), result


def test_a_dry_run_says_it_would_refuse(tmp_path: Path) -> None:
    out, action = echo_action(tmp_path)
    _, grammar = grammar_with(tmp_path, action)
    result = actions_for(grammar).perform(request("--help", dry_run=True))
    assert not result.performed and "allow_options" in (result.reply or "")
    assert not out.exists()


def test_a_negative_number_is_an_option_too(tmp_path: Path) -> None:
    out, action = echo_action(tmp_path)
    _, grammar = grammar_with(tmp_path, action)
    assert not actions_for(grammar).perform(request(-5.5)).performed
    assert not out.exists()


@pytest.mark.parametrize("value", NOT_OPTIONS)
def test_a_value_with_a_dash_elsewhere_runs(tmp_path: Path, value: str) -> None:
    out, action = echo_action(tmp_path)
    _, grammar = grammar_with(tmp_path, action)
    assert actions_for(grammar).perform(request(value)).performed
    assert json.loads(out.read_text("utf-8")) == [value]


@pytest.mark.parametrize("value", OPTIONS)
def test_allow_options_passes_the_value_verbatim(tmp_path: Path, value: str) -> None:
    out, action = echo_action(tmp_path, extra=", allow_options: true", args='"--", "{event}"')
    _, grammar = grammar_with(tmp_path, action)
    result = actions_for(grammar).perform(request(value))
    assert result.performed, result
    assert json.loads(out.read_text("utf-8")) == ["--", value]


def test_allow_options_false_is_the_default(tmp_path: Path) -> None:
    out, action = echo_action(tmp_path, extra=", allow_options: false")
    _, grammar = grammar_with(tmp_path, action)
    assert not actions_for(grammar).perform(request("-rf")).performed
    assert not out.exists()


@pytest.mark.parametrize(("action", "message"), [
    ('{run: ["/bin/echo", "{event}"], allow_options: "yes"}', "allow_options must be true or "
                                                               "false"),
    ('{run: ["/bin/echo", "{event}"], allow_options: 1}', "allow_options must be true or false"),
    ('{open: "https://x/{event}", allow_options: true}', "allow_options is only for run"),
    ('{http: {url: "http://x/{event}"}, allow_options: true}', "allow_options is only for run"),
    ("{allow_options: true}", "exactly one key"),
    ('{run: ["/bin/echo", "{event}"], allow_option: true}', "unknown custom action "
                                                            "'allow_option'"),
])
def test_allow_options_is_checked_with_its_place(tmp_path: Path, action: str,
                                                 message: str) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text("language: zh-CN\nintents:\n  - domain: my\n    intent: bad\n"
                    "    slots:\n      event: {wildcard: true}\n"
                    f"    sentences: [\"运行{{event}}\"]\n    action: {action}\n",
                    encoding="utf-8")
    with pytest.raises(GrammarErrors) as info:
        load_grammar(path)
    hit = next((p for p in info.value.problems if message in p.message), None)
    assert hit is not None, info.value.problems
    assert hit.loc.file == str(path) and hit.loc.line == 8 and hit.loc.col >= 13


def test_the_grammar_docs_explain_options_and_the_double_dash() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "grammar.md").read_text("utf-8")
    section = text.split("## Custom actions", 1)[1].split("\n## ", 1)[0]
    assert "allow_options" in section and '"--"' in section
