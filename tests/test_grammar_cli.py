"""`lingyin parse` and `lingyin check-grammar` as a user runs them."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from app.cli import main

DATA = Path(__file__).parent / "data"
GRAMMAR = str(DATA / "grammar")


def test_parse_json(capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["音量调到百分之三十", "今天股市怎么样"]
    assert main(["parse", "--grammar", GRAMMAR, "--json", *texts]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # the contract's keys, and since issue 10 also the stage and whether to confirm first
    assert lines[0] == {"text": "音量调到百分之三十", "domain": "volume", "intent": "set",
                        "slots": {"volume": 30}, "confidence": 1.0, "alternatives": [],
                        "stage": "text", "confirm": False}
    assert lines[1] == {"text": "今天股市怎么样", "rejected": True, "reason": "question:怎么样"}


def test_parse_json_says_why_and_when_to_confirm(capsys: pytest.CaptureFixture[str]) -> None:
    grammar = str(Path(__file__).parent.parent / "resources" / "grammar" / "zh-CN")
    texts = ["窗帘关了吗", "不要关灯", "给张山打电话", "提醒我" * 100]
    assert main(["parse", "--grammar", grammar, "--json", *texts]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["intent"] == "state_query"  # a question is answered, never performed
    assert lines[1] == {"text": "不要关灯", "rejected": True, "reason": "negation:不要关"}
    assert lines[2]["slots"] == {"contact": "张三"} and lines[2]["confirm"] is True
    assert lines[3]["rejected"] and lines[3]["reason"].startswith("too_long")


def test_parse_reads_stdin(monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("呼叫老婆\n\n打开微信\n"))
    assert main(["parse", "--grammar", GRAMMAR]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ['呼叫老婆\tphone.call\t{"contact": "李梅"}\t1.00',
                   '打开微信\tapp.open\t{"app": "wechat"}\t1.00']


def test_parse_uses_the_user_grammar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path))
    resources = tmp_path / "res"
    (resources / "grammar").mkdir(parents=True)
    import shutil

    shutil.copytree(DATA / "grammar", resources / "grammar" / "zh-CN")
    monkeypatch.setenv("LINGYIN_RESOURCES", str(resources))
    assert main(["parse", "打开浏览器"]) == 0
    assert "app.open" in capsys.readouterr().out
    assert (tmp_path / "grammar" / "media.yaml").is_file()


OK_GRAMMAR = """\
slots:
  volume: {range: [0, 100], unit: "%"}
intents:
  - domain: volume
    intent: set
    sentences: ["音量调到{volume}"]
    action: volume.set
    tests: [{text: 音量调到三十, slots: {volume: 30}}]
"""


def test_check_grammar_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(OK_GRAMMAR, encoding="utf-8")
    assert main(["check-grammar", str(path)]) == 0
    assert "1 tests pass" in capsys.readouterr().out


def test_check_grammar_refuses_actions_lingyin_does_not_have(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 15: `action: no.such_action` passed check-grammar (exit 0) and then stopped the
    next start; the test grammar's own invented actions are refused too."""
    path = tmp_path / "g.yaml"
    path.write_text(OK_GRAMMAR + "  - domain: my\n    intent: thing\n    sentences: [做那件事]\n"
                    "    action: no.such_action\n", encoding="utf-8")
    assert main(["check-grammar", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:9:5: unknown action 'no.such_action' (")
    assert main(["check-grammar", GRAMMAR]) == 1
    err = capsys.readouterr().err
    assert "phone.yaml:5:5: unknown action 'phone.call'" in err and "'climate.set'" in err


def test_check_grammar_reports_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    broken = DATA / "grammar_broken" / "unknown_slot.yaml"
    assert main(["check-grammar", str(broken)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(re.match(r".+\.yaml:\d+:\d+: ", line) for line in err)
    assert err[0].startswith(f"{broken}:5:22: unknown slot {{音量}}")


def test_check_grammar_failing_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("intents:\n  - domain: a\n    intent: b\n    sentences: [开灯]\n"
                    "    tests: [关灯]\n", encoding="utf-8")
    assert main(["check-grammar", str(path)]) == 1
    assert capsys.readouterr().err.startswith(f"{path}:5:13: test '关灯' is not understood")
